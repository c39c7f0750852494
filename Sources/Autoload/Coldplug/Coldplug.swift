#if canImport(Glibc)
import Glibc
#endif
import AliasMatcher

/// One `autoloadd coldplug`: walk /sys, plan, load, and walk again while loading drivers makes
/// new devices appear (virtio_pci → virtio devices, xhci → USB devices, an HBA → disks), until
/// the set of MODALIAS strings stops growing (bounded), so one run reaches the same fixpoint
/// as udevd's trigger + settle.
///
/// Loading and walking overlap: the walker runs again as soon as any load finishes (or every
/// `settleSeconds` while loads are running), and what it finds is loaded at once. Waiting for a
/// whole round instead holds every child device's driver back behind the slowest init of the
/// round (measured in the VM: a sound or USB probe that sleeps seconds delayed virtio_net,
/// usbhid and the disks).
public struct Coldplug {
    public var walker: SysfsWalker
    public var loader: ModuleLoader
    public var dryRun = false
    /// While loads run: the longest wait between walks. Once nothing is loading and a walk
    /// adds nothing: how long to wait for late devices, and how many times.
    public var settleSeconds = 0.25
    public var settleChecks = 4
    /// Bound on walks that found something new (each finds at least one new MODALIAS).
    public var maxRounds = 200
    public var procModules = "/proc/modules"

    public init(walker: SysfsWalker, loader: ModuleLoader) {
        self.walker = walker
        self.loader = loader
    }

    public struct Report {
        public var plan = LoadPlan()
        /// In completion order.
        public var results: [ModuleLoader.Result] = []
        /// Walks that found new MODALIAS strings (or named loads).
        public var rounds = 0
        public var modaliases = 0
        public var walkErrors: [String] = []
        public var seconds = 0.0
        /// Every walk, and the time they took together (the cost of discovery).
        public var walks = 0
        public var walkSeconds = 0.0
        /// True when every module that had to load did (ENODEV/ENOENT count as done).
        public var succeeded: Bool {
            !results.contains { if case .failed = $0.outcome { return true } else { return false } }
        }
    }

    public func run(lookup: AliasLookup, blacklist: Set<String>, progress: (String) -> Void = { _ in }) -> Report {
        let start = monotonicSeconds()
        var report = Report()
        var seen = Set<[UInt8]>()
        var known = Set<String>()
        let session = dryRun ? nil : loader.start()
        // Events only describe the live /sys; a test tree (--sysfs DIR) is walked.
        let events = !dryRun && Self.isLiveSysfs(walker.root) ? UeventSocket.open() : nil

        /// Plans and starts what is new; true when something new was found.
        func offer(_ candidates: [[UInt8]], at walkStart: Double?) -> Bool {
            let fresh = candidates.filter { seen.insert($0).inserted }
            guard !fresh.isEmpty, report.rounds < maxRounds else { return false }
            report.rounds += 1
            let before = report.plan.modules.count
            report.plan.add(fresh, lookup: lookup, blacklist: blacklist, loaded: ProcModules.names(path: procModules))
            let planned = report.plan.modules[before...].filter { $0.decision == .load }
            let names = planned.map(\.name)
            let how = walkStart.map { "walk \(Self.ms(monotonicSeconds() - $0)) ms" } ?? "uevents"
            progress("round \(report.rounds) at \(Self.ms(monotonicSeconds() - start)) ms (\(how)): "
                     + "\(fresh.count) new MODALIAS, \(names.count) modules to load")
            // CPU feature modules (crypto, kvm: only `cpu:` MODALIAS names them) never make
            // devices; they load in the background so bus drivers reach their children first.
            let cpuOnly = { (m: PlannedModule) in m.modaliases.allSatisfy { $0.starts(with: Self.cpuPrefix) } }
            session?.submit(planned.filter { !cpuOnly($0) }.map(\.name))
            session?.submit(planned.filter(cpuOnly).map(\.name), background: true)
            return true
        }
        /// One walk (new devices only); true when it found something new.
        func walk() -> Bool {
            let walkStart = monotonicSeconds()
            let found = walker.walk(known: &known)
            report.walks += 1
            report.walkSeconds += monotonicSeconds() - walkStart
            report.walkErrors += found.errors
            // 80-drivers.rules' `kmod load NAME` lines: looked up by name, as udev's builtin does.
            return offer(found.modaliases + found.namedLoads.map { Array($0.module.utf8) }, at: walkStart)
        }

        var idle = 0
        var completed = 0   // loads finished when the walk-mode loop last looked
        var newFound = walk()
        while let session {
            if let events {
                // The kernel announces new devices: wait for events (or a load finishing, which
                // the events of its devices follow), until loads and events have both been quiet
                // for settleChecks × settleSeconds; then one last walk, in case events were lost.
                let (batch, overflowed) = events.receive(timeout: settleSeconds)
                var candidates = [[UInt8]]()
                // Only devices appearing count as activity: a device that keeps changing
                // ("change", "bind") must not keep coldplug from ending.
                let added = batch.filter { $0.action == "add" }
                for e in added {
                    if let m = e.fields["MODALIAS"], !m.isEmpty { candidates.append(m) }
                    let subsystem = e.fields["SUBSYSTEM"].map { String(decoding: $0, as: UTF8.self) }
                    candidates += SysfsWalker.ruleLoads(kernel: e.kernel, subsystem: subsystem, env: e.fields).map { Array($0.utf8) }
                }
                newFound = offer(candidates, at: nil)
                if overflowed { newFound = walk() || newFound }
                if !added.isEmpty || newFound || session.pending > 0 { idle = 0; continue }
                idle += 1
                if idle < settleChecks { continue }
                if walk() { idle = 0; continue }
                break
            }
            if session.pending > 0 {
                // Walk again when a load finishes: its driver may have made new devices.
                completed = session.waitForCompletion(after: completed, timeout: settleSeconds)
                newFound = walk()
                continue
            }
            if newFound { newFound = walk(); continue }
            if idle >= settleChecks { break }
            idle += 1
            var ts = timespec(tv_sec: 0, tv_nsec: Int(settleSeconds * 1e9))
            nanosleep(&ts, nil)
            newFound = walk()
        }
        if let session { report.results = session.finish() }
        report.modaliases = seen.count
        report.seconds = monotonicSeconds() - start
        let slow = report.results.sorted { $0.seconds > $1.seconds }.prefix(5)
        if !slow.isEmpty {
            progress("\(events == nil ? "walked" : "uevents;") \(report.walks) walks, \(Self.ms(report.walkSeconds)) ms walking; slowest loads: "
                     + slow.map { "\($0.module) \(Self.ms($0.seconds)) ms" }.joined(separator: ", "))
        }
        return report
    }

    /// The kernel's own sysfs (where uevents describe the same devices), not a copy for tests.
    static func isLiveSysfs(_ root: String) -> Bool {
        guard let p = realpath(root, nil) else { return false }
        defer { free(p) }
        return String(cString: p) == "/sys"
    }

    static let cpuPrefix = Array("cpu:".utf8)

    static func ms(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }
}
