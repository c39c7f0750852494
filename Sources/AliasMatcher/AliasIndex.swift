import LinuxSystem

/// Everything libkmod's lookup reads from a module tree, compiled: one `GlobSet` per source.
/// Immutable and Sendable; `AliasLookup` runs it. Built from text (`init(tree:)`) or opened
/// from the compiled index file (`IndexFile`).
public struct AliasIndex: Sendable, Equatable {
    /// Loadable modules in modules.dep order; a module's id is its libkmod priority.
    public internal(set) var modules: NameTable
    /// Exact module names (modules.dep) → module id.
    public internal(set) var names: GlobSet
    public internal(set) var aliases: GlobSet
    public internal(set) var symbols: GlobSet
    /// Builtin module names as the lookups return them; ids for the two builtin sets.
    public internal(set) var builtinModules: NameTable
    public internal(set) var builtinNames: GlobSet
    public internal(set) var builtinAliases: GlobSet
    /// The stamps of `ModuleTreeText.sources` when the index was built.
    public internal(set) var stamps: [FileStamp]
    public internal(set) var diagnostics: [String]

    /// Reads and compiles the text files of `directory`.
    public init(directory: String) throws(TreeError) {
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        // Stamp first: a file replaced while we read makes the next open rebuild, never the reverse.
        var stamps = [FileStamp]()
        for f in ModuleTreeText.sources { stamps.append(try FileStamp.of(dir + f)) }
        self.init(tree: try ModuleTreeText(directory: dir), stamps: stamps)
    }

    public init(tree: ModuleTreeText, stamps: [FileStamp] = []) {
        var diagnostics = tree.diagnostics
        var moduleIds = [[UInt8]: UInt32]()
        var modules = [String]()
        var nameEntries = [GlobSet.Entry]()
        for m in tree.modules where moduleIds[m] == nil {
            let id = UInt32(modules.count)
            moduleIds[m] = id
            modules.append(String(decoding: m, as: UTF8.self))
            nameEntries.append(.init(module: id, order: id, pattern: m))
        }
        // A pattern naming a module modules.dep lacks still resolves, after every known module.
        func id(_ m: [UInt8], _ what: String) -> UInt32 {
            if let id = moduleIds[m] { return id }
            let id = UInt32(modules.count)
            moduleIds[m] = id
            modules.append(String(decoding: m, as: UTF8.self))
            diagnostics.append("\(what): module \(String(decoding: m, as: UTF8.self)) is not in modules.dep")
            return id
        }
        func indexEntries(_ patterns: [ModuleTreeText.Pattern], _ file: String) -> [GlobSet.Entry] {
            let shape = KeyTrieShape(keys: patterns.map(\.pattern))
            var out = [GlobSet.Entry]()
            out.reserveCapacity(patterns.count)
            for p in patterns {
                let m = id(p.module, file)
                for l in shape.literalPrefixes(of: p.pattern) {
                    out.append(GlobSet.Entry(module: m, order: m, pattern: p.pattern, literalPrefix: UInt32(l)))
                }
            }
            return out
        }
        let aliasEntries = indexEntries(tree.aliases, ModuleTreeText.aliases)
        let symbolEntries = indexEntries(tree.symbols, ModuleTreeText.symbols)
        var builtinIds = [[UInt8]: UInt32]()
        var builtinModules = [String]()
        func builtinId(_ m: [UInt8]) -> UInt32 {
            if let id = builtinIds[m] { return id }
            let id = UInt32(builtinModules.count)
            builtinIds[m] = id
            builtinModules.append(String(decoding: m, as: UTF8.self))
            return id
        }
        let builtinNameEntries = tree.builtinModules.map { m in
            GlobSet.Entry(module: builtinId(m), order: 0, pattern: m)
        }
        let builtinShape = KeyTrieShape(keys: tree.builtinAliases.map(\.pattern))
        var builtinAliasEntries = [GlobSet.Entry]()
        for p in tree.builtinAliases {
            let m = builtinId(p.module)
            for l in builtinShape.literalPrefixes(of: p.pattern) {
                builtinAliasEntries.append(GlobSet.Entry(module: m, order: 0, pattern: p.pattern, literalPrefix: UInt32(l)))
            }
        }
        let orders = Self.builtinAliasOrders(builtinAliasEntries.map { ($0.pattern, Int($0.literalPrefix!)) })
        for i in builtinAliasEntries.indices { builtinAliasEntries[i].order = orders[i] }
        self.modules = NameTable(modules)
        self.names = GlobSet(entries: nameEntries, syntax: .literal)
        self.aliases = GlobSet(entries: aliasEntries, syntax: .kmodIndex)
        self.symbols = GlobSet(entries: symbolEntries, syntax: .kmodIndex)
        self.builtinModules = NameTable(builtinModules)
        self.builtinNames = GlobSet(entries: builtinNameEntries, syntax: .literal)
        self.builtinAliases = GlobSet(entries: builtinAliasEntries, syntax: .kmodIndex)
        self.stamps = stamps
        self.diagnostics = diagnostics
    }

    /// Every builtin alias has priority 0 in modules.builtin.alias.bin, so libkmod's order is
    /// its trie walk's (libkmod-index.c): a match found at a shallower depth is visited first
    /// (fnmatch starting at the literal prefix's end; an exact match after the wildcard
    /// children at its depth), then by key bytes, a key after the longer keys it prefixes
    /// (a node's values come after its children). Each visit is inserted ahead of earlier
    /// ones, while one key's values keep file order. The returned `order` sorts ascending into
    /// exactly that list.
    static func builtinAliasOrders(_ entries: [(pattern: [UInt8], literalPrefix: Int)]) -> [UInt32] {
        func depth(_ e: (pattern: [UInt8], literalPrefix: Int)) -> Int {
            2 * e.literalPrefix + (e.literalPrefix == e.pattern.count ? 1 : 0)
        }
        func visitedBefore(_ a: [UInt8], _ b: [UInt8]) -> Bool {
            var i = 0
            while i < a.count, i < b.count {
                if a[i] != b[i] { return a[i] < b[i] }
                i += 1
            }
            return a.count > b.count
        }
        let visit = entries.indices.sorted { x, y in
            let a = entries[x], b = entries[y]
            let da = depth(a), db = depth(b)
            if da != db { return da < db }
            if a.pattern == b.pattern { return x > y }  // reversed below: same key keeps file order
            return visitedBefore(a.pattern, b.pattern)
        }
        var orders = [UInt32](repeating: 0, count: entries.count)
        for (rank, i) in visit.enumerated() { orders[i] = UInt32(entries.count - 1 - rank) }
        return orders
    }
}

extension AliasIndex {
    /// Reassembles an index read from `IndexFile`.
    init(modules: NameTable, names: GlobSet, aliases: GlobSet, symbols: GlobSet, builtinModules: NameTable,
         builtinNames: GlobSet, builtinAliases: GlobSet, stamps: [FileStamp], diagnostics: [String]) {
        self.modules = modules; self.names = names; self.aliases = aliases; self.symbols = symbols
        self.builtinModules = builtinModules; self.builtinNames = builtinNames
        self.builtinAliases = builtinAliases; self.stamps = stamps; self.diagnostics = diagnostics
    }
}
