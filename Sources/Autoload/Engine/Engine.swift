import LinuxSystem
import AliasMatcher
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The loop every mode runs: event sources (the /sys walk, the kernel's uevents) → planner →
/// the load pool → reports. A mode drives it with `step`, asks `isSettled`, and decides what
/// settled means for it (coldplug leaves, the daemon reports ready and goes on). Nothing in
/// it waits without a deadline, and nothing waits for a load: completions arrive through the
/// pool's eventfd.
///
/// Not `Sendable`: it runs on the thread that drives it.
public final class Engine {
    /// How often one module is planned.
    public enum RetryPolicy: Sendable {
        /// Once per run (coldplug): a module that failed for one device is not tried again
        /// for the next.
        case oncePerRun
        /// For every event that needs it (daemon): a later device may make a failed load
        /// work, and an rmmod'ed module loads again.
        case perEvent
    }

    /// Whether to listen to the kernel.
    public enum Listening: Sendable {
        /// Listen or fail (the daemon).
        case required
        /// Listen where the socket can be made; otherwise walk again while loads run.
        case ifAvailable
        /// Walk only (a copy of /sys for tests, dry runs).
        case off
    }

    public enum Phase: Sendable, Equatable {
        case notStarted
        /// The first walk is done; loads and events are coming.
        case coldplugging
        case settled(seconds: Double)
    }

    public struct Options: Sendable {
        public var sysfsRoot = "/sys"
        public var listening = Listening.ifAvailable
        public var receiveBuffer = 16 << 20
        public var retry = RetryPolicy.oncePerRun
        public var quietSeconds = 0.6
        /// A load running this long is reported, and again at every multiple.
        public var stillLoadingSeconds = 10.0
        public var rules = DriverLoadRules.systemd
        /// See `DevicePlanner.deviceTreeFallback`.
        public var deviceTreeFallback = true
        /// The static lists' names (`StaticModuleLists`), loaded at `begin` beside the devices.
        public var staticModules: [StaticModuleEntry] = []
        public init() {}
    }

    public let options: Options
    public let pool: LoadPool
    private let resolver: any Resolving
    private let emit: (EngineEvent) -> Void
    private let planner: DevicePlanner
    private var uevents: KernelUevents?
    public private(set) var phase = Phase.notStarted
    public private(set) var counters = EngineEvent.Counters()
    /// The run's plan (oncePerRun: every module with its MODALIAS strings, for `--explain`).
    public private(set) var plan = LoadPlan()
    public private(set) var walks = 0
    public private(set) var walkSeconds = 0.0
    public let start = monotonicSeconds()
    private var settle: Settle
    private var seenDevpaths = Set<[UInt8]>()
    private var seenModaliases = Set<[UInt8]>()
    /// Walked devices (incremental walks while loads run, without a socket).
    private var walkedLinks = Set<String>()
    /// Why /sys must be walked again (lost events, a full queue), if it must.
    private var resyncPending: String?
    /// Without a socket: completions not yet followed by a walk.
    private var completedAtLastWalk = 0
    private var lastWalk = 0.0
    private var stillLoadingReports: [String: Int] = [:]

    public init(options: Options, resolver: any Resolving, pool: LoadPool, emit: @escaping (EngineEvent) -> Void) {
        self.options = options
        self.resolver = resolver
        self.pool = pool
        self.emit = emit
        planner = DevicePlanner(rules: options.rules, deviceTreeFallback: options.deviceTreeFallback)
        settle = Settle(quietSeconds: options.quietSeconds, start: monotonicSeconds())
    }

    /// Every device path the run has seen an `add` for.
    public var devicePaths: Set<[UInt8]> { seenDevpaths }

    /// Whether uevents are received (else the engine walks while loads run).
    public var isListening: Bool { uevents != nil }

    /// What `begin` does after opening the socket.
    public enum FirstWalk: Sendable { case walk, skip }

    /// Opens the uevent socket (before the walk: a device added during it is in the socket),
    /// then walks /sys once.
    public func begin(_ first: FirstWalk = .walk) throws(Errno) {
        if options.listening != .off {
            do {
                let u = try KernelUevents(receiveBuffer: options.receiveBuffer, sysfsRoot: options.sysfsRoot)
                emit(.listening(receiveBufferBytes: u.receiveBufferBytes, forced: u.forcedBuffer))
                uevents = u
            } catch {
                if options.listening == .required { throw error }
                emit(.error("uevent socket: \(error); walking /sys instead"))
            }
        }
        // Before the walk: they are known at once and load in parallel with the devices'.
        if !options.staticModules.isEmpty {
            let loaded = ProcModules.names(path: "/proc/modules")
            for entry in options.staticModules { handleStatic(entry, loaded: loaded) }
        }
        if first == .walk { walk(reason: "coldplug", origin: .coldplug, incremental: true) }
        phase = .coldplugging
    }

    /// Asks for a full walk of /sys at the next step (SIGHUP, a test).
    public func requestResync(_ reason: String) { resyncPending = reason }

    /// One iteration: waits until an event, a completion, a readable `extra` descriptor, or
    /// the next thing due (at most until `deadline`), and handles what came. Returns the
    /// readable `extra` descriptors.
    public func step(until deadline: Double, extra: [Int32] = []) -> [Int32] {
        if let reason = resyncPending, pool.snapshot().queued < pool.options.capacity / 2 {
            resyncPending = nil
            walk(reason: reason, origin: .resync, incremental: false)
        }
        let now = monotonicSeconds()
        var fds = extra.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: pool.wakeDescriptor, events: Int16(POLLIN), revents: 0))
        if let u = uevents { fds.append(pollfd(fd: u.descriptor, events: Int16(POLLIN), revents: 0)) }
        let wake = min(deadline, nextDue(now: now))
        let timeout = Int32(clamping: Int(max(0, (wake - now) * 1000).rounded(.up)))
        _ = try? syscallRetrying { poll(&fds, nfds_t(fds.count), timeout) }
        if fds[extra.count].revents != 0 { pool.drainWakeups() }
        if uevents != nil, fds[extra.count + 1].revents != 0 { receive() }
        reportStillLoading()
        if uevents == nil, phase != .notStarted, walkDue(now: monotonicSeconds()) {
            walk(reason: "loads finished", origin: .resync, incremental: true)
        }
        return zip(extra, fds).filter { $0.1.revents != 0 }.map(\.0)
    }

    /// The last time something new happened: a new device or a load finishing.
    public var lastActivity: Double { max(settle.lastActivity, pool.snapshot().lastCompletion) }

    /// Settled now (see `Settle`); the first time, the phase says when.
    public func checkSettled() -> Bool {
        if case .settled = phase { return true }
        let now = monotonicSeconds()
        let snapshot = pool.snapshot()
        let settled = settle.isSettled(now: now, pool: snapshot, walkDue: resyncPending != nil || walkDue(now: now)) {
            uevents?.kernelCountIsReceived() ?? true
        }
        if settled { phase = .settled(seconds: now - start) }
        return settled
    }

    /// When the next thing is due: a settle check, a still-loading report, a walk.
    private func nextDue(now: Double) -> Double {
        let snapshot = pool.snapshot()
        var due = Double.infinity
        if resyncPending != nil { due = now + 0.05 }
        if case .settled = phase {} else if snapshot.isIdle {
            due = min(due, max(now, settle.earliest(lastCompletion: snapshot.lastCompletion)) + 0.001)
        }
        if let oldest = snapshot.loading.first {
            let reported = Double(stillLoadingReports[oldest.module, default: 0] + 1) * options.stillLoadingSeconds
            due = min(due, now + max(0.01, reported - oldest.seconds))
        }
        if uevents == nil, !snapshot.isIdle || pool.snapshot().completed > completedAtLastWalk {
            due = min(due, lastWalk + Self.walkInterval)
        }
        return due
    }

    /// Without a socket: while loads run, walk at most this often (under TCG a walk cost
    /// 0.1-4 s while modules initialised; it competes with the inits for the CPUs).
    static let walkInterval = 0.25

    private func walkDue(now: Double) -> Bool {
        guard uevents == nil else { return false }
        return pool.snapshot().completed > completedAtLastWalk && now - lastWalk >= Self.walkInterval
    }

    private func receive() {
        guard let u = uevents else { return }
        let batch = u.drain()
        for why in batch.rejected {
            counters.rejected += 1
            counters.rejectedByKind[why.kind, default: 0] += 1
            emit(.rejected(why))
        }
        if !batch.events.isEmpty { resolverRefresh() }
        var loaded: Set<String>?
        for e in batch.events {
            counters.accepted += 1
            handle(e, loaded: &loaded)
        }
        if let lost = batch.lost { resyncPending = lost }
    }

    /// Picks up depmod or modprobe.d changes before the next lookup.
    func resolverRefresh(force: Bool = false) {
        switch resolver.refresh(force: force) {
        case .current: break
        case .reloaded(let notes):
            pool.reload()
            emit(.reloaded(notes: notes))
        case .keptPrevious(let reason):
            emit(.reloadFailed(reason: reason))
        }
    }

    private func walk(reason: String, origin: DeviceEvent.Origin, incremental: Bool) {
        let t0 = monotonicSeconds()
        completedAtLastWalk = pool.snapshot().completed
        let walker = SysfsWalker(root: options.sysfsRoot, rules: options.rules)
        let found = incremental ? walker.walk(known: &walkedLinks, origin: origin) : walker.walk(origin: origin)
        counters.resyncs += 1
        walks += 1
        for e in found.errors { emit(.error("\(reason): \(e)")) }
        var loaded: Set<String>?
        for e in found.events { handle(e, loaded: &loaded) }
        lastWalk = monotonicSeconds()
        walkSeconds += lastWalk - t0
        emit(.resync(reason: reason, modaliases: found.modaliases.count, seconds: lastWalk - t0))
    }

    static let cpuPrefix = Array("cpu:".utf8)

    /// One device: new to this run? planned, submitted, reported.
    private func handle(_ event: DeviceEvent, loaded: inout Set<String>?) {
        guard event.isAdd else {
            counters.ignored += 1
            emit(.ignored(action: event.action, devpath: event.devpath))
            return
        }
        let modaliases = event.modaliases
        var isNew = seenDevpaths.insert(event.devpath).inserted
        for m in modaliases where seenModaliases.insert(m).inserted { isNew = true }
        if isNew { settle.noteActivity(at: monotonicSeconds()) }
        // A device re-announcing itself needs nothing a run has not planned already.
        if options.retry == .oncePerRun, !isNew { return }
        var eventPlan = LoadPlan()
        let device: DevicePlanner.DevicePlan
        if options.retry == .oncePerRun {
            if loaded == nil { loaded = ProcModules.names(path: "/proc/modules") }
            device = planner.plan(event, lookup: resolver.lookup, blacklist: resolver.blacklist, loaded: loaded!, into: &plan)
        } else {
            device = planner.plan(event, lookup: resolver.lookup, blacklist: resolver.blacklist, into: &eventPlan)
        }
        guard !device.isEmpty else {
            counters.ignored += 1
            emit(.ignored(action: event.action, devpath: event.devpath))
            return
        }
        counters.lookups += 1
        // CPU feature modules never make devices: they wait behind the drivers that do.
        let lane: LoadRequest.Lane = device.named.isEmpty && modaliases.allSatisfy { $0.starts(with: Self.cpuPrefix) }
            ? .background : .device
        let reason = String(decoding: event.devpath, as: UTF8.self)
        var decisions = [EngineEvent.ModuleDecision]()
        for (module, planNew) in device.modules {
            var decision = EngineEvent.ModuleDecision(module: module.name, decision: module.decision, admission: nil)
            if module.decision == .load {
                if options.retry == .oncePerRun, !planNew {
                    decision.admission = .alreadyQueued
                } else {
                    let admission = pool.submit(LoadRequest(module: module.name, reason: reason, lane: lane))
                    if admission == .full { resyncPending = "queue full" }
                    decision.admission = admission
                }
            }
            decisions.append(decision)
        }
        emit(.device(EngineEvent.Device(origin: event.origin, action: event.action, devpath: event.devpath,
                                        modaliases: modaliases, namedLoads: device.named, modules: decisions,
                                        invalid: device.invalid, seqnum: event.seqnum,
                                        deviceTreeFallback: device.deviceTreeFallback)))
    }

    /// One static list name: planned once per run, as systemd-modules-load loads it.
    private func handleStatic(_ entry: StaticModuleEntry, loaded: Set<String>) {
        counters.lookups += 1
        let touched = plan.addStatic(entry, lookup: resolver.lookup, blacklist: resolver.blacklist, loaded: loaded)
        var decisions = [EngineEvent.ModuleDecision]()
        for (module, isNew) in touched {
            var decision = EngineEvent.ModuleDecision(module: module.name, decision: module.decision, admission: nil)
            if module.decision == .load {
                decision.admission = isNew ? pool.submit(LoadRequest(module: module.name, reason: entry.source, lane: .device))
                    : .alreadyQueued
            }
            decisions.append(decision)
        }
        emit(.device(EngineEvent.Device(origin: .modulesLoad, action: DeviceEvent.addAction, devpath: Array(entry.source.utf8),
                                        modaliases: [], namedLoads: [entry.name], modules: decisions,
                                        invalid: touched.isEmpty ? "not a module" : nil, seqnum: nil,
                                        deviceTreeFallback: nil)))
    }

    private func reportStillLoading() {
        let loading = pool.snapshot().loading
        var next = [String: Int]()
        for l in loading {
            let due = Int(l.seconds / options.stillLoadingSeconds)
            let done = stillLoadingReports[l.module, default: 0]
            if due > done { emit(.stillLoading(l)) }
            next[l.module] = max(due, done)
        }
        stillLoadingReports = next
    }
}

@available(*, unavailable)
extension Engine: Sendable {}
