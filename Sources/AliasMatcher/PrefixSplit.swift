#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The patterns of one `GlobSet` cut where their first wildcard starts, as libkmod's index cuts
/// them: the literal prefixes form a plain trie (`trie`), walked once per lookup; the rests
/// ("remainders") go into `forest`, one small trie per distinct set of remainders found behind
/// one prefix. Thousands of prefixes share a remainder set (every `pci:v…d…sv` prefix has
/// `*sd*bc*sc*i*`), so the DFA states built while matching behind one prefix serve them all.
/// One automaton over whole patterns made new states for each device id it met, and a
/// process resolving many distinct strings spent its time building them.
///
/// A pattern matches an input exactly when the input starts with its prefix and the rest of
/// the input matches its remainder: a literal element matches only itself.
struct PrefixSplit: Sendable, Equatable {
    /// Literal prefixes (byte edges and chains only); the value where a prefix ends is its slot.
    var trie: GlobNFA
    /// The remainder groups, side by side; a value is the remainder's index in its group.
    var forest: GlobNFA
    /// Per slot: the forest node its group starts at, or `GlobNFA.none` when every pattern
    /// with this prefix is the prefix alone.
    var slotRoot: IndexArray<UInt32>
    /// Per slot: the entries whose pattern is just the prefix, `exactEntries[exactStart[s]..<exactStart[s+1]]`.
    var exactStart: IndexArray<UInt32>
    var exactEntries: IndexArray<UInt32>
    /// Per slot: which entry each remainder of its group stands for, as (remainder, entry)
    /// pairs sorted by remainder: `pairLocal/pairEntry[pairStart[s]..<pairStart[s+1]]`.
    var pairStart: IndexArray<UInt32>
    var pairLocal: IndexArray<UInt32>
    var pairEntry: IndexArray<UInt32>

    var slotCount: Int { slotRoot.count }

    /// Splits compiled patterns; `entries[i]` is what pattern `i` yields (an entry id).
    init(patterns: [[GlobElement]], entries: [UInt32]) {
        // Prefixes and remainders are slices of the patterns (no copies), each distinct one
        // numbered in order of first appearance: a slot per prefix, an id per remainder.
        var prefixIDs = SliceInterner(capacity: patterns.count)
        var remainderIDs = SliceInterner(capacity: patterns.count)
        var exact = [[UInt32]]()
        var rests = [[(remainder: Int, entry: UInt32)]]()
        for (p, e) in zip(patterns, entries) {
            let cut = p.firstIndex { if case .byte = $0 { return false } else { return true } } ?? p.count
            let (slot, isNew) = prefixIDs.intern(p[..<cut])
            if isNew { exact.append([]); rests.append([]) }
            if cut == p.count { exact[slot].append(e); continue }
            rests[slot].append((remainderIDs.intern(p[cut...]).id, e))
        }
        let prefixes = prefixIDs.slices, remainders = remainderIDs.slices
        trie = GlobNFA(patterns: prefixes.map(Array.init), entries: prefixes.indices.map(UInt32.init))

        // A group is the sorted list of distinct remainders behind a prefix (sorted once, all
        // remainders together, so a group is a list of ranks); equal groups are stored once.
        let byOrder = remainders.indices.sorted { Self.precedes(remainders[$0], remainders[$1]) }
        var rank = [Int](repeating: 0, count: remainders.count)
        for (k, r) in byOrder.enumerated() { rank[r] = k }
        var groupOf = [[Int]: Int]()
        var groups = [[Int]]()
        var slotGroup = [Int](repeating: -1, count: prefixes.count)
        var local = [UInt32](repeating: 0, count: remainders.count)
        var pairStart: [UInt32] = [0], pairLocal = [UInt32](), pairEntry = [UInt32]()
        for slot in prefixes.indices {
            defer { pairStart.append(UInt32(pairLocal.count)) }
            guard !rests[slot].isEmpty else { continue }
            var ranks = rests[slot].map { rank[$0.remainder] }
            ranks.sort()
            var distinct = [Int]()
            for k in ranks where distinct.last != k { distinct.append(k) }
            let g: Int
            if let known = groupOf[distinct] { g = known } else {
                g = groups.count
                groupOf[distinct] = g
                groups.append(distinct)
            }
            slotGroup[slot] = g
            for (i, k) in distinct.enumerated() { local[byOrder[k]] = UInt32(i) }
            let pairs = rests[slot].map { (local[$0.remainder], $0.entry) }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            for (l, e) in pairs { pairLocal.append(l); pairEntry.append(e) }
        }
        let (forest, roots) = GlobNFA.forest(groups.map { ranks in
            GlobNFA(patterns: ranks.map { Array(remainders[byOrder[$0]]) }, entries: ranks.indices.map(UInt32.init))
        })
        self.forest = forest
        slotRoot = IndexArray(slotGroup.map { $0 < 0 ? GlobNFA.none : roots[$0] })
        var exactStart: [UInt32] = [0], exactEntries = [UInt32]()
        for e in exact {
            exactEntries += e
            exactStart.append(UInt32(exactEntries.count))
        }
        self.exactStart = IndexArray(exactStart)
        self.exactEntries = IndexArray(exactEntries)
        self.pairStart = IndexArray(pairStart)
        self.pairLocal = IndexArray(pairLocal)
        self.pairEntry = IndexArray(pairEntry)
    }

