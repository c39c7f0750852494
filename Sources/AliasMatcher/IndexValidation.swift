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
        let n = s.nfa
        let count = n.starChild.count
        // The detail is built only on failure: these checks run per node on every open.
        func check(_ ok: Bool, _ detail: @autoclosure () -> String) throws(Failure) {
            if !ok { throw .invalid("\(what): \(detail())") }
        }
        func ranges(_ starts: [UInt32], _ total: Int, _ name: String) throws(Failure) {
            try check(starts.count == count + 1 && starts.first == 0 && Int(starts.last ?? 1) == total, "\(name) offsets")
            for i in 0..<count { try check(starts[i] <= starts[i + 1], "\(name) offsets") }
        }
        try check(count >= 1 && count < 1 << 24, "node count")
        try ranges(n.chainStart, n.chainBytes.count, "chain")
        for i in 0..<count { try check(n.chainLength(i) <= GlobNFA.maxChain, "chain length") }
        try check(n.selfLoop.count == count, "loop flags")
        try check(n.litBytes.count == n.litTargets.count && n.wildCodes.count == n.wildTargets.count, "edge arrays")
        try ranges(n.litStart, n.litBytes.count, "literal edge")
        try ranges(n.wildStart, n.wildCodes.count, "wildcard edge")
        try ranges(n.valueStart, n.values.count, "value")
        try check(n.litTargets.allSatisfy { Int($0) < count } && n.wildTargets.allSatisfy { Int($0) < count }, "edge target")
        try check(n.starChild.allSatisfy { $0 == GlobNFA.none || Int($0) < count }, "star edge target")
        try check(n.wildCodes.allSatisfy { $0 == GlobNFA.anyCode || ($0 >= GlobNFA.setBase && Int($0 - GlobNFA.setBase) < n.sets.count) },
                  "wildcard edge label")
        try check(n.values.allSatisfy { Int($0) < s.entries.count }, "value")
        try check(s.entries.modules.allSatisfy { Int($0) < modules }, "module id")
        try check(s.fallback.allSatisfy { Int($0.entry) < s.entries.count && Int($0.prefix) <= s.entries.pattern(Int($0.entry)).count },
                  "fallback entry")
    }
}
