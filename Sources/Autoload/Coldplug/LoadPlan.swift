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

/// MODALIAS strings to the modules to load, each planned once however many devices need it
/// (as udev's kmod builtin would call modprobe for each): blacklist with modprobe's
/// alias-only meaning, builtin and already-loaded modules skipped.
public struct LoadPlan: Sendable {
    public var modules: [PlannedModule] = []
    /// MODALIAS strings no source resolved.
    public var unmatched: [[UInt8]] = []
    /// MODALIAS strings libkmod would refuse (unmatched brackets, too long), with why.
    public var invalid: [(modalias: [UInt8], reason: String)] = []

    public init() {}

    public var toLoad: [String] { modules.filter { $0.decision == .load }.map(\.name) }

    /// Adds the devices' MODALIAS strings to the plan.
    /// - Parameters:
    ///   - blacklist: modprobe.d `blacklist` names and `modprobe.blacklist=` (libkmod's config).
    ///   - loaded: names in /proc/modules.
    public mutating func add(_ modaliases: [[UInt8]], lookup: AliasLookup, blacklist: Set<String>, loaded: Set<String>) {
        var position = [String: Int]()
        for (i, m) in modules.enumerated() { position[m.name] = i }
        for alias in modaliases {
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
                    modules[i].modaliases.append(alias)
                    continue
                }
                // modprobe applies the blacklist to alias lookups only, never to a module name.
                let viaAlias = source == .config || source == .symbol || source == .alias
                let decision: PlannedModule.Decision =
                    source == .builtinName || source == .builtinAlias ? .builtin
                    : loaded.contains(name) ? .loaded
                    : viaAlias && blacklist.contains(name) ? .blacklisted
                    : .load
                position[name] = modules.count
                modules.append(PlannedModule(name: name, decision: decision, source: source, modaliases: [alias]))
            }
        }
    }
}
