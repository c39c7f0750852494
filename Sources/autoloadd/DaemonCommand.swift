#if canImport(Glibc)
import Glibc
#endif
import AliasMatcher
import Autoload
import Synchronization

/// `autoloadd daemon`: kernel uevents to loaded drivers, from boot to shutdown.
enum DaemonCommand {
    static let help = """
    Usage: autoloadd daemon [OPTIONS]

    Listen to the kernel's uevents (NETLINK_KOBJECT_UEVENT), load the drivers of every
    device present (coldplug), then of every device added, as udevd's 80-drivers.rules
    would. Only messages from the kernel itself are acted on (sender port id 0, uid 0
    credentials, well formed). When the kernel drops messages (ENOBUFS) /sys is walked
    again, so no device is missed. Loads run on worker threads; a slow module init never
    stops the receiving. After depmod or a modprobe.d change the next event uses the new
    data; a tree that cannot be read keeps the previous one.

    Signals: SIGTERM / SIGINT stop (running loads get 3 s, then are left to finish on
    their own), SIGHUP reloads the tree and configuration. Under systemd (Type=notify)
    READY=1 is sent when the first coldplug has settled (nothing loading, no uevent
    unread), or when --timeout passes with the loads still running named; never before.
    A load still running after 10 s is logged every 10 s.

    Options:
      --dry-run           load nothing; decide and report only
      --json              one JSON line per decision on stdout (events accepted, ignored
                          or rejected and why, modules queued, load results, resyncs)
      --log-level LEVEL   err, warning, notice, info (default) or debug; stderr, with
                          <N> priority prefixes when $JOURNAL_STREAM is set (journald)
      --rcvbuf BYTES      socket receive buffer (default 134217728; SO_RCVBUFFORCE,
                          else SO_RCVBUF capped by net.core.rmem_max)
      --no-coldplug       do not walk /sys at start
      --timeout SECONDS   READY=1 at the latest this long after start (default 120)
      --workers N         loads at once at most (default 96; inits sleep, so more than CPUs)
      --sysfs DIR         sysfs root to walk (default /sys)
      --no-of-fallback    no of: lookup from OF_* fields where no MODALIAS matches (as
                          coldplug)
      --no-modules-load, --modules-load   the static lists (modules-load.d, /etc/modules,
                          modules_load=), as for coldplug: loaded at start unless
                          systemd-modules-load.service will
      --static-nodes      at start, make the device nodes of modules.devname (as
                          `static-nodes --create`) for systems where no tmpfiles does;
                          opening one (e.g. /dev/fuse) makes the kernel load its module
      --dev DIR           where --static-nodes makes them                     [/dev]
      --max-events N      exit after N accepted kernel events (for tests)
      --root DIR, --kernel VERSION, --modules-dir DIR, --config PATH,
      --cache-dir DIR, --no-cache                                  as for resolve
      -h, --help          this help

    Exit status: 0 stopped by a signal (or --max-events); 2 usage; 3 the module tree or
    configuration could not be read at start; 4 the uevent socket could not be opened.
    """

    static func run(_ args: ArraySlice<String>) -> Int32 {
        let a: Arguments
        switch Arguments.parseTreeCommand("daemon", args, flags: ["dry-run", "json", "no-coldplug", "no-of-fallback", "static-nodes",
                                                                     "no-modules-load", "modules-load"],
                                          options: ["log-level", "rcvbuf", "workers", "sysfs", "max-events", "timeout", "dev"],
                                          help: help) {
        case .failure(let status): return status.code
        case .success(let parsed): a = parsed
        }
        var options = Daemon.Options(setup: ResolverSetup(location: a.location, cacheDirectory: a.cacheDirectory))
        options.dryRun = a.flag("dry-run")
        options.firstWalk = a.flag("no-coldplug") ? .skip : .walk
        options.deviceTreeFallback = !a.flag("no-of-fallback")
        options.staticModules = a.staticModules { warn("daemon: \($0)") }
        if let t = a.last("timeout") {
            guard let s = Double(t), s > 0, s.isFinite else { return usage("--timeout needs a number of seconds > 0") }
            options.readyTimeoutSeconds = s
        }
        if let s = a.last("sysfs") { options.sysfsRoot = s }
        var level = LogLevel.info
        if let name = a.last("log-level") {
            guard let l = LogLevel(name: name) else { return usage("unknown log level '\(name)'") }
            level = l
        }
        for (option, minimum) in [("rcvbuf", 1), ("workers", 1), ("max-events", 1)] {
            guard let text = a.last(option) else { continue }
            guard let n = Int(text), n >= minimum else { return usage("--\(option) needs a number ≥ \(minimum)") }
            switch option {
            case "rcvbuf": options.receiveBuffer = n
            case "workers": options.workers = n
            default: options.maxEvents = n
            }
        }
        let sink = DaemonOutput(log: DaemonLog(level: level), json: a.flag("json"))
        if a.flag("static-nodes") {
            // Before the first event, so a node is there by the time anything could open it.
            _ = StaticNodesCommand.makeNodes(modulesDirectory: a.location.resolvedModulesDirectory, dev: a.last("dev") ?? "/dev") {
                sink.logger(.warning, "static nodes: \($0)")
            }
        }
        let daemon = Daemon(options: options) { sink.emit($0) }
        do {
            _ = try daemon.run()
            return 0
        } catch {
            sink.logger(.err, "\(error)")
            if case .setup = error { return 3 }
            return 4
        }
    }

