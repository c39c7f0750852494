import LinuxSystem
import AliasMatcher
import CLinux
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// `autoloadd daemon`: the engine kept running. It listens first, then coldplugs, reports
/// READY=1 once that coldplug settled or `readyTimeoutSeconds` passed (never before, SIGHUP
/// included), then loads drivers for every device the kernel announces, until SIGTERM /
/// SIGINT. SIGTERM gives running loads `stopGraceSeconds`, then leaves them.
///
/// Not `Sendable`: it runs on the thread that calls `run`.
public final class Daemon {
    public struct Options: Sendable {
        public var setup: ResolverSetup
        public var sysfsRoot = "/sys"
        public var dryRun = false
        public var firstWalk = Engine.FirstWalk.walk
        /// See `DevicePlanner.deviceTreeFallback`.
        public var deviceTreeFallback = true
        /// The static lists' names, loaded at start (`Engine.Options.staticModules`).
        public var staticModules: [StaticModuleEntry] = []
        public var receiveBuffer = 128 << 20
        public var workers = 96
        public var queueCapacity = 4096
        /// READY=1 at the latest this long after start, with what still loads named.
        public var readyTimeoutSeconds = 120.0
        /// The daemon goes on loading what comes later, so it needs only a short quiet time
        /// to call the first coldplug settled.
        public var quietSeconds = 0.08
        /// After READY=1: quiet this long (no event, nothing loading), memory is given back once.
        public var idleTrimSeconds = 2.0
        /// On SIGTERM: how long running loads may finish before the daemon leaves them.
        public var stopGraceSeconds = 3.0
        /// Exit after this many accepted kernel events (tests); nil = until a signal.
        public var maxEvents: Int?
        public init(setup: ResolverSetup) { self.setup = setup }
    }

    public let options: Options
    private let emit: @Sendable (EngineEvent) -> Void

    /// - Parameter emit: receives every decision; called from the loader threads too.
    public init(options: Options, emit: @escaping @Sendable (EngineEvent) -> Void) {
        self.options = options
        self.emit = emit
    }

    public enum Failure: Error, CustomStringConvertible {
        case setup(SetupError)
        case socket(String, Errno)
        public var description: String {
            switch self {
            case .setup(let e): return e.description
            case .socket(let what, let e): return "\(what): \(e)"
            }
        }
    }

    private enum Readiness {
        case waiting(deadline: Double)
        case ready
    }

    private enum Idle { case busy, trimmed }

    /// Runs until SIGTERM / SIGINT (or `maxEvents`); returns the signal that ended it (0 if none).
    public func run() throws(Failure) -> Int32 {
        // Signals first: the loader threads inherit the blocked mask.
        let signals: SignalDescriptor
        do { signals = try SignalDescriptor() } catch { throw .socket("signalfd", error) }
        let resolver: FreshResolver
        do { resolver = try FreshResolver(setup: options.setup) } catch { throw .setup(error) }
        let emit = self.emit
        var poolOptions = LoadPool.Options(location: options.setup.location)
        poolOptions.maxWorkers = options.workers
        poolOptions.capacity = options.queueCapacity
        poolOptions.dryRun = options.dryRun
        poolOptions.sysfsRoot = options.sysfsRoot
        poolOptions.warmWorkers = 1
        let pool = LoadPool(options: poolOptions) { emit(.loaded($0)) }
        var engineOptions = Engine.Options()
        engineOptions.sysfsRoot = options.sysfsRoot
        engineOptions.listening = .required
        engineOptions.receiveBuffer = options.receiveBuffer
        engineOptions.retry = .perEvent
        engineOptions.quietSeconds = options.quietSeconds
        engineOptions.rules = .installed(root: options.setup.location.root)
        engineOptions.deviceTreeFallback = options.deviceTreeFallback
        engineOptions.staticModules = options.staticModules
        let engine = Engine(options: engineOptions, resolver: resolver, pool: pool) { emit($0) }
        do { try engine.begin(options.firstWalk) } catch { throw .socket("NETLINK_KOBJECT_UEVENT socket", error) }

        var readiness = Readiness.waiting(deadline: engine.start + options.readyTimeoutSeconds)
        if options.firstWalk == .skip { readiness = .ready; announceReady(engine, pool) }
        var idle = Idle.busy
        var accepted = 0
        while true {
            let now = monotonicSeconds()
            if case .waiting(let deadline) = readiness, engine.checkSettled() || now >= deadline {
                readiness = .ready
                announceReady(engine, pool)
            }
            if engine.counters.accepted != accepted { accepted = engine.counters.accepted; idle = .busy }
            if case .ready = readiness, idle == .busy, pool.snapshot().isIdle,
               now - engine.lastActivity >= options.idleTrimSeconds {
                idle = .trimmed
                releaseIdleMemory(resolver)
            }
            let until: Double
            switch readiness {
            case .waiting(let deadline): until = deadline
            case .ready: until = idle == .trimmed ? now + 3600 : now + 0.5
            }
            let readable = engine.step(until: until, extra: [signals.descriptor])
            if !readable.isEmpty {
                while let signal = try? signals.next() {
                    guard signal == SIGHUP else { return stop(signal, engine, pool) }
                    // RELOADING=1 / READY=1 only once ready: READY=1 before the first
                    // coldplug settled would release what is ordered after the unit.
                    if case .ready = readiness { SystemdNotify.send("RELOADING=1") }
                    engine.resolverRefresh(force: true)
                    if case .ready = readiness { SystemdNotify.send("READY=1") }
                }
            }
            if let max = options.maxEvents, engine.counters.accepted >= max { return stop(0, engine, pool) }
        }
    }

    private func announceReady(_ engine: Engine, _ pool: LoadPool) {
        emit(.ready(seconds: monotonicSeconds() - engine.start, loading: pool.snapshot().loading))
        if let e = SystemdNotify.send("READY=1") { emit(.error("sd_notify: \(e)")) }
    }

    /// Once per quiet period: the index pages lookups made resident and the freed heap that
    /// a burst of loads (loader threads, each with a libkmod context, gone but the warm one) leaves in
    /// glibc's per-thread arenas. Code pages stay mapped: unmapping them lowered RSS but not
    /// what the machine pays (they stay in the page cache; on an initramfs's ramfs for good).
    private func releaseIdleMemory(_ resolver: FreshResolver) {
        resolver.releaseIndexPages()
        malloc_trim(0)
    }

    private func stop(_ signal: Int32, _ engine: Engine, _ pool: LoadPool) -> Int32 {
        SystemdNotify.send("STOPPING=1")
        let abandoned = pool.abandon(waitingUpTo: options.stopGraceSeconds)
        var counters = engine.counters
        counters.loads = pool.counts
        emit(.stopping(signal: signal, counters: counters, abandoned: abandoned))
        return signal
    }
}

@available(*, unavailable)
extension Daemon: Sendable {}
