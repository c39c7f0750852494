extension IndexFile {
    /// Every index the arrays hold is checked against the array it points into, so even a
    /// file with a valid checksum but wrong contents cannot make a lookup read out of bounds.
    static func validate(_ index: AliasIndex) throws(Failure) {
        try validate(index.names, modules: index.modules.count, "names")
        try validate(index.aliases, modules: index.modules.count, "aliases")
        try validate(index.symbols, modules: index.modules.count, "symbols")
        try validate(index.builtinNames, modules: index.builtinModules.count, "builtin names")
        try validate(index.builtinAliases, modules: index.builtinModules.count, "builtin aliases")
    }

    static func validate(_ s: GlobSet, modules: Int, _ what: String) throws(Failure) {
        func check(_ ok: Bool, _ detail: @autoclosure () -> String) throws(Failure) {
            if !ok { throw .invalid("\(what): \(detail())") }
        }
        let p = s.split
        let slots = p.slotRoot.count
        try validate(p.trie, values: slots, "\(what) prefixes")
        // Forest values are remainder indexes, compared with pairLocal; below 2^28, since a
        // walk keeps a tag in the top bits beside them.
        try validate(p.forest, values: 1 << 28, "\(what) remainders")
        try check(p.slotRoot.buffer.allSatisfy { $0 == GlobNFA.none || Int($0) < p.forest.nodeCount }, "slot root")
        try check(p.exactStart.count == slots + 1 && p.exactStart.areEndOffsets(within: p.exactEntries.count), "exact offsets")
        try check(p.pairStart.count == slots + 1 && p.pairLocal.count == p.pairEntry.count
                  && p.pairStart.areEndOffsets(within: p.pairLocal.count), "pair offsets")
        try check(p.exactEntries.buffer.allSatisfy { Int($0) < s.entries.count }
                  && p.pairEntry.buffer.allSatisfy { Int($0) < s.entries.count }, "slot entry")
        try check(s.entries.modules.buffer.allSatisfy { Int($0) < modules }, "module id")
        try check(s.fallback.allSatisfy { Int($0.entry) < s.entries.count && Int($0.prefix) <= s.entries.pattern(Int($0.entry)).count },
                  "fallback entry")
    }

    /// The bounds of one trie: every offset and node id within its arrays, values below `values`.
    static func validate(_ n: GlobNFA, values valueLimit: Int, _ what: String) throws(Failure) {
        let count = n.starChild.count
        // The detail is built only on failure: these checks run per node on every open.
        func check(_ ok: Bool, _ detail: @autoclosure () -> String) throws(Failure) {
            if !ok { throw .invalid("\(what): \(detail())") }
        }
        // Raw buffers and no early exits: these loops run over every node on each open, and
        // in this form they vectorize.
        func ranges(_ array: IndexArray<UInt32>, _ total: Int, _ name: String) throws(Failure) {
            let starts = array.buffer
            try check(starts.count == count + 1 && starts.first == 0 && Int(starts.last ?? 1) == total, "\(name) offsets")
            var descending: UInt32 = 0
            for i in 0..<count { descending |= starts[i] > starts[i + 1] ? 1 : 0 }
            try check(descending == 0, "\(name) offsets")
        }
        func below(_ array: IndexArray<UInt32>, _ limit: Int) -> Bool {
            var top: UInt32 = 0
            for v in array.buffer { top = max(top, v) }
            return array.isEmpty || Int(top) < limit
        }
        try check(count >= 1 && count < 1 << 24, "node count")
        try ranges(n.chainStart, n.chainBytes.count, "chain")
        let chains = n.chainStart.buffer
        var longest: UInt32 = 0
        for i in 0..<count { longest = max(longest, chains[i + 1] &- chains[i]) }
        try check(Int(longest) <= GlobNFA.maxChain, "chain length")
        try check(n.selfLoop.count == count, "loop flags")
        try check(n.litBytes.count == n.litTargets.count && n.wildCodes.count == n.wildTargets.count, "edge arrays")
        try ranges(n.litStart, n.litBytes.count, "literal edge")
        try ranges(n.wildStart, n.wildCodes.count, "wildcard edge")
        try ranges(n.valueStart, n.values.count, "value")
        try check(below(n.litTargets, count) && below(n.wildTargets, count), "edge target")
        // `none` is UInt32.max, so `v &+ 1` maps it to 0 and every node id n to n + 1.
        var topStar: UInt32 = 0
        for v in n.starChild.buffer { topStar = max(topStar, v &+ 1) }
        try check(Int(topStar) <= count, "star edge target")
        try check(n.wildCodes.buffer.allSatisfy { $0 == GlobNFA.anyCode || ($0 >= GlobNFA.setBase && Int($0 - GlobNFA.setBase) < n.sets.count) },
                  "wildcard edge label")
        try check(below(n.values, valueLimit), "value")
    }
}
