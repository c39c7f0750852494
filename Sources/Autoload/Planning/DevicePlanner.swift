import AliasMatcher

/// One device's modules, as udev's 80-drivers.rules would load them on `add`: every MODALIAS
/// value through the lookup, plus the rules' named loads, into a plan (the run's, or one per
/// event), with udev's blacklist and builtin decisions.
public struct DevicePlanner: Sendable {
    public var rules: DriverLoadRules

    public init(rules: DriverLoadRules) { self.rules = rules }

    /// What one device needs.
    public struct DevicePlan: Sendable {
        public var modaliases: [[UInt8]]
        /// Modules the rules load by name for it.
        public var named: [String]
        /// Each module its inputs name, with the decision, and whether the plan is new to it.
        public var modules: [(module: PlannedModule, isNew: Bool)]
        /// Set when a MODALIAS is one libkmod would refuse (EINVAL, ENAMETOOLONG).
        public var invalid: String?
        public var isEmpty: Bool { modaliases.isEmpty && named.isEmpty }
    }

    public func plan(_ event: DeviceEvent, lookup: AliasLookup, blacklist: Set<String>,
                     loaded: Set<String> = [], into plan: inout LoadPlan) -> DevicePlan {
        let modaliases = event.modaliases
        let named = rules.loads(for: event)
        var out = DevicePlan(modaliases: modaliases, named: named, modules: [])
        guard !out.isEmpty else { return out }
        let invalidBefore = plan.invalid.count
        out.modules = plan.add(modaliases + named.map { Array($0.utf8) }, lookup: lookup,
                               blacklist: blacklist, loaded: loaded)
        if plan.invalid.count > invalidBefore { out.invalid = plan.invalid[invalidBefore].reason }
        return out
    }
}
