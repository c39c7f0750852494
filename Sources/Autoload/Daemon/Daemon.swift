import AliasMatcher
import CLinux
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// `autoloadd daemon`: listen first, then coldplug, then load drivers for every device the
/// kernel announces, until SIGTERM / SIGINT. The receive loop only parses, resolves and
/// queues (microseconds); loads run on `LoadQueue`'s threads. When the kernel says it dropped
/// messages (ENOBUFS), the socket fails, or the queue is full, /sys is walked again, so no
/// device is lost.
///
/// Not `Sendable`: it runs on the thread that calls `run`.
public final class Daemon {
    public struct Options: Sendable {
        public var setup: ResolverSetup
        public var sysfsRoot = "/sys"
        public var dryRun = false
        public var coldplug = true
        public var receiveBuffer = 128 << 20
        public var workers = 32
        public var queueCapacity = 4096
        /// Before READY=1: how long no kernel event may arrive once the queue is idle.
        public var settleSeconds = 0.2
        /// After READY=1: quiet this long (no event, queue idle), memory is given back once.
        public var idleTrimSeconds = 2.0
        /// Exit after this many accepted kernel events (tests); nil = until a signal.
        public var maxEvents: Int?
        public init(setup: ResolverSetup) { self.setup = setup }
    }

    public let options: Options
    private let emit: @Sendable (DaemonEvent) -> Void
    private var counters = DaemonEvent.Counters()

