import AliasMatcher

/// One device's modules, as udev's 80-drivers.rules would load them on `add`: every MODALIAS
/// value through the lookup, plus the rules' named loads, into a plan (the run's, or one per
/// event), with udev's blacklist and builtin decisions.
public struct DevicePlanner: Sendable {
    public var rules: DriverLoadRules
    /// Where no MODALIAS value of a device matches anything, look up the `of:` string its
    /// OF_* fields make (`DeviceEvent.deviceTreeModalias`). Off = exactly udev's rules.
    public var deviceTreeFallback: Bool

    public init(rules: DriverLoadRules, deviceTreeFallback: Bool = true) {
        self.rules = rules
        self.deviceTreeFallback = deviceTreeFallback
    }

    /// What one device needs.
    public struct DevicePlan: Sendable {
        public var modaliases: [[UInt8]]
        /// Modules the rules load by name for it.
        public var named: [String]
        /// Each module its inputs name, with the decision, and whether the plan is new to it.
        public var modules: [(module: PlannedModule, isNew: Bool)]
        /// Set when a MODALIAS is one libkmod would refuse (EINVAL, ENAMETOOLONG).
        public var invalid: String?
        /// The `of:` string looked up because no MODALIAS value matched, when it matched.
        public var deviceTreeFallback: [UInt8]?
        public var isEmpty: Bool { modaliases.isEmpty && named.isEmpty }
    }

    public func plan(_ event: DeviceEvent, lookup: AliasLookup, blacklist: Set<String>,
                     loaded: Set<String> = [], into plan: inout LoadPlan) -> DevicePlan {
        let modaliases = event.modaliases
        let named = rules.loads(for: event)
        var out = DevicePlan(modaliases: modaliases, named: named, modules: [])
        guard !out.isEmpty else { return out }
        let invalidBefore = plan.invalid.count, unmatchedBefore = plan.unmatched.count
        out.modules = plan.add(modaliases + named.map { Array($0.utf8) }, lookup: lookup,
                               blacklist: blacklist, loaded: loaded)
        if plan.invalid.count > invalidBefore { out.invalid = plan.invalid[invalidBefore].reason }
        if deviceTreeFallback, !modaliases.isEmpty, plan.unmatched.count - unmatchedBefore == modaliases.count,
           let of = event.deviceTreeModalias, !modaliases.contains(of),
           case .success(let match) = lookup.lookup(of), match.source != nil {
            out.modules += plan.add([of], lookup: lookup, blacklist: blacklist, loaded: loaded)
            plan.deviceTreeFallbacks.append((of, modaliases))
            out.deviceTreeFallback = of
        }
        return out
    }
}
