#if canImport(Glibc)
import Glibc
#endif

/// The DFA states' NFA state sets, interned: one arena of `UInt32`s and an open-addressing
/// hash table over it, so making a state allocates nothing per state and finding one hashes
/// a few words instead of a Swift array.
struct DFAStateTable {
    private var arena: [UInt32] = []
    /// Per state: where its set starts in `arena`; the set ends where the next one starts.
    private var starts: [Int] = [0]
    /// Slot → state id, -1 when empty; the count is a power of two kept at most half full.
    private var slots: [Int32] = Array(repeating: -1, count: 1024)

    var count: Int { starts.count - 1 }

    mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        starts.append(0)
        for i in slots.indices { slots[i] = -1 }
    }

    /// The set of state `id`.
    @inline(__always)
    func nodes(_ id: Int32) -> ArraySlice<UInt32> {
        arena[starts[Int(id)]..<starts[Int(id) + 1]]
    }

    /// Calls `body` with the set of state `id` as a raw buffer (no slice retained).
    @inline(__always)
    func withNodes<R>(_ id: Int32, _ body: (UnsafeBufferPointer<UInt32>) -> R) -> R {
        let lo = starts[Int(id)], hi = starts[Int(id) + 1]
        return arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[lo..<hi])) }
    }

    private static func hash(_ set: UnsafeBufferPointer<UInt32>) -> Int {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(set.count &+ 1)
        for v in set { h = (h ^ UInt64(v)) &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 31 }
        return Int(truncatingIfNeeded: h)
    }

    /// The id of `set` (sorted, no repeats), adding it as state `count` if new.
    mutating func intern(_ set: UnsafeBufferPointer<UInt32>) -> (id: Int32, isNew: Bool) {
        let mask = slots.count - 1
        var i = Self.hash(set) & mask
        while true {
            let id = slots[i]
            if id < 0 { break }
            let lo = starts[Int(id)], hi = starts[Int(id) + 1]
            if hi - lo == set.count, set.isEmpty || arena.withUnsafeBufferPointer({ a in
                memcmp(a.baseAddress! + lo, set.baseAddress!, set.count * 4) == 0
            }) { return (id, false) }
            i = (i + 1) & mask
        }
        let id = Int32(count)
        arena.append(contentsOf: set)
        starts.append(arena.count)
        slots[i] = id
        if count * 2 > slots.count { rehash() }
        return (id, true)
    }

    private mutating func rehash() {
        slots = Array(repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for id in 0..<count {
            let h = arena.withUnsafeBufferPointer { a in
                Self.hash(UnsafeBufferPointer(rebasing: a[starts[id]..<starts[id + 1]]))
            }
            var i = h & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(id)
        }
    }
}
