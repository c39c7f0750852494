#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Loads modules through libkmod from many threads at once. Module init time dominates
/// coldplug and many inits sleep in hardware probes, so parallelism is not capped at the CPU
/// count. Each worker owns its own libkmod context (they are not thread-safe); libkmod loads
/// a module's dependencies first, and the kernel makes a second load of a module that is
/// coming wait, then answers EEXIST, which counts as success.
public struct ModuleLoader: Sendable {
    public var location: ModuleTreeLocation
    public var maxThreads: Int

    public init(location: ModuleTreeLocation, maxThreads: Int = 32) {
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
        let queue = Mutex<(next: Int, results: [Result?])>((0, Array(repeating: nil, count: names.count)))
        let location = self.location
        let workers = max(1, min(maxThreads, names.count))
        var threads = [pthread_t]()
        for _ in 0..<workers {
            threads.append(spawn {
                // The next name nobody has taken yet.
                func next() -> Int? {
                    queue.withLock { q in
                        guard q.next < names.count else { return nil }
                        defer { q.next += 1 }
                        return q.next
                    }
                }
                let kmod: KmodContext
                do {
                    kmod = try KmodContext(modulesDirectory: location.resolvedModulesDirectory,
                                           configPaths: location.configPaths)
                } catch {
                    // Without a context this worker loads nothing; report what it would have taken.
                    while let i = next() {
                        let r = Result(module: names[i], outcome: .failed("\(error)"), seconds: 0)
                        queue.withLock { $0.results[i] = r }
                    }
                    return
                }
                while let i = next() {
                    let start = monotonicSeconds()
                    let outcome: Result.Outcome
                    do throws(KmodError) {
                        try kmod.probeInsert(names[i])
                        outcome = .loaded
                    } catch {
                        let code = abs(error.code)
                        outcome = code == ENODEV || code == ENOENT ? .noDevice(code) : .failed("\(error)")
                    }
                    let r = Result(module: names[i], outcome: outcome, seconds: monotonicSeconds() - start)
                    queue.withLock { $0.results[i] = r }
                }
            })
        }
        for t in threads { pthread_join(t, nil) }
        return queue.withLock { $0.results.map { $0! } }
    }
}

/// CLOCK_MONOTONIC in seconds.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// pthread_create with a Swift closure (no Foundation on this path).
private func spawn(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { arg in
        Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().run()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create: \(rc)")
    return thread
}
