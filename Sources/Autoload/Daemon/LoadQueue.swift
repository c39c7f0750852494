import AliasMatcher
#if canImport(Glibc)
import Glibc
#endif

/// Loads modules off the receive loop: a fixed pool of threads, each with its own libkmod
/// context, takes names from a FIFO. A module that is queued, loading or loaded is not queued
/// again, so the queue never holds more than the tree's distinct module names, and it is
/// bounded below that too (`capacity`): the caller resyncs from /sys instead of growing it.
/// A module whose init sleeps for seconds holds one worker; the others and the receive loop
/// go on.
///
/// `@unchecked Sendable`: every mutable field is guarded by `mutex` (a pthread mutex, for
/// its condition variable, which Synchronization's Mutex lacks).
public final class LoadQueue: @unchecked Sendable {
    public enum Admission: String, Sendable {
        /// Newly queued (in a dry run: newly planned).
        case queued
        case alreadyQueued = "already queued"
        case alreadyLoaded = "already loaded"
        /// The queue is at capacity: not queued; the caller should resync later.
        case full
    }

    public struct Counters: Sendable, Equatable {
        public var loaded = 0, noDevice = 0, failed = 0, full = 0
    }

    private enum State { case queued, loading, loaded }

    public let capacity: Int
    public let dryRun: Bool
    private let location: ModuleTreeLocation
    private let sysfsModules: String
    private let report: @Sendable (ModuleLoader.Result) -> Void
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var pending: [String] = []
    private var head = 0
    private var states: [String: State] = [:]
    private var busy = 0
    private var stopping = false
    /// Bumped by `reload()`: workers rebuild their libkmod context before the next load.
    private var generation = 0
    private var counters = Counters()
    private var threads: [pthread_t] = []

    /// - Parameters:
    ///   - sysfsRoot: where `module/NAME` shows a module is still loaded (it may be removed
    ///     with rmmod after we loaded it; then a new device must load it again).
    ///   - report: called on a worker thread after every load.
    public init(location: ModuleTreeLocation, workers: Int = 32, capacity: Int = 4096, dryRun: Bool = false,
                sysfsRoot: String = "/sys", report: @escaping @Sendable (ModuleLoader.Result) -> Void) {
        self.location = location
        self.capacity = capacity
        self.dryRun = dryRun
        self.sysfsModules = (sysfsRoot.hasSuffix("/") ? sysfsRoot : sysfsRoot + "/") + "module/"
        self.report = report
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
        if !dryRun {
            for _ in 0..<max(1, workers) { threads.append(spawnThread { [unowned self] in self.work() }) }
        }
    }

    deinit {
        stop()
        pthread_cond_destroy(changed); pthread_mutex_destroy(mutex)
        changed.deallocate(); mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Queues `name` unless it is queued, loading, or loaded and still in /sys/module.
    public func enqueue(_ name: String) -> Admission {
        locked {
            switch states[name] {
            case .queued?, .loading?: return .alreadyQueued
            case .loaded?:
                // Dry runs load nothing, so /sys/module says nothing about what was planned.
                if dryRun || access(sysfsModules + name, F_OK) == 0 { return .alreadyLoaded }
            case nil: break
            }
            if dryRun {
                states[name] = .loaded
                return .queued
            }
            guard pending.count - head < capacity else {
                counters.full += 1
                return .full
            }
            states[name] = .queued
            pending.append(name)
            pthread_cond_signal(changed)
            return .queued
        }
    }

    /// Nothing queued and nothing loading.
    public var isIdle: Bool { locked { pending.count == head && busy == 0 } }
    public var queuedCount: Int { locked { pending.count - head } }
    public var counts: Counters { locked { counters } }

    /// Makes every worker open a fresh libkmod context before its next load (SIGHUP, new tree).
    public func reload() { locked { generation += 1 } }

    /// Lets running loads finish (an init cannot be interrupted), drops what is queued, and
    /// joins the workers.
    public func stop() {
        let joining: [pthread_t] = locked {
            stopping = true
            pthread_cond_broadcast(changed)
            defer { threads = [] }
            return threads
        }
        for t in joining { pthread_join(t, nil) }
    }

    /// The next queued name; nil once stopping, or at once when none is queued and `wait`
    /// is false. Otherwise blocks until one is.
    private func take(wait: Bool = true) -> (name: String, generation: Int)? {
        locked {
            while !stopping && head == pending.count {
                if !wait { return nil }
                pthread_cond_wait(changed, mutex)
            }
            if stopping { return nil }
            let name = pending[head]
            head += 1
            if head > 1024, head * 2 > pending.count {
                pending.removeFirst(head)
                head = 0
            }
            states[name] = .loading
            busy += 1
            return (name, generation)
        }
    }

    private func finish(_ result: ModuleLoader.Result) {
        locked {
            busy -= 1
            switch result.outcome {
            case .loaded:
                states[result.module] = .loaded
                counters.loaded += 1
            case .noDevice:
                // Not loaded: a later device may need it; a later event (never a loop) retries.
                states[result.module] = nil
                counters.noDevice += 1
            case .failed:
                states[result.module] = nil
                counters.failed += 1
            }
        }
        report(result)
    }

    private func work() {
        var job = take()
        while let first = job {
            let kmod: KmodContext
            do {
                kmod = try KmodContext(modulesDirectory: location.resolvedModulesDirectory,
                                       configPaths: location.configPaths)
            } catch {
                finish(.init(module: first.name, outcome: .failed("\(error)"), seconds: 0))
                job = take()
                continue
            }
            // Keep this context while the tree and modprobe.d stay as they were (depmod or a
            // config edit since: kmod_validate_resources says so) and no reload was asked.
            while let j = job, j.generation == first.generation, kmod.resourcesAreCurrent() {
                finish(ModuleLoader.insert(j.name, with: kmod))
                job = take(wait: false)
            }
            // Idle: let the context (its mmapped indexes, its config) go before sleeping, so
            // an idle daemon holds one resolver, not one per worker.
            if job == nil {
                _ = consume kmod
                job = take()
            }
        }
    }
}

extension ModuleLoader {
    /// One `kmod_module_probe_insert_module`, timed, with its outcome classified: EEXIST is
    /// success (inside probeInsert), ENODEV / ENOENT from init mean "no device for it".
    static func insert(_ name: String, with kmod: borrowing KmodContext) -> Result {
        let start = monotonicSeconds()
        let outcome: Result.Outcome
        do throws(KmodError) {
            try kmod.probeInsert(name)
            outcome = .loaded
        } catch {
            let code = abs(error.code)
            outcome = code == ENODEV || code == ENOENT ? .noDevice(code) : .failed("\(error)")
        }
        return Result(module: name, outcome: outcome, seconds: monotonicSeconds() - start)
    }
}
