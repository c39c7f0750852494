/// One module to load, and why (the device or list line that needs it).
public struct LoadRequest: Sendable, Equatable {
    /// Which queue a load waits in.
    public enum Lane: Sendable, Equatable {
        /// Drivers of devices: first.
        case device
        /// Modules that never make devices (CPU feature modules, named only by `cpu:`):
        /// at most `LoadPool.backgroundLanes` at a time while device loads wait or run, so bus
        /// drivers reach their children first (measured under TCG: with all 51 first-walk
        /// modules started at once, virtio_pci and xhci_pci went live after 28 s instead of
        /// 10-12 s under udevd).
        case background
    }
    public var module: String
    /// A devpath, `FILE:LINE`, or a short word; shown in reports of slow or stuck loads.
    public var reason: String
    public var lane: Lane

    public init(module: String, reason: String, lane: Lane = .device) {
        self.module = module
        self.reason = reason
        self.lane = lane
    }
}

/// A finished load.
public struct LoadResult: Sendable {
    public var module: String
    public var outcome: LoadOutcome
    public var seconds: Double
    public var reason: String
}

/// A load still running: its init has not returned.
public struct LoadInFlight: Sendable, Equatable {
    public var module: String
    public var seconds: Double
    public var reason: String
}
