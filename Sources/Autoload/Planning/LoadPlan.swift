import AliasMatcher

/// What coldplug decided for one module, and why.
public struct PlannedModule: Sendable, Equatable {
    public enum Decision: String, Sendable {
        case load
        case builtin = "builtin"
        case loaded = "already loaded"
        case blacklisted = "blacklisted"
    }
    public var name: String
    public var decision: Decision
    /// The lookup source that named it for its first device.
    public var source: LookupSource
    /// The MODALIAS strings that need it.
    public var modaliases: [[UInt8]]
}

/// MODALIAS strings (and names) to the modules to load, each planned once however many
/// devices need it, as udev's kmod builtin decides: the blacklist applies to every load, named
/// ones too (`module_load_and_warn` passes KMOD_PROBE_APPLY_BLACKLIST), builtin and
/// already-loaded modules are skipped.
public struct LoadPlan: Sendable {
    public var modules: [PlannedModule] = []
    /// MODALIAS strings no source resolved.
    public var unmatched: [[UInt8]] = []
    /// MODALIAS strings libkmod would refuse (unmatched brackets, too long), with why.
    public var invalid: [(modalias: [UInt8], reason: String)] = []
    /// `of:` strings looked up for devices whose MODALIAS matched nothing, with those values.
    public var deviceTreeFallbacks: [(constructed: [UInt8], modaliases: [[UInt8]])] = []
    /// The static lists' names (modules-load.d, the kernel command line), in order, with
    /// where each was and the modules it named: none for a name that is not a module.
    public var staticLoads: [(entry: StaticModuleEntry, modules: [String])] = []

    /// Index of each module in `modules`.
    private var position: [String: Int] = [:]

    public init() {}

    public var toLoad: [String] { modules.filter { $0.decision == .load }.map(\.name) }

    /// Adds a static list's name as systemd-modules-load would load it (libkmod's lookup, the
    /// blacklist applied); it is recorded in `staticLoads`, not among the MODALIAS strings.
    @discardableResult
    public mutating func addStatic(_ entry: StaticModuleEntry, lookup: AliasLookup, blacklist: Set<String>,
                                   loaded: Set<String>) -> [(module: PlannedModule, isNew: Bool)] {
        let input = Array(entry.name.utf8)
        let (unmatchedBefore, invalidBefore) = (unmatched.count, invalid.count)
        let touched = add([input], lookup: lookup, blacklist: blacklist, loaded: loaded)
        // Not a MODALIAS: "not a module" is told by staticLoads' empty list instead.
        unmatched.removeSubrange(unmatchedBefore...)
        invalid.removeSubrange(invalidBefore...)
        for (m, _) in touched {
            if let i = position[m.name], let j = modules[i].modaliases.lastIndex(of: input) { modules[i].modaliases.remove(at: j) }
        }
        staticLoads.append((entry, touched.map(\.module.name)))
        return touched
    }

    /// Adds MODALIAS strings (or module names) to the plan; returns, for these inputs, each
    /// module they name with its decision, and whether the plan had it before.
    /// - Parameters:
    ///   - blacklist: modprobe.d `blacklist` names and `modprobe.blacklist=` (libkmod's config).
    ///   - loaded: names in /proc/modules.
    @discardableResult
    public mutating func add(_ inputs: [[UInt8]], lookup: AliasLookup, blacklist: Set<String>,
                             loaded: Set<String>) -> [(module: PlannedModule, isNew: Bool)] {
        if position.count != modules.count {
            for (i, m) in modules.enumerated() { position[m.name] = i }
        }
        var touched = [(module: PlannedModule, isNew: Bool)]()
        for alias in inputs {
            let match: LookupMatch
            switch lookup.lookup(alias) {
            case .failure(let e):
                invalid.append((alias, e.description))
                continue
            case .success(let m): match = m
            }
            guard let source = match.source else {
                unmatched.append(alias)
                continue
            }
            for name in match.modules {
                if let i = position[name] {
                    if !modules[i].modaliases.contains(alias) { modules[i].modaliases.append(alias) }
                    if !touched.contains(where: { $0.module.name == name }) { touched.append((modules[i], false)) }
                    continue
                }
                let decision: PlannedModule.Decision =
                    source == .builtinName || source == .builtinAlias ? .builtin
                    : loaded.contains(name) ? .loaded
                    : blacklist.contains(name) ? .blacklisted
                    : .load
                position[name] = modules.count
                let planned = PlannedModule(name: name, decision: decision, source: source, modaliases: [alias])
                modules.append(planned)
                touched.append((planned, true))
            }
        }
        return touched
    }
}
