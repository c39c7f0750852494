/// The DFA's join transitions, (state, group root, tag) → state, in an open-addressing table
/// with a multiplicative hash: a lookup joins a group or two per prefix it passes, and a
/// `Dictionary` (SipHash) cost more than the DFA steps around it.
struct JoinTable {
    /// Stored key: the packed key with bit 63 set (a packed key never has it), 0 when empty.
    private var keys = [UInt64](repeating: 0, count: 256)
    private var values = [Int32](repeating: 0, count: 256)
    private var count = 0

    @inline(__always)
    static func key(_ state: Int32, _ root: UInt32, _ tag: Int) -> UInt64 {
        (UInt64(UInt32(bitPattern: state)) << 32 | UInt64(root) << 4 | UInt64(tag)) | 1 << 63
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & (keys.count - 1)
    }

    @inline(__always)
    func find(_ key: UInt64) -> Int32? {
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key { return values[i] }
            if k == 0 { return nil }
            i = (i + 1) & (keys.count - 1)
        }
    }

    mutating func insert(_ key: UInt64, _ value: Int32) {
        if (count + 1) * 2 > keys.count { grow() }
        var i = slot(key)
        while keys[i] != 0, keys[i] != key { i = (i + 1) & (keys.count - 1) }
        if keys[i] == 0 { count += 1 }
        keys[i] = key
        values[i] = value
    }

    mutating func removeAll() {
        guard count > 0 else { return }
        for i in keys.indices { keys[i] = 0 }
        count = 0
    }

    private mutating func grow() {
        let old = zip(keys, values).filter { $0.0 != 0 }
        keys = [UInt64](repeating: 0, count: keys.count * 2)
        values = [Int32](repeating: 0, count: keys.count)
        count = 0
        for (k, v) in old { insert(k, v) }
    }
}
