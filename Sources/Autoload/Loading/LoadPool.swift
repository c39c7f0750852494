import LinuxSystem
import AliasMatcher
import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// The one load pool of every mode: a ready queue (device lane first, see `LoadRequest.Lane`),
/// up to `maxWorkers` detached threads each with its own libkmod context (contexts are not
/// thread-safe; libkmod loads dependencies first, and the kernel makes a second load of a
/// module that is coming wait, then answers EEXIST), started as work arrives: as many loads
/// run at once as modules are ready, up to the cap. Module inits sleep in hardware probes, so
/// the cap is above the CPU count and above what a first walk finds (51 modules in the qemu
/// PC; with 32 threads the rest waited seconds behind CPU-bound crypto self-tests).
///
/// Nothing waits behind a stuck init: every load's start is kept, `snapshot()` names what is
/// still loading and for how long, and `abandon(waitingUpTo:)` gives up on it at a deadline
/// without joining its thread. Workers keep their context while they wait for work and exit
/// after `idleSeconds` without it, except `warmWorkers` of them: the daemon keeps one, so a
/// hotplug after a quiet spell does not pay a thread and a context (kmod_new,
/// kmod_load_resources: 0.2 ms native, milliseconds under TCG) before its finit_module.
///
/// A module queued, loading, or loaded (and still in /sys/module) is not queued again.
/// `@unchecked Sendable`: every mutable field is guarded by `mutex` (pthread, for the
/// condition variables; no Foundation on this path).
public final class LoadPool: @unchecked Sendable {
    public struct Options: Sendable {
        public var location: ModuleTreeLocation
        public var maxWorkers = 96
        public var idleSeconds = 2
        /// Workers that stay, with their context, however long the pool is idle.
        public var warmWorkers = 0
        /// Queued names at most; past it `submit` answers `.full` and the caller walks /sys later.
        public var capacity = 4096
        /// Plan only: nothing is loaded, no thread starts, every admitted name counts as loaded.
        public var dryRun = false
        /// Where `module/NAME` shows a module is still loaded (it may be rmmod'ed after we
        /// loaded it; a new device then loads it again).
        public var sysfsRoot = "/sys"
        public init(location: ModuleTreeLocation) { self.location = location }
    }

    public enum Admission: String, Sendable {
        case queued
        case alreadyQueued = "already queued"
        case alreadyLoaded = "already loaded"
        case full
    }

    public struct Counters: Sendable, Equatable {
        public var loaded = 0, noDevice = 0, failed = 0, full = 0
    }

    public struct Snapshot: Sendable {
        public var queued: Int
        public var loading: [LoadInFlight]
        public var completed: Int
        /// CLOCK_MONOTONIC of the last completion (0 before any).
        public var lastCompletion: Double
        public var isIdle: Bool { queued == 0 && loading.isEmpty }
    }

    private enum ModuleState { case queued, loading(since: Double, reason: String), loaded }
    private enum Phase { case running, abandoned }

    public static let backgroundLanes = 2
    public let options: Options
    private let report: @Sendable (LoadResult) -> Void
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let progressed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// eventfd(2) made readable by every completion, so an engine can poll(2) for it.
    public let wakeDescriptor: Int32
    private var device = FIFO<LoadRequest>()
    private var background = FIFO<LoadRequest>()
    private var states: [String: ModuleState] = [:]
    private var phase = Phase.running
    private var live = 0, busy = 0, backgroundBusy = 0
    private var completed = 0
    private var lastCompletion = 0.0
    private var counters = Counters()
    /// Bumped by `reload()`: workers open a fresh libkmod context before their next load.
    private var generation = 0
    private var spawnError: Int32 = 0

    public init(options: Options, report: @escaping @Sendable (LoadResult) -> Void) {
        self.options = options
        self.report = report
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(workReady, &attr)
        pthread_cond_init(progressed, &attr)
        pthread_condattr_destroy(&attr)
        wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
    }

