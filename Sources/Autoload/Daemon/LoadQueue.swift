import AliasMatcher
#if canImport(Glibc)
import Glibc
#endif

/// Loads modules off the receive loop: up to `workers` threads, each with its own libkmod
/// context, take names from a FIFO. Threads start when work arrives and exit after
/// `idleSeconds` without any (glibc then releases their stacks), so a daemon idling between
/// hotplug events holds no loader threads or contexts. A module that is queued, loading or loaded is not queued
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
    /// Signalled when a name is queued or stopping begins.
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Signalled when a worker thread exits.
    private let exited = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var pending: [String] = []
    private var head = 0
    private var states: [String: State] = [:]
    private var busy = 0
    private var stopping = false
    /// Bumped by `reload()`: workers rebuild their libkmod context before the next load.
    private var generation = 0
    private var counters = Counters()
    private let maxWorkers: Int
    private let idleSeconds: Int
    /// Worker threads alive, and how many of them wait for work.
    private var live = 0
    private var waiting = 0

    /// - Parameters:
    ///   - sysfsRoot: where `module/NAME` shows a module is still loaded (it may be removed
    ///     with rmmod after we loaded it; then a new device must load it again).
    ///   - report: called on a worker thread after every load.
    public init(location: ModuleTreeLocation, workers: Int = 32, idleSeconds: Int = 2, capacity: Int = 4096,
                dryRun: Bool = false, sysfsRoot: String = "/sys",
                report: @escaping @Sendable (ModuleLoader.Result) -> Void) {
        self.maxWorkers = max(1, workers)
        self.idleSeconds = max(1, idleSeconds)
        self.location = location
        self.capacity = capacity
        self.dryRun = dryRun
        self.sysfsModules = (sysfsRoot.hasSuffix("/") ? sysfsRoot : sysfsRoot + "/") + "module/"
        self.report = report
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
        pthread_cond_init(exited, nil)
    }

    deinit {
        stop()
        pthread_cond_destroy(changed); pthread_cond_destroy(exited); pthread_mutex_destroy(mutex)
        changed.deallocate(); exited.deallocate(); mutex.deallocate()
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
            if waiting > 0 {
                pthread_cond_signal(changed)
            } else if live < maxWorkers, !stopping {
                live += 1
                // Detached: it ends itself when idle; `stop` waits for `live` to reach 0.
                pthread_detach(spawnThread { [self] in self.work() })
            }
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
    /// waits for every worker to exit.
    public func stop() {
        locked {
            stopping = true
            pthread_cond_broadcast(changed)
            while live > 0 { pthread_cond_wait(exited, mutex) }
        }
    }

    /// The next queued name; nil at once when none is queued and `wait` is false. Otherwise
    /// waits up to `idleSeconds` for one; nil then (or once stopping) means this worker exits,
    /// and it is counted out here, under the lock, so `enqueue` starts another if needed.
    private func take(wait: Bool = true) -> (name: String, generation: Int)? {
        locked {
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            deadline.tv_sec += idleSeconds
            while !stopping && head == pending.count {
                if !wait { return nil }
                waiting += 1
                let rc = pthread_cond_timedwait(changed, mutex, &deadline)
                waiting -= 1
                if rc == ETIMEDOUT, head == pending.count { break }
            }
            if stopping || head == pending.count {
                if !wait { return nil }
                live -= 1
                pthread_cond_broadcast(exited)
                return nil
            }
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