    private static func usage(_ message: String) -> Int32 {
        warn("daemon: \(message)\n\n\(help)")
        return 2
    }
}

/// Turns daemon decisions into JSON lines (stdout) or log lines (stderr). Loader threads
/// call it too, so each line is written whole under a lock.
final class DaemonOutput: Sendable {
    let logger: DaemonLog
    let json: Bool
    private let out = Mutex(OutputBuffer(fd: 1))

    init(log: DaemonLog, json: Bool) {
        self.logger = log
        self.json = json
    }

    func emit(_ event: EngineEvent) {
        if json {
            out.withLock { o in
                DaemonJSON.write(event, into: &o)
                o.flush()
            }
            return
        }
        switch event {
        case .listening(let bytes, let forced):
            logger(.info, "listening for kernel uevents (receive buffer \(bytes) bytes\(forced ? "" : ", SO_RCVBUFFORCE refused"))")
        case .device(let d):
            let queued = d.modules.filter { $0.admission == .queued }.map(\.module)
            let what = d.modaliases.isEmpty ? d.namedLoads.joined(separator: ",")
                : d.modaliases.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            if let bad = d.invalid { logger(.warning, "\(String(decoding: d.devpath, as: UTF8.self)): \(what): \(bad)") }
            if !queued.isEmpty {
                logger(.info, "\(d.origin.rawValue) \(String(decoding: d.devpath, as: UTF8.self)) \(what): loading \(queued.joined(separator: " "))")
            } else if logger.enabled(.debug) {
                let all = d.modules.map { "\($0.module) (\($0.admission?.rawValue ?? $0.decision.rawValue))" }
                logger(.debug, "\(d.origin.rawValue) \(String(decoding: d.devpath, as: UTF8.self)) \(what): \(all.isEmpty ? "no module" : all.joined(separator: " "))")
            }
        case .ignored(let action, let devpath):
            logger(.debug, "\(String(decoding: action, as: UTF8.self)) \(String(decoding: devpath, as: UTF8.self)): nothing to load")
        case .rejected(let why):
            logger(.debug, "uevent rejected: \(why)")
        case .resync(let reason, let count, let seconds):
            logger(reason == "coldplug" ? LogLevel.info : LogLevel.notice, "\(reason): walked /sys, \(count) MODALIAS in \(seconds) s")
        case .loaded(let r):
            switch r.outcome {
            case .loaded: logger(.info, "loaded \(r.module) (\(r.seconds) s)")
            case .noDevice, .blacklisted, .blacklistedByKernel: logger(.info, "\(r.module): \(r.outcome.detail)")
            default: logger(.err, "\(r.module): \(r.outcome.detail) (for \(r.reason))")
            }
        case .stillLoading(let l):
            logger(.warning, "still loading \(l.module) after \(Int(l.seconds)) s (for \(l.reason))")
        case .ready(let seconds, let loading):
            if loading.isEmpty {
                logger(.notice, "coldplug settled in \(seconds) s; ready")
            } else {
                logger(.warning, "ready after \(seconds) s (--timeout) with \(loading.count) modules still loading: "
                       + loading.map { "\($0.module) (\(Int($0.seconds)) s)" }.joined(separator: ", "))
            }
        case .reloaded(let notes):
            logger(.notice, "module tree or configuration changed: reloaded" + notes.map { "; " + $0 }.joined())
        case .reloadFailed(let reason):
            logger(.err, "keeping the previous module index: \(reason)")
        case .stopping(let signal, let c, let abandoned):
            logger(.notice, "stopping (signal \(signal)): \(c.accepted) events accepted, \(c.rejected) rejected, "
                + "\(c.resyncs) walks, \(c.loads.loaded) loaded, \(c.loads.noDevice) no device, \(c.loads.failed) failed"
                + (abandoned.isEmpty ? "" : "; not waiting for " + abandoned.map { "\($0.module) (\(Int($0.seconds)) s)" }.joined(separator: ", ")))
        case .error(let message):
            logger(.warning, message)
        }
    }
}
