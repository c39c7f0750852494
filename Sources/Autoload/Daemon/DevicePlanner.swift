import AliasMatcher

/// One device's modules, as udev's 80-drivers.rules would load them on `add`: its MODALIAS
/// through the lookup (blacklist alias-only, builtin skipped), plus the rules' named loads;
/// then each module to load is offered to the queue, which knows what is loading or loaded.
enum DevicePlanner {
    /// The 80-drivers.rules named loads for a kernel event (subsystem, kernel name, fields).
    static func namedLoads(for message: UeventMessage) -> [String] {
        let subsystem = message.value("SUBSYSTEM").map { String(decoding: $0, as: UTF8.self) }
        let kernel = String(decoding: message.kernelName, as: UTF8.self)
        var environment: [String: String]? = nil
        var out = [String]()
        for rule in DriverLoadRule.systemd {
            // Most events match no rule's subsystem: skip building the field map for them.
            if let s = rule.subsystem, s != subsystem { continue }
            if environment == nil {
                var env = [String: String]()
                for f in message.fields {
                    env[String(decoding: f.key, as: UTF8.self)] = String(decoding: f.value, as: UTF8.self)
                }
                environment = env
            }
            if rule.matches(subsystem: subsystem, kernel: kernel, environment: environment!) {
                out += rule.modules
            }
        }
        return out
    }

    /// Fills `device.modules` (and `invalid`); true when the queue was full for some module.
    static func plan(_ device: inout DaemonEvent.Device, resolver: FreshResolver, queue: LoadQueue) -> Bool {
        var plan = LoadPlan()
        var inputs = device.namedLoads.map { Array($0.utf8) }
        if let m = device.modalias { inputs.insert(m, at: 0) }
        plan.add(inputs, lookup: resolver.lookup, blacklist: resolver.blacklist, loaded: [])
        if let bad = plan.invalid.first { device.invalid = bad.reason }
        var full = false
        for m in plan.modules {
            var decision = DaemonEvent.ModuleDecision(module: m.name, decision: m.decision, admission: nil)
            if m.decision == .load {
                let admission = queue.enqueue(m.name)
                decision.admission = admission
                if admission == .full { full = true }
            }
            device.modules.append(decision)
        }
        return full
    }
}
