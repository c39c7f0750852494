import AliasMatcher

/// What the daemon decided, one value per decision, for logs and `--dry-run --json`.
public enum DaemonEvent: Sendable {
    /// Where a device's MODALIAS came from.
    public enum Origin: String, Sendable {
        case uevent, coldplug, resync
    }

    /// One module a device needs, and what became of it.
    public struct ModuleDecision: Sendable {
        public var module: String
        /// "load", "builtin" or "blacklisted" (LoadPlan's decision).
        public var decision: PlannedModule.Decision
        /// For `load`: queued now, or already queued / loaded. nil otherwise.
        public var admission: LoadQueue.Admission?
    }

    public struct Device: Sendable {
        public var origin: Origin
        public var action: [UInt8]
        public var devpath: [UInt8]
        /// nil when the event carries none (it may still need a named load).
        public var modalias: [UInt8]?
        /// Modules 80-drivers.rules loads by name for this device.
        public var namedLoads: [String]
        public var modules: [ModuleDecision]
        /// Set when the MODALIAS is one libkmod would refuse (EINVAL, ENAMETOOLONG).
        public var invalid: String?
        public var seqnum: [UInt8]?
    }

    public struct Counters: Sendable {
        public var accepted = 0, ignored = 0, rejected = 0, resyncs = 0, lookups = 0
        public var rejectedByKind: [String: Int] = [:]
        public var loads = LoadQueue.Counters()
    }

    case listening(receiveBufferBytes: Int, forced: Bool)
    /// An `add` (or coldplug / resync) device and the modules it needs.
    case device(Device)
    /// An accepted kernel event that needs nothing (not `add`, no MODALIAS, no named load).
    case ignored(action: [UInt8], devpath: [UInt8])
    case rejected(UeventRejection)
    /// A walk of /sys started because messages may be lost (ENOBUFS, a receive error, a full
    /// queue) or at start.
    case resync(reason: String, modaliases: Int, seconds: Double)
    case loaded(ModuleLoader.Result)
    case ready(seconds: Double)
    case reloaded(notes: [String])
    case reloadFailed(reason: String)
    case stopping(signal: Int32, counters: Counters)
    case error(String)
}
