/// The DFA's transitions, sparse first: most states have one or two live successors, so each
/// state gets a 32-byte row of up to four (byte class → state) entries, and only a state that
/// sees more classes gets a dense row of `classCount` entries. Rows stay small enough for the
/// cache to hold the states a lookup walks, where a dense table for every state would not.
/// Raw memory, owned and freed by `GlobAutomaton`; -1 means "not computed yet".
struct TransitionRows {
    /// Per state, 8 words: [0] up to four class ids, one per byte; [1] how many; [2] dense row
    /// index or `UInt32.max`; [3...6] the targets.
    private(set) var rows: UnsafeMutablePointer<UInt32>
    private(set) var dense: UnsafeMutablePointer<Int32>
    private var rowCapacity: Int
    private var denseCapacity: Int
    private(set) var denseCount = 0
    let classCount: Int

    static let stride = 8
    static let sparse = 4
    static let noDense = UInt32.max

    init(classCount: Int) {
        self.classCount = classCount
        rowCapacity = 64
        denseCapacity = 16
        rows = .allocate(capacity: rowCapacity * Self.stride)
        dense = .allocate(capacity: denseCapacity * classCount)
    }

    func deallocate() {
        rows.deallocate()
        dense.deallocate()
    }

    mutating func removeAll() { denseCount = 0 }

    /// Makes the row of state `id` (ids come in order 0, 1, 2, ...), empty.
    mutating func addRow(_ id: Int) {
        if id == rowCapacity {
            let bigger = UnsafeMutablePointer<UInt32>.allocate(capacity: rowCapacity * 2 * Self.stride)
            bigger.moveInitialize(from: rows, count: rowCapacity * Self.stride)
            rows.deallocate()
            rows = bigger
            rowCapacity *= 2
        }
        let r = rows + id * Self.stride
        r[0] = 0; r[1] = 0; r[2] = Self.noDense
    }

    /// The target of `state` on byte class `c`, or -1.
    @inline(__always)
    static func target(_ rows: UnsafeMutablePointer<UInt32>, _ dense: UnsafeMutablePointer<Int32>,
                       _ classCount: Int, _ state: Int32, _ c: UInt32) -> Int32 {
        let r = rows + Int(state) &* stride
        let d = r[2]
        if d != noDense { return dense[Int(d) &* classCount &+ Int(c)] }
        let keys = r[0]
        var i = 0
        let n = Int(r[1])
        while i < n {
            if (keys >> UInt32(8 * i)) & 0xFF == c { return Int32(bitPattern: r[3 + i]) }
            i += 1
        }
        return -1
    }

    mutating func set(_ state: Int32, _ c: UInt32, _ target: Int32) {
        let r = rows + Int(state) * Self.stride
        if r[2] != Self.noDense {
            dense[Int(r[2]) * classCount + Int(c)] = target
            return
        }
        let n = Int(r[1])
        if n < Self.sparse {
            r[0] |= c << UInt32(8 * n)
            r[3 + n] = UInt32(bitPattern: target)
            r[1] = UInt32(n + 1)
            return
        }
        // A fifth class: this state gets a dense row.
        if denseCount == denseCapacity {
            let bigger = UnsafeMutablePointer<Int32>.allocate(capacity: denseCapacity * 2 * classCount)
            bigger.moveInitialize(from: dense, count: denseCapacity * classCount)
            dense.deallocate()
            dense = bigger
            denseCapacity *= 2
        }
        let row = dense + denseCount * classCount
        row.initialize(repeating: -1, count: classCount)
        for i in 0..<n { row[Int((r[0] >> UInt32(8 * i)) & 0xFF)] = Int32(bitPattern: r[3 + i]) }
        row[Int(c)] = target
        r[2] = UInt32(denseCount)
        denseCount += 1
    }
}
