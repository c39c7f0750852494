/// Where depmod's index trie (libkmod-index.c) branches, for one index's set of keys.
///
/// libkmod's wildcard search walks the trie by the input's bytes. At a branch point it runs
/// fnmatch on the `*`, `?` and `[` children *and* still follows the child named by the input
/// byte, even when that byte is itself `*`, `?` or `[`. So an input that spells a pattern's
/// wildcard literally, at a branch point, keeps walking and can match where fnmatch alone
/// would not (`acme:id[a-f]9x` matches the key `acme:id[a-f]*`). Inside a node's shared
/// prefix there is no such second path. A branch point at depth d on a key's path exists
/// exactly when some other key shares the first d bytes and differs at byte d (or ends there);
/// the root (d = 0) is always one.
struct KeyTrieShape {
    private let keys: [[UInt8]]

    init(keys: [[UInt8]]) {
        var sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
        var unique = [[UInt8]]()
        unique.reserveCapacity(sorted.count)
        for k in sorted where unique.last != k { unique.append(k) }
        sorted = []
        self.keys = unique
    }

    /// Whether the trie branches at depth `d` on the path of `key` (a member of the set).
    func branches(_ key: [UInt8], at d: Int) -> Bool {
        if d == 0 { return true }
        let prefix = key[..<d]
        // Keys with this prefix form one sorted run [lo, hi).
        let lo = partition { !$0.lexicographicallyPrecedes(prefix) }
        let hi = partition { !$0.prefix(d).lexicographicallyPrecedes(prefix) && !$0.starts(with: prefix) }
        guard lo < hi else { return false }
        let first = keys[lo], last = keys[hi - 1]
        return first.count == d || last.count == d || first[d] != last[d]
    }

    /// First index whose key satisfies `p` (keys are sorted and `p` is monotone).
    private func partition(_ p: ([UInt8]) -> Bool) -> Int {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if p(keys[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The literal-prefix lengths under which libkmod can match `key`: its first wildcard,
    /// then each later wildcard reached through branch points only, then the whole key when
    /// every wildcard sits at a branch point. A key without wildcards has just its length.
    func literalPrefixes(of key: [UInt8]) -> [Int] {
        var out = [Int]()
        for (i, c) in key.enumerated() where GlobPattern.isWildcard(c) {
            out.append(i)
            if !branches(key, at: i) { return out }
        }
        out.append(key.count)
        return out
    }
}
