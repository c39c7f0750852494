/// The compiled, immutable patterns of one lookup source: the trie, what each pattern yields,
/// and the few patterns only fnmatch(3) itself can judge. It is what the index file stores.
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

    public internal(set) var nfa: GlobNFA
    public internal(set) var entries: [Entry]
    /// Entries whose pattern is `GlobPattern.irregular`, with its literal prefix length.
    public internal(set) var fallback: [(entry: UInt32, prefix: UInt32)]
    public let syntax: GlobPattern.Syntax

    public static func == (a: GlobSet, b: GlobSet) -> Bool {
        a.syntax == b.syntax && a.nfa == b.nfa && a.entries == b.entries
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
        self.nfa = GlobNFA(patterns: patterns, entries: ids)
        self.entries = entries
        self.fallback = fallback
    }

    init(nfa: GlobNFA, entries: [Entry], fallback: [(entry: UInt32, prefix: UInt32)], syntax: GlobPattern.Syntax) {
        self.syntax = syntax
        self.nfa = nfa; self.entries = entries; self.fallback = fallback
    }

    /// The entries whose pattern matches `input` (already normalized), by plain NFA
    /// simulation with no cache: slower than `GlobAutomaton`, used to explain a match.
    public func matchingEntries(_ input: [UInt8]) -> [UInt32] {
        var live = closure([0])
        for b in input {
            var next = [UInt32]()
            for n in live { next.append(contentsOf: nfa.successors(of: n, on: b)) }
            live = closure(next)
            if live.isEmpty { break }
        }
        var found = [UInt32]()
        for n in live {
            found.append(contentsOf: nfa.values[Int(nfa.valueStart[Int(n)])..<Int(nfa.valueStart[Int(n) + 1])])
        }
        for f in fallback where GlobFallback.matches(entries[Int(f.entry)].pattern, prefix: Int(f.prefix), input) {
            found.append(f.entry)
        }
        return found.sorted { (entries[Int($0)].order, $0) < (entries[Int($1)].order, $1) }
    }

    private func closure(_ nodes: [UInt32]) -> [UInt32] {
        var seen = Set<UInt32>(), out = [UInt32]()
        for n in nodes where seen.insert(n).inserted {
            out.append(n)
            let s = nfa.starChild[Int(n)]
            if s != GlobNFA.none, seen.insert(s).inserted { out.append(s) }
        }
        return out
    }
}

extension GlobNFA {
    /// The nodes one byte leads to from `n`, before the `*` closure.
    @inline(__always)
    func successors(of n: UInt32, on b: UInt8) -> [UInt32] {
        var out = [UInt32]()
        let i = Int(n)
        if selfLoop[i] != 0 { out.append(n) }
        if let t = literalChild(of: i, b) { out.append(t) }
        for k in Int(wildStart[i])..<Int(wildStart[i + 1]) {
            let c = wildCodes[k]
            if c == GlobNFA.anyCode || sets[Int(c - GlobNFA.setBase)].contains(b) { out.append(wildTargets[k]) }
        }
        return out
    }

    @inline(__always)
    func literalChild(of i: Int, _ b: UInt8) -> UInt32? {
        var lo = Int(litStart[i]), hi = Int(litStart[i + 1])
        while lo < hi {
            let mid = (lo + hi) >> 1
            let m = litBytes[mid]
            if m == b { return litTargets[mid] }
            if m < b { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }
}
