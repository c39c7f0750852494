#if canImport(Glibc)
import Glibc
#endif

/// Loads modules through libkmod from many threads at once. Module init time dominates
/// coldplug and many inits sleep in hardware probes, so parallelism is not capped at the CPU
/// count, and the cap is above the number of modules a first walk usually finds (51 in the
/// qemu PC): with 32 threads the rest waited seconds for a free thread behind CPU-bound inits
/// (crypto self-tests), USB and storage controllers among them, which delayed their children. Each worker owns its own libkmod context (they are not thread-safe); libkmod loads
/// a module's dependencies first, and the kernel makes a second load of a module that is
/// coming wait, then answers EEXIST, which counts as success.
public struct ModuleLoader: Sendable {
    public var location: ModuleTreeLocation
    public var maxThreads: Int

    public init(location: ModuleTreeLocation, maxThreads: Int = 96) {
        self.location = location
        self.maxThreads = maxThreads
    }

    public struct Result: Sendable {
        public enum Outcome: Sendable, Equatable {
            case loaded
            /// ENODEV / ENOENT from init: the driver found no device it handles; not a failure.
            case noDevice(Int32)
            case failed(String)
        }
        public var module: String
        public var outcome: Outcome
        public var seconds: Double
    }

    /// Loads every name (in parallel) and returns one result per name, in input order.
    public func load(_ names: [String]) -> [Result] {
        guard !names.isEmpty else { return [] }
        let session = start()
        session.submit(names)
        session.waitUntilIdle()
        let done = session.finish()
        // Input order: the session reports in completion order.
        var byName = [String: Result]()
        for r in done { byName[r.module] = r }
        return names.map { byName[$0]! }
    }

    /// A pool that takes names while earlier ones are still loading, so coldplug can start a
    /// driver for a new device as soon as its bus driver made it appear, instead of waiting
    /// for the slowest init of the whole round.
    public func start() -> LoadSession { LoadSession(location: location, maxThreads: max(1, maxThreads)) }
}

/// See `ModuleLoader.start()`. Workers are started as work arrives (never more than there are
/// names waiting or loading, at most `maxThreads`), keep their libkmod context for the whole
/// session, and exit at `finish()`.
public final class LoadSession: @unchecked Sendable {
    // Everything below is guarded by `mutex` (why @unchecked: pthread primitives, no Foundation).
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let progressed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let location: ModuleTreeLocation
    private let maxThreads: Int
    private var queue: [String] = []
    private var head = 0
    /// Background names: loaded at most `backgroundLanes` at a time while any foreground name
    /// is queued or loading, freely once none is.
    private var background: [String] = []
    private var backgroundHead = 0
    private var backgroundRunning = 0
    public let backgroundLanes = 2
    private var running = 0
    private var idleWorkers = 0
    private var closed = false
    private var results: [ModuleLoader.Result] = []
    private var threads: [pthread_t] = []

