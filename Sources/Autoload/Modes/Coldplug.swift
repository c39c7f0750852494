import LinuxSystem
import AliasMatcher
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `autoloadd coldplug`: the engine run until settled or its deadline. A driver's new devices
/// (virtio_pci → virtio devices, xhci → USB devices, an HBA → disks) arrive as uevents while
/// other loads still run and are loaded at once, so no child waits for the slowest init of
/// a round. At the deadline the loads still running are named and left to finish on their
/// own: nothing waits for a stuck init.
public struct Coldplug {
    public var engine = Engine.Options()
    public var pool: LoadPool.Options
    /// The whole run's deadline (as `udevadm settle --timeout`).
    public var timeoutSeconds = 120.0
    /// At the end, name the devices whose probe still waits for a supplier (`--explain`).
    public var reportsWaitingForSupplier = false

    public init(location: ModuleTreeLocation) {
        pool = LoadPool.Options(location: location)
    }

    /// How the run ended.
    public enum Ending: Sendable, Equatable {
        case settled
        /// The deadline passed with loads still running (`Report.stuck`).
        case timedOut
    }

    public struct Report {
        public var ending = Ending.settled
        public var plan = LoadPlan()
        /// In completion order.
        public var results: [LoadResult] = []
        /// Loads still running at the deadline, longest first.
        public var stuck: [LoadInFlight] = []
        public var walks = 0
        public var walkSeconds = 0.0
        public var walkErrors: [String] = []
        public var seconds = 0.0
        public var listened = false
        /// Devices whose `waiting_for_supplier` is 1: their driver is loaded but the probe
        /// waits for another device's driver (fw_devlink), which no MODALIAS names.
        public var waitingForSupplier: [String] = []
        public var modaliases: Int { plan.modules.reduce(into: Set<[UInt8]>()) { $0.formUnion($1.modaliases) }.count + plan.unmatched.count }
        public var failures: [LoadResult] { results.filter { $0.outcome.isFailure } }
    }

    public func run(resolver: any Resolving, progress: @escaping (String) -> Void = { _ in }) -> Report {
        let results = Mutex<[LoadResult]>([])
        let pool = LoadPool(options: pool) { r in results.withLock { $0.append(r) } }
        var options = engine
        if pool.options.dryRun {
            // Nothing loads, so nothing new can appear: one walk is the whole plan.
            options.listening = .off
            options.quietSeconds = 0
        }
        let log = ColdplugLog(progress: progress)
        let engine = Engine(options: options, resolver: resolver, pool: pool) { log.take($0) }
        try? engine.begin()     // .ifAvailable: never throws
        let deadline = engine.start + timeoutSeconds
        var report = Report()
        while !engine.checkSettled() {
            if monotonicSeconds() >= deadline {
                report.ending = .timedOut
                break
            }
            _ = engine.step(until: deadline)
        }
        report.stuck = report.ending == .timedOut ? pool.abandon(waitingUpTo: 0) : []
        report.plan = engine.plan
        report.results = results.withLock { $0 }
        report.walks = engine.walks
        report.walkSeconds = engine.walkSeconds
        report.walkErrors = log.errors
        report.listened = engine.isListening
        report.seconds = monotonicSeconds() - engine.start
        if reportsWaitingForSupplier {
            let root = engine.options.sysfsRoot
            report.waitingForSupplier = engine.devicePaths.map { String(decoding: $0, as: UTF8.self) }.sorted().filter {
                (try? SourceFile.readIfPresent(root + $0 + "/waiting_for_supplier"))??.first == UInt8(ascii: "1")
            }
        }
        let slow = report.results.sorted { $0.seconds > $1.seconds }.prefix(5)
        if !slow.isEmpty {
            progress("\(report.listened ? "uevents;" : "walked;") \(report.walks) walks, \(Self.ms(report.walkSeconds)) ms walking; slowest loads: "
                     + slow.map { "\($0.module) \(Self.ms($0.seconds)) ms" }.joined(separator: ", "))
        }
        return report
    }

    static func ms(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }
}

/// What coldplug says while it runs (the engine's thread only).
private final class ColdplugLog {
    let progress: (String) -> Void
    var errors: [String] = []
    init(progress: @escaping (String) -> Void) { self.progress = progress }

    func take(_ event: EngineEvent) {
        switch event {
        case .error(let message): errors.append(message)
        case .resync(let reason, let count, let seconds):
            progress("walk (\(reason)): \(count) MODALIAS in \(Coldplug.ms(seconds)) ms")
        case .stillLoading(let l):
            progress("still loading \(l.module) after \(Int(l.seconds)) s (for \(l.reason))")
        default: break
        }
    }
}