    deinit {
        // Workers hold the pool strongly while they run, so none is left here.
        pthread_cond_destroy(workReady); pthread_cond_destroy(progressed); pthread_mutex_destroy(mutex)
        workReady.deallocate(); progressed.deallocate(); mutex.deallocate()
        if wakeDescriptor >= 0 { close(wakeDescriptor) }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Queues a module unless it is queued, loading, or loaded and still in /sys/module, and
    /// starts workers so that every load a worker may take now has one.
    public func submit(_ request: LoadRequest) -> Admission {
        var refused: [LoadResult] = []
        let admission: Admission = locked {
            switch states[request.module] {
            case .queued?, .loading?: return .alreadyQueued
            case .loaded?:
                if options.dryRun || access(sysfsModule(request.module), F_OK) == 0 { return .alreadyLoaded }
            case nil: break
            }
            if options.dryRun { states[request.module] = .loaded; return .queued }
            guard phase == .running else { return .full }
            guard device.count + background.count < options.capacity else { counters.full += 1; return .full }
            states[request.module] = .queued
            if request.lane == .device { device.append(request) } else { background.append(request) }
            refused = startWorkers()
            pthread_cond_broadcast(workReady)
            return .queued
        }
        for r in refused { report(r) }
        if !refused.isEmpty { wake() }
        return admission
    }

    /// Loads a worker could take now (lock held): device loads all, background ones within
    /// their lanes while device work waits or runs.
    private func takeable() -> Int {
        let deviceBusy = device.count > 0 || busy - backgroundBusy > 0
        let lanes = max(0, Self.backgroundLanes - backgroundBusy)
        return device.count + (deviceBusy ? min(background.count, lanes) : background.count)
    }

    /// Starts workers until those not loading cover what can be taken (lock held). A worker
    /// woken but not yet running counts as free, so a burst gets one thread per load. When
    /// not one thread can be made, what is queued fails now instead of waiting for nothing.
    private func startWorkers() -> [LoadResult] {
        while live - busy < takeable(), live < options.maxWorkers {
            let rc = spawnDetachedThread { [self] in work() }
            if rc != 0 { spawnError = rc; break }
            live += 1
        }
        guard live == 0, spawnError != 0 else { return [] }
        var out = [LoadResult]()
        let why = LoadOutcome.failed("cannot start a loader thread: \(String(cString: strerror(spawnError)))")
        while let r = device.popFirst() ?? background.popFirst() {
            states[r.module] = nil
            counters.failed += 1
            completed += 1
            out.append(LoadResult(module: r.module, outcome: why, seconds: 0, reason: r.reason))
        }
        return out
    }

    private func sysfsModule(_ name: String) -> String {
        (options.sysfsRoot.hasSuffix("/") ? options.sysfsRoot : options.sysfsRoot + "/") + "module/" + name
    }

    public func snapshot() -> Snapshot {
        let now = monotonicSeconds()
        return locked {
            var loading = [LoadInFlight]()
            for (name, state) in states {
                if case .loading(let since, let reason) = state {
                    loading.append(LoadInFlight(module: name, seconds: now - since, reason: reason))
                }
            }
            return Snapshot(queued: device.count + background.count,
                            loading: loading.sorted { $0.seconds > $1.seconds },
                            completed: completed, lastCompletion: lastCompletion)
        }
    }

    public var counts: Counters { locked { counters } }

    /// Makes every worker open a fresh libkmod context before its next load (SIGHUP, new tree).
    public func reload() { locked { generation += 1 } }

    /// Consumes the wake-ups of completions so far (the eventfd counter).
    public func drainWakeups() {
        var value: UInt64 = 0
        _ = read(wakeDescriptor, &value, 8)
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    /// Stops taking work and drops what is queued, waits up to `seconds` for running loads
    /// (an init cannot be interrupted), and returns those still running. Their threads are
    /// left to finish on their own, never joined.
    public func abandon(waitingUpTo seconds: Double) -> [LoadInFlight] {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let ns = deadline.tv_nsec + Int(max(0, seconds) * 1e9)
        deadline.tv_sec += ns / 1_000_000_000
        deadline.tv_nsec = ns % 1_000_000_000
        locked {
            phase = .abandoned
            while let r = device.popFirst() ?? background.popFirst() { states[r.module] = nil }
            pthread_cond_broadcast(workReady)
            while busy > 0 {
                if pthread_cond_timedwait(progressed, mutex, &deadline) == ETIMEDOUT { break }
            }
        }
        return snapshot().loading
    }

    /// The next load for a worker: after `idleSeconds` without one (unless the worker is one
    /// of the `warmWorkers` left), or once abandoned, nil: then the worker is counted out
    /// here, under the lock, so `submit` starts another when needed.
    private func take() -> (request: LoadRequest, generation: Int)? {
        locked {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            deadline.tv_sec += options.idleSeconds
            while true {
                if phase == .running {
                    var next: LoadRequest?
                    if device.count > 0 { next = device.popFirst() } else if takeable() > 0 {
                        next = background.popFirst()
                        backgroundBusy += 1
                    }
                    if let next {
                        busy += 1
                        states[next.module] = .loading(since: monotonicSeconds(), reason: next.reason)
                        return (next, generation)
                    }
                }
                if phase == .abandoned { live -= 1; return nil }
                if pthread_cond_timedwait(workReady, mutex, &deadline) == ETIMEDOUT,
                   phase == .abandoned || takeable() == 0 {
                    if phase == .running, live <= options.warmWorkers {
                        deadline.tv_sec += options.idleSeconds
                        continue
                    }
                    live -= 1
                    return nil
                }
            }
        }
    }

    private func finish(_ request: LoadRequest, _ outcome: LoadOutcome, since start: Double) {
        let now = monotonicSeconds()
        locked {
            busy -= 1
            if request.lane == .background { backgroundBusy -= 1 }
            states[request.module] = outcome == .loaded ? .loaded : nil
            switch outcome {
            case .loaded: counters.loaded += 1
            case .noDevice, .blacklisted, .blacklistedByKernel: counters.noDevice += 1
            default: counters.failed += 1
            }
            completed += 1
            lastCompletion = now
            pthread_cond_broadcast(progressed)
            // A finished device load may let a background one start.
            if background.count > 0 { pthread_cond_broadcast(workReady) }
        }
        report(LoadResult(module: request.module, outcome: outcome, seconds: now - start, reason: request.reason))
        wake()
    }

    private func work() {
        var kmod: KmodContext?
        var kmodGeneration = -1
        while let job = take() {
            // A context serves while the tree and modprobe.d stay as they were (depmod or a
            // config edit since: kmod_validate_resources says so) and no reload was asked.
            let current = kmodGeneration == job.generation && (kmod?.resourcesAreCurrent() ?? false)
            if !current {
                kmod = nil
                do {
                    kmod = try KmodContext(modulesDirectory: options.location.resolvedModulesDirectory,
                                           configPaths: options.location.configPaths)
                    kmodGeneration = job.generation
                } catch {
                    finish(job.request, .failed("\(error)"), since: monotonicSeconds())
                    continue
                }
            }
            let start = monotonicSeconds()
            let outcome: LoadOutcome
            switch kmod {
            case .some(let context): outcome = ModuleInsertion.load(job.request.module, with: context)
            case .none: outcome = .failed("no libkmod context")
            }
            finish(job.request, outcome, since: start)
        }
    }
}

/// One load through libkmod, its answer classified.
public enum ModuleInsertion {
    public static func load(_ name: String, with kmod: borrowing KmodContext) -> LoadOutcome {
        var install: KmodContext.InstallCommandFailure?
        do throws(KmodError) {
            switch try kmod.probeInsert(name, installFailure: &install) {
            case .inserted: return .loaded
            case .blacklisted: return .blacklisted
            }
        } catch {
            let missing = error.code == ENOENT ? kmod.missingFiles(of: name) : nil
            return LoadOutcome.classify(error, module: name, install: install, missingFiles: missing,
                                        commandLine: error.code == EPERM ? KernelCommandLine.read() : nil)
        }
    }
}