    /// - Parameter emit: receives every decision; called from the loader threads too.
    public init(options: Options, emit: @escaping @Sendable (DaemonEvent) -> Void) {
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

    /// Runs until SIGTERM / SIGINT (or `maxEvents`); returns the signal that ended it (0 if none).
    public func run() throws(Failure) -> Int32 {
        // Signals first: the loader threads inherit the blocked mask.
        let signals: SignalDescriptor
        do { signals = try SignalDescriptor() } catch { throw .socket("signalfd", error) }
        // Listen before coldplug: a device that appears during the walk is in the socket.
        var listener = try openListener()
        let resolver: FreshResolver
        do { resolver = try FreshResolver(setup: options.setup) } catch { throw .setup(error) }
        let emit = self.emit
        let queue = LoadQueue(location: options.setup.location, workers: options.workers,
                              capacity: options.queueCapacity, dryRun: options.dryRun,
                              sysfsRoot: options.sysfsRoot) { emit(.loaded($0)) }
        defer { queue.stop() }
        let start = monotonicSeconds()
        var ready = false
        // Loading a bus driver announces its new devices a moment later: ready only once the
        // queue is idle and no kernel event came for `settleSeconds`.
        var lastEvent = start
        var resyncPending: String? = options.coldplug ? "coldplug" : nil
        if !options.coldplug { ready = true; announceReady(start) }
        var handled = 0
        var trimmed = false
        while true {
            if let reason = resyncPending, queue.queuedCount < queue.capacity / 2 {
                resyncPending = nil
                refresh(resolver, queue)
                if resync(reason, resolver, queue) { resyncPending = "queue full" }
            }
            if !ready, resyncPending == nil, monotonicSeconds() - lastEvent >= options.settleSeconds, queue.isIdle {
                ready = true
                announceReady(start)
                // The quiet period before memory is given back starts now, not at start-up:
                // a coldplug longer than it would otherwise trim in the same breath as READY.
                lastEvent = monotonicSeconds()
            }
            if ready, !trimmed, resyncPending == nil, monotonicSeconds() - lastEvent >= options.idleTrimSeconds, queue.isIdle {
                trimmed = true
                releaseIdleMemory(resolver)
            }
            var fds = [pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
            // Until ready (or while a resync waits for room), wake up to check the queue;
            // once ready, every half second until the quiet period's memory is given back.
            let timeout: Int32 = resyncPending != nil || !ready ? 50 : trimmed ? -1 : 500
            do {
                _ = try syscallRetrying { poll(&fds, nfds_t(fds.count), timeout) }
            } catch { throw .socket("poll", error) }
            if fds[1].revents != 0 {
                while let signal = try? signals.next() {
                    if signal == SIGHUP {
                        SystemdNotify.send("RELOADING=1")
                        refresh(resolver, queue, force: true)
                        SystemdNotify.send("READY=1")
                        continue
                    }
                    return stop(signal, queue)
                }
            }
            guard fds[0].revents != 0 else { continue }
            var checked = false
            while true {
                let received: UeventListener.Received?
                do {
                    received = try listener.receive()
                } catch .noBufferSpace {
                    // The kernel dropped messages for us: walk /sys for what they announced.
                    resyncPending = "ENOBUFS"
                    break
                } catch {
                    emit(.error("uevent socket: \(error); reopening"))
                    listener = try openListener()
                    resyncPending = "receive error"
                    break
                }
                guard let received else { break }
                switch received {
                case .rejected(let why):
                    counters.rejected += 1
                    counters.rejectedByKind[why.kind, default: 0] += 1
                    emit(.rejected(why))
                case .accepted(let message):
                    counters.accepted += 1
                    lastEvent = monotonicSeconds()
                    trimmed = false
                    if !checked { refresh(resolver, queue); checked = true }
                    if handle(message, resolver, queue) { resyncPending = "queue full" }
                    handled += 1
                    if let max = options.maxEvents, handled >= max { return stop(0, queue) }
                }
            }
        }
    }

    private func openListener() throws(Failure) -> UeventListener {
        do {
            let l = try UeventListener(receiveBuffer: options.receiveBuffer)
            emit(.listening(receiveBufferBytes: l.receiveBufferBytes, forced: l.forcedBuffer))
            return l
        } catch { throw .socket("NETLINK_KOBJECT_UEVENT socket", error) }
    }

    private func announceReady(_ start: Double) {
        emit(.ready(seconds: monotonicSeconds() - start))
        if let e = SystemdNotify.send("READY=1") { emit(.error("sd_notify: \(e)")) }
    }

    /// Once per quiet period: the index pages lookups made resident, the freed heap that a
    /// burst of loads (loader threads, each with a libkmod context, now gone) leaves in
    /// glibc's per-thread arenas, and the mappings of code pages (the kernel maps code in
    /// 64 KB blocks around each page run, so start-up and coldplug leave megabytes mapped
    /// that an idle daemon never runs). The next event faults back what it needs.
    private func releaseIdleMemory(_ resolver: FreshResolver) {
        resolver.releaseIndexPages()
        malloc_trim(0)
        _ = cprocess_release_code_pages()
    }

    private func stop(_ signal: Int32, _ queue: LoadQueue) -> Int32 {
        SystemdNotify.send("STOPPING=1")
        queue.stop()
        counters.loads = queue.counts
        emit(.stopping(signal: signal, counters: counters))
        return signal
    }

    private func refresh(_ resolver: FreshResolver, _ queue: LoadQueue, force: Bool = false) {
        switch resolver.refresh(force: force) {
        case .current:
            break
        case .reloaded(let notes):
            queue.reload()
            emit(.reloaded(notes: notes))
        case .keptPrevious(let reason):
            emit(.reloadFailed(reason: reason))
        }
    }

    /// Resolves one accepted event and queues its modules; true when the queue was full.
    private func handle(_ message: UeventMessage, _ resolver: FreshResolver, _ queue: LoadQueue) -> Bool {
        guard message.isAdd else {
            counters.ignored += 1
            emit(.ignored(action: message.action, devpath: message.devpath))
            return false
        }
        let named = DevicePlanner.namedLoads(for: message)
        let modalias = message.modalias.flatMap { $0.isEmpty ? nil : $0 }
        guard modalias != nil || !named.isEmpty else {
            counters.ignored += 1
            emit(.ignored(action: message.action, devpath: message.devpath))
            return false
        }
        var device = DaemonEvent.Device(origin: .uevent, action: message.action, devpath: message.devpath,
                                        modalias: modalias, namedLoads: named, modules: [],
                                        seqnum: message.value("SEQNUM"))
        let full = DevicePlanner.plan(&device, resolver: resolver, queue: queue)
        counters.lookups += 1
        emit(.device(device))
        return full
    }

    /// Walks /sys and queues every device's modules; true when the queue filled up.
    private func resync(_ reason: String, _ resolver: FreshResolver, _ queue: LoadQueue) -> Bool {
        let start = monotonicSeconds()
        counters.resyncs += 1
        let found = SysfsWalker(root: options.sysfsRoot).walk()
        for e in found.errors { emit(.error("resync: \(e)")) }
        let origin: DaemonEvent.Origin = reason == "coldplug" ? .coldplug : .resync
        var full = false
        for (i, alias) in found.modaliases.enumerated() {
            var device = DaemonEvent.Device(origin: origin, action: Array("add".utf8), devpath: Array(found.devices[i].utf8),
                                            modalias: alias, namedLoads: [], modules: [])
            full = DevicePlanner.plan(&device, resolver: resolver, queue: queue) || full
            emit(.device(device))
        }
        for load in found.namedLoads {
            var device = DaemonEvent.Device(origin: origin, action: Array("add".utf8), devpath: Array(load.device.utf8),
                                            modalias: nil, namedLoads: [load.module], modules: [])
            full = DevicePlanner.plan(&device, resolver: resolver, queue: queue) || full
            emit(.device(device))
        }
        emit(.resync(reason: reason, modaliases: found.modaliases.count, seconds: monotonicSeconds() - start))
        return full
    }
}

@available(*, unavailable)
extension Daemon: Sendable {}
