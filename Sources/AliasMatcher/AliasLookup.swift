/// The modprobe.d facts the lookup needs, as libkmod's config API reports them (the caller
/// fetches them through libkmod; this module has no parser of its own for them).
public struct LookupConfig: Sendable, Equatable {
    public struct Alias: Sendable, Equatable {
        public var pattern: String
        public var module: String
        public init(pattern: String, module: String) { self.pattern = pattern; self.module = module }
    }
    /// `alias` lines in libkmod's order.
    public var aliases: [Alias]
    /// Modules with an `install` line, then those with a `remove` line, in libkmod's order.
    public var installModules: [String]
    public var removeModules: [String]

    public init(aliases: [Alias] = [], installModules: [String] = [], removeModules: [String] = []) {
        self.aliases = aliases; self.installModules = installModules; self.removeModules = removeModules
    }
}

/// Where a lookup's answer came from, in the order libkmod asks
/// (`kmod_module_new_from_lookup()`): the first source that yields anything wins.
public enum LookupSource: String, Sendable, CaseIterable {
    case config = "modprobe.d alias"
    case moduleName = "modules.dep"
    case symbol = "modules.symbols"
    case command = "modprobe.d install/remove"
    case alias = "modules.alias"
    case builtinName = "modules.builtin"
    case builtinAlias = "modules.builtin.modinfo"
}

public struct LookupMatch: Sendable, Equatable {
    public var source: LookupSource?
    /// Module names, each once, in libkmod's order.
    public var modules: [String]

    public init(source: LookupSource?, modules: [String]) {
        self.source = source
        self.modules = modules
    }
}

public enum LookupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libkmod's -EINVAL: the input has a stray `]` or an unclosed `[`.
    case invalidAlias(AliasNormalizer.Failure)
    /// libkmod's -ENAMETOOLONG: module name plus alias exceed PATH_MAX for some match.
    case nameTooLong(module: String)

    public var description: String {
        switch self {
        case .invalidAlias(let f): return "invalid alias: \(f)"
        case .nameTooLong(let m): return "module \(m) with this alias is longer than PATH_MAX"
        }
    }
}

/// Runs libkmod's whole lookup order over an `AliasIndex` and a `LookupConfig`.
/// Holds lazily built DFAs, so it is not Sendable: one per thread.
public final class AliasLookup {
    public let index: AliasIndex
    public let config: LookupConfig
    /// nil without modprobe.d `alias` lines, the usual case: no automaton to build.
    private let configAliases: GlobAutomaton?
    private let names: GlobAutomaton
    private let symbols: GlobAutomaton
    private let aliases: GlobAutomaton
    private let builtinNames: GlobAutomaton
    private let builtinAliases: GlobAutomaton
    private let install: [[UInt8]]
    private let remove: [[UInt8]]

    static let pathMax = 4096
    static let symbolPrefix = Array("symbol:".utf8)

    public init(index: AliasIndex, config: LookupConfig = LookupConfig(), maxStates: Int = 1 << 17) {
        self.index = index
        self.config = config
        // libkmod's config parser already turned '-' into '_' outside brackets.
        let configEntries = config.aliases.enumerated().map { i, a in
            GlobSet.Entry(module: UInt32(i), order: UInt32(i), pattern: Array(a.pattern.utf8))
        }
        configAliases = configEntries.isEmpty ? nil
            : GlobAutomaton(GlobSet(entries: configEntries, syntax: .fnmatch), maxStates: maxStates)
        names = GlobAutomaton(index.names, maxStates: maxStates)
        symbols = GlobAutomaton(index.symbols, maxStates: maxStates)
        aliases = GlobAutomaton(index.aliases, maxStates: maxStates)
        builtinNames = GlobAutomaton(index.builtinNames, maxStates: maxStates)
        builtinAliases = GlobAutomaton(index.builtinAliases, maxStates: maxStates)
        install = config.installModules.map { Array($0.utf8) }
        remove = config.removeModules.map { Array($0.utf8) }
    }

    private var automata: [GlobAutomaton] { [configAliases, names, symbols, aliases, builtinNames, builtinAliases].compactMap { $0 } }

    /// Total DFA cache resets so far, across sources.
    public var cacheFlushes: Int {
        automata.reduce(0) { $0 + $1.flushes }
    }

    /// DFA states currently cached, across sources.
    public var cachedStates: Int {
        automata.reduce(0) { $0 + $1.stateCount }
    }

    public func lookup(_ alias: String) -> Result<LookupMatch, LookupError> {
        lookup(Array(alias.utf8))
    }

    /// Looks up one alias (a MODALIAS, a module name, `symbol:NAME`, …) given as raw bytes.
    public func lookup(_ raw: [UInt8]) -> Result<LookupMatch, LookupError> {
        let name: [UInt8]
        switch AliasNormalizer.normalize(raw) {
        case .failure(let f): return .failure(.invalidAlias(f))
        case .success(let n): name = n
        }
        return name.withUnsafeBufferPointer { input -> Result<LookupMatch, LookupError> in
            var ids = configAliases?.modules(matching: input) ?? []
            if !ids.isEmpty {
                let mods = ids.map { config.aliases[Int($0)].module }
                for (i, m) in zip(ids, mods) where m.utf8.count + config.aliases[Int(i)].pattern.utf8.count + 2 > Self.pathMax {
                    return .failure(.nameTooLong(module: m))
                }
                return .success(LookupMatch(source: .config, modules: mods))
            }
            // Module names never hold ':' (libkmod returns early on one).
            if !name.contains(UInt8(ascii: ":")) {
                ids = names.modules(matching: input)
                if !ids.isEmpty { return .success(LookupMatch(source: .moduleName, modules: ids.map { index.modules[Int($0)] })) }
            }
            if name.starts(with: Self.symbolPrefix) {
                ids = symbols.modules(matching: input)
                if !ids.isEmpty { return matched(.symbol, ids.map { index.modules[Int($0)] }, aliasLength: name.count) }
            }
            if let m = install.first(where: { $0 == name }) ?? remove.first(where: { $0 == name }) {
                return .success(LookupMatch(source: .command, modules: [String(decoding: m, as: UTF8.self)]))
            }
            ids = aliases.modules(matching: input)
            if !ids.isEmpty { return matched(.alias, ids.map { index.modules[Int($0)] }, aliasLength: name.count) }
            ids = builtinNames.modules(matching: input)
            if !ids.isEmpty {
                return .success(LookupMatch(source: .builtinName, modules: ids.map { index.builtinModules[Int($0)] }))
            }
            ids = builtinAliases.modules(matching: input)
            if !ids.isEmpty {
                return matched(.builtinAlias, ids.map { index.builtinModules[Int($0)] }, aliasLength: name.count)
            }
            return .success(LookupMatch(source: nil, modules: []))
        }
    }

    /// `kmod_module_new_from_alias()` refuses a module whose name and alias exceed PATH_MAX,
    /// which fails the whole lookup.
    private func matched(_ source: LookupSource, _ modules: [String], aliasLength: Int) -> Result<LookupMatch, LookupError> {
        for m in modules where m.utf8.count + aliasLength + 2 > Self.pathMax {
            return .failure(.nameTooLong(module: m))
        }
        return .success(LookupMatch(source: source, modules: modules))
    }
}

@available(*, unavailable)
extension AliasLookup: Sendable {}
