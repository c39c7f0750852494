import AliasMatcher

/// What the engine decided, one value per decision, for logs, `--json` and `--explain`.
public enum EngineEvent: Sendable {
    /// One module a device needs, and what became of it.
    public struct ModuleDecision: Sendable {
        public var module: String
        /// load, builtin, already loaded or blacklisted (the plan's decision).
        public var decision: PlannedModule.Decision
        /// For `load`: queued now, or already queued / loaded. nil otherwise.
        public var admission: LoadPool.Admission?
    }

    public struct Device: Sendable {
        public var origin: DeviceEvent.Origin
        public var action: [UInt8]
        public var devpath: [UInt8]
        /// Every MODALIAS value (none: it may still need a named load).
        public var modaliases: [[UInt8]]
        /// Modules udev's rules load by name for this device.
        public var namedLoads: [String]
        public var modules: [ModuleDecision]
        /// Set when a MODALIAS is one libkmod would refuse (EINVAL, ENAMETOOLONG).
        public var invalid: String?
        public var seqnum: [UInt8]?
        /// The `of:` string looked up because no MODALIAS value matched.
        public var deviceTreeFallback: [UInt8]? = nil
    }

    public struct Counters: Sendable {
        public var accepted = 0, ignored = 0, rejected = 0, resyncs = 0, lookups = 0
        public var rejectedByKind: [String: Int] = [:]
        public var loads = LoadPool.Counters()
    }

    case listening(receiveBufferBytes: Int, forced: Bool)
    /// An `add` (or walked) device and the modules it needs.
    case device(Device)
    /// An accepted kernel event that needs nothing (not `add`, no MODALIAS, no named load).
    case ignored(action: [UInt8], devpath: [UInt8])
    case rejected(UeventRejection)
    /// A walk of /sys: the first one, or because messages may be lost (ENOBUFS, a receive
    /// error, a full queue), or because there is no uevent socket.
    case resync(reason: String, modaliases: Int, seconds: Double)
    case loaded(LoadResult)
    /// A load whose init has not returned after a while (repeated while it runs).
    case stillLoading(LoadInFlight)
    /// The first coldplug settled (or its deadline passed with these loads still running).
    case ready(seconds: Double, loading: [LoadInFlight])
    case reloaded(notes: [String])
    case reloadFailed(reason: String)
    /// Stopping: `abandoned` are loads still running, left to finish without us.
    case stopping(signal: Int32, counters: Counters, abandoned: [LoadInFlight])
    case error(String)
}