    init(trie: GlobNFA, forest: GlobNFA, slotRoot: IndexArray<UInt32>, exactStart: IndexArray<UInt32>,
         exactEntries: IndexArray<UInt32>, pairStart: IndexArray<UInt32>, pairLocal: IndexArray<UInt32>,
         pairEntry: IndexArray<UInt32>) {
        self.trie = trie; self.forest = forest; self.slotRoot = slotRoot
        self.exactStart = exactStart; self.exactEntries = exactEntries
        self.pairStart = pairStart; self.pairLocal = pairLocal; self.pairEntry = pairEntry
    }

    /// A total order on remainders, so a group's list (and its numbering) is canonical.
    private static func precedes(_ a: ArraySlice<GlobElement>, _ b: ArraySlice<GlobElement>) -> Bool {
        func key(_ e: GlobElement) -> (Int, UInt64, UInt64, UInt64, UInt64) {
            switch e {
            case .byte(let x): return (0, UInt64(x), 0, 0, 0)
            case .any: return (1, 0, 0, 0, 0)
            case .star: return (2, 0, 0, 0, 0)
            case .set(let s): return (3, s.w0, s.w1, s.w2, s.w3)
            }
        }
        for (x, y) in zip(a, b) where x != y { return key(x) < key(y) }
        return a.count < b.count
    }

    /// Walks the literal trie over `input` and calls `body(slot, position)` for each prefix
    /// the input starts with: `position` is where that prefix ends and its remainder starts.
    @inline(__always)
    func forEachPrefix(of input: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        let chainStart = trie.chainStart.buffer, chainBytes = trie.chainBytes.buffer
        let litStart = trie.litStart.buffer, litBytes = trie.litBytes.buffer, litTargets = trie.litTargets.buffer
        let valueStart = trie.valueStart.buffer, values = trie.values.buffer
        let n = input.count
        var node = 0, i = 0
        while true {
            // Consume the node's chain whole: values and branches only sit at its end.
            let c0 = Int(chainStart[node]), length = Int(chainStart[node + 1]) &- c0
            if length > 0 {
                guard n - i >= length else { return }
                // Chains are mostly a few bytes: a loop beats a call to memcmp there.
                if length <= 16 {
                    var d = 0
                    while d < length, chainBytes[c0 + d] == input[i + d] { d += 1 }
                    guard d == length else { return }
                } else {
                    guard memcmp(chainBytes.baseAddress! + c0, input.baseAddress! + i, length) == 0 else { return }
                }
                i += length
            }
            for v in Int(valueStart[node])..<Int(valueStart[node + 1]) { body(Int(values[v]), i) }
            guard i < n else { return }
            guard let e = GlobNFAView.literalEdge(litStart, litBytes, node: node, byte: input[i]) else { return }
            node = Int(litTargets[e])
            i += 1
        }
    }

    /// Appends the entries of `slot` whose remainder is in `matched` (sorted remainder indexes,
    /// kept bits `mask`).
    @inline(__always)
    func appendEntries(slot: Int, matched: UnsafeBufferPointer<UInt32>, mask: UInt32 = .max, to out: inout [UInt32]) {
        let lo0 = Int(pairStart[slot]), hi0 = Int(pairStart[slot + 1])
        let local = pairLocal.buffer, entry = pairEntry.buffer
        for tagged in matched {
            let m = tagged & mask
            // First pair with remainder m, by binary search: a group can hold thousands.
            var lo = lo0, hi = hi0
            while lo < hi {
                let mid = (lo + hi) >> 1
                if local[mid] < m { lo = mid + 1 } else { hi = mid }
            }
            while lo < hi0, local[lo] == m {
                out.append(entry[lo])
                lo += 1
            }
        }
    }

    /// Appends the entries whose whole pattern is the prefix of `slot`.
    @inline(__always)
    func appendExact(slot: Int, to out: inout [UInt32]) {
        for k in Int(exactStart[slot])..<Int(exactStart[slot + 1]) { out.append(exactEntries[k]) }
    }
}

/// Distinct pattern slices, numbered in order of first appearance. Keys carry a hash computed
/// once by a cheap mix of the elements: hashing slices through `Hasher`, element by element,
/// was most of `PrefixSplit.init`.
private struct SliceInterner {
    private(set) var slices: [ArraySlice<GlobElement>] = []
    private var ids: [Key: Int] = [:]

    init(capacity: Int) { ids.reserveCapacity(capacity) }

    /// The slice's number, and whether this call gave it one.
    mutating func intern(_ slice: ArraySlice<GlobElement>) -> (id: Int, isNew: Bool) {
        let key = Key(slice)
        if let id = ids[key] { return (id, false) }
        ids[key] = slices.count
        slices.append(slice)
        return (slices.count - 1, true)
    }

    private struct Key: Hashable {
        let slice: ArraySlice<GlobElement>
        let hash: UInt64

        init(_ slice: ArraySlice<GlobElement>) {
            self.slice = slice
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            func mix(_ v: UInt64) { h = (h ^ v) &* 0x100_0000_01B3 }
            for e in slice {
                switch e {
                case .byte(let b): mix(UInt64(b))
                case .any: mix(256)
                case .star: mix(257)
                case .set(let s): mix(258); mix(s.w0); mix(s.w1); mix(s.w2); mix(s.w3)
                }
            }
            hash = h
        }

        static func == (a: Key, b: Key) -> Bool { a.hash == b.hash && a.slice == b.slice }
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }
}