    init(location: ModuleTreeLocation, maxThreads: Int) {
        self.location = location
        self.maxThreads = maxThreads
        pthread_mutex_init(mutex, nil)
        // Timed waits on CLOCK_MONOTONIC, like monotonicSeconds().
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(workReady, &attr)
        pthread_cond_init(progressed, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(workReady); pthread_cond_destroy(progressed); pthread_mutex_destroy(mutex)
        workReady.deallocate(); progressed.deallocate(); mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Queues names (each should be submitted once) and wakes or starts workers for them.
    /// `background` names yield to the others (see `backgroundLanes`): coldplug uses it for CPU
    /// feature modules, which never make devices, so that the drivers whose devices have
    /// children get the CPUs first (measured under TCG: with all 51 first-walk modules started
    /// at once, virtio_pci and xhci_pci went live after 28 s instead of 10-12 s under udevd, and
    /// every driver of their children waited for them).
    public func submit(_ names: [String], background: Bool = false) {
        guard !names.isEmpty else { return }
        locked {
            precondition(!closed, "submit after finish")
            if background { self.background += names } else { queue += names }
            // Idle workers take what they can; start one more per name left over, up to the cap.
            let uncovered = eligible() - idleWorkers
            for _ in 0..<max(0, min(uncovered, maxThreads - threads.count)) {
                threads.append(spawnThread { [self] in work() })
            }
            pthread_cond_broadcast(workReady)
        }
    }

    /// Names a worker could take now (lock held).
    private func eligible() -> Int {
        let foreground = queue.count - head
        let waiting = background.count - backgroundHead
        let foregroundBusy = foreground > 0 || running - backgroundRunning > 0
        return foreground + (foregroundBusy ? min(waiting, max(0, backgroundLanes - backgroundRunning)) : waiting)
    }

    private var waiting: Int { queue.count - head + background.count - backgroundHead }

    /// Names queued or loading.
    public var pending: Int { locked { waiting + running } }

    /// Results so far (completion order).
    public var completed: Int { locked { results.count } }

    /// Blocks until more than `after` loads have completed, nothing is pending, or `timeout`
    /// seconds have passed. Returns the number completed.
    @discardableResult
    public func waitForCompletion(after: Int, timeout: Double) -> Int {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let ns = deadline.tv_nsec + Int(timeout * 1e9)
        deadline.tv_sec += ns / 1_000_000_000
        deadline.tv_nsec = ns % 1_000_000_000
        return locked {
            while results.count <= after, waiting + running > 0 {
                if pthread_cond_timedwait(progressed, mutex, &deadline) == ETIMEDOUT { break }
            }
            return results.count
        }
    }

    /// Blocks until nothing is queued or loading.
    public func waitUntilIdle() {
        locked {
            while waiting + running > 0 { pthread_cond_wait(progressed, mutex) }
        }
    }

    /// Lets the workers finish what is queued, joins them, and returns every result in
    /// completion order.
    public func finish() -> [ModuleLoader.Result] {
        let workers = locked {
            closed = true
            pthread_cond_broadcast(workReady)
            return threads
        }
        for t in workers { pthread_join(t, nil) }
        return locked { results }
    }

    /// The next name to load (foreground first), waiting while there is none a worker may
    /// take; nil once finished and drained.
    private func next() -> (name: String, background: Bool)? {
        locked {
            while true {
                if head < queue.count {
                    defer { head += 1 }
                    running += 1
                    return (queue[head], false)
                }
                if backgroundHead < background.count, eligible() > 0 {
                    defer { backgroundHead += 1 }
                    running += 1
                    backgroundRunning += 1
                    return (background[backgroundHead], true)
                }
                if closed, waiting == 0 { return nil }
                idleWorkers += 1
                pthread_cond_wait(workReady, mutex)
                idleWorkers -= 1
            }
        }
    }

    private func record(_ job: (name: String, background: Bool), _ outcome: ModuleLoader.Result.Outcome, since start: Double) {
        let r = ModuleLoader.Result(module: job.name, outcome: outcome, seconds: monotonicSeconds() - start)
        locked {
            running -= 1
            if job.background { backgroundRunning -= 1 }
            results.append(r)
            pthread_cond_broadcast(progressed)
            // A finished load may let a background name start.
            if backgroundHead < background.count { pthread_cond_broadcast(workReady) }
        }
    }

    private func work() {
        // The context is made on first use: a worker that never gets a name costs nothing.
        guard var job = next() else { return }
        let kmod: KmodContext
        do {
            kmod = try KmodContext(modulesDirectory: location.resolvedModulesDirectory, configPaths: location.configPaths)
        } catch {
            // Without a context this worker loads nothing; report what it takes.
            while true {
                record(job, .failed("\(error)"), since: monotonicSeconds())
                guard let n = next() else { return }
                job = n
            }
        }
        while true {
            let start = monotonicSeconds()
            let outcome: ModuleLoader.Result.Outcome
            do throws(KmodError) {
                try kmod.probeInsert(job.name)
                outcome = .loaded
            } catch {
                let code = abs(error.code)
                outcome = code == ENODEV || code == ENOENT ? .noDevice(code) : .failed("\(error)")
            }
            record(job, outcome, since: start)
            guard let n = next() else { return }
            job = n
        }
    }
}

/// CLOCK_MONOTONIC in seconds.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
