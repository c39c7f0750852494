/// The compiled, immutable patterns of one lookup source: the prefix trie and remainder
/// forest (`PrefixSplit`), what each pattern yields, and the few patterns only fnmatch(3)
/// itself can judge. It is what the index file stores.
public struct GlobSet: Sendable, Equatable {
    /// One pattern line: which module it names and where it sorts in libkmod's result list.
    public struct Entry: Sendable, Equatable {
        public var module: UInt32
        public var order: UInt32
        public var pattern: [UInt8]
        /// For `.kmodIndex` patterns: bytes compared literally before fnmatch takes over;
        /// nil means up to the first wildcard.
        public var literalPrefix: UInt32?
        public init(module: UInt32, order: UInt32, pattern: [UInt8], literalPrefix: UInt32? = nil) {
            self.module = module; self.order = order; self.pattern = pattern; self.literalPrefix = literalPrefix
        }
    }

    var split: PrefixSplit
    public internal(set) var entries: EntryTable
    /// Entries whose pattern is `GlobPattern.irregular`, with its literal prefix length.
    public internal(set) var fallback: [(entry: UInt32, prefix: UInt32)]
    public let syntax: GlobPattern.Syntax

    /// Trie nodes (prefixes and remainders), the index's main size driver.
    public var nodeCount: Int { split.trie.nodeCount + split.forest.nodeCount }

    public static func == (a: GlobSet, b: GlobSet) -> Bool {
        a.syntax == b.syntax && a.split == b.split && a.entries == b.entries
            && a.fallback.map(\.entry) == b.fallback.map(\.entry)
            && a.fallback.map(\.prefix) == b.fallback.map(\.prefix)
    }

    /// Compiles normalized patterns. Patterns that can never match are dropped here.
    public init(entries: [Entry], syntax: GlobPattern.Syntax) {
        self.syntax = syntax
        var patterns = [[GlobElement]](), ids = [UInt32]()
        var fallback = [(entry: UInt32, prefix: UInt32)]()
        for (i, e) in entries.enumerated() {
            switch GlobPattern.compile(e.pattern, syntax: syntax, literalPrefix: e.literalPrefix.map(Int.init)) {
            case .elements(let el):
                patterns.append(el)
                ids.append(UInt32(i))
            case .never:
                break
            case .irregular(let prefix):
                fallback.append((UInt32(i), UInt32(prefix)))
            }
        }
        self.split = PrefixSplit(patterns: patterns, entries: ids)
        self.entries = EntryTable(entries)
        self.fallback = fallback
    }

    init(split: PrefixSplit, entries: EntryTable, fallback: [(entry: UInt32, prefix: UInt32)], syntax: GlobPattern.Syntax) {
        self.syntax = syntax
        self.split = split; self.entries = entries; self.fallback = fallback
    }

    /// The entries whose pattern matches `input` (already normalized), by plain NFA
    /// simulation with no cache: slower than `GlobAutomaton`, used to explain a match.
    public func matchingEntries(_ input: [UInt8]) -> [UInt32] {
        var found = [UInt32]()
        input.withUnsafeBufferPointer { buffer in
            split.forEachPrefix(of: buffer) { slot, at in
                if at == input.count { split.appendExact(slot: slot, to: &found) }
                let root = split.slotRoot[slot]
                guard root != GlobNFA.none else { return }
                let matched = split.forest.matching(root: root, input[at...])
                matched.withUnsafeBufferPointer { split.appendEntries(slot: slot, matched: $0, to: &found) }
            }
        }
        for f in fallback where GlobFallback.matches(Array(entries.pattern(Int(f.entry))), prefix: Int(f.prefix), input) {
            found.append(f.entry)
        }
        return found.sorted { (entries.order(Int($0)), $0) < (entries.order(Int($1)), $1) }
    }
}

extension GlobNFA {
    @inline(__always)
    func chainLength(_ n: Int) -> Int { Int(chainStart[n + 1] &- chainStart[n]) }

    /// The live states before any input, walking from `root`: it, and its `*` child.
    func startStates(root: UInt32) -> [UInt32] {
        var start = [UInt32]()
        withView { $0.enter(root, 0, into: &start) }
        canonical(&start)
        return start
    }

    /// The values at the states a walk from `root` over `input` ends in, each once.
    func matching(root: UInt32, _ input: ArraySlice<UInt8>) -> [UInt32] {
        var live = startStates(root: root)
        withView { view in
            for b in input {
                var next = [UInt32]()
                for s in live { view.step(s, b, into: &next) }
                canonical(&next)
                live = next
                if live.isEmpty { break }
            }
        }
        var found = [UInt32]()
        for s in live { found.append(contentsOf: values(at: s)) }
        canonical(&found)
        return found
    }

    /// Entry ids of the patterns that end at `state`.
    @inline(__always)
    func values(at state: UInt32, nodeMask: UInt32 = 0xFF_FFFF) -> Slice<IndexArray<UInt32>> {
        let n = Int((state >> 8) & nodeMask)
        guard Int(state & 255) == chainLength(n) else { return values[0..<0] }
        return values[Int(valueStart[n])..<Int(valueStart[n + 1])]
    }
}

/// Sorts and drops repeats: the canonical form of a DFA state's NFA state set.
func canonical(_ states: inout [UInt32]) {
    states.sort()
    var w = 0
    for r in states.indices where r == 0 || states[r] != states[r - 1] {
        states[w] = states[r]
        w += 1
    }
    states.removeLast(states.count - w)
}
