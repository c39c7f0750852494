#if canImport(Glibc)
import Glibc
#endif
import AliasMatcher

/// One `autoloadd coldplug`: walk /sys, plan, load, and walk again while loading drivers makes
/// new devices appear (virtio_pci → virtio devices, xhci → USB devices, an HBA → disks), until
/// the set of MODALIAS strings stops growing (bounded), so one run reaches the same fixpoint
/// as udevd's trigger + settle.
public struct Coldplug {
    public var walker: SysfsWalker
    public var loader: ModuleLoader
    public var dryRun = false
    /// After a round adds nothing, how long to wait for late devices, and how many times.
    public var settleSeconds = 0.25
    public var settleChecks = 4
    public var maxRounds = 30
    public var procModules = "/proc/modules"

    public init(walker: SysfsWalker, loader: ModuleLoader) {
        self.walker = walker
        self.loader = loader
    }

    public struct Report {
        public var plan = LoadPlan()
        public var results: [ModuleLoader.Result] = []
        public var rounds = 0
        public var modaliases = 0
        public var walkErrors: [String] = []
        public var seconds = 0.0
        /// True when every module that had to load did (ENODEV/ENOENT count as done).
        public var succeeded: Bool {
            !results.contains { if case .failed = $0.outcome { return true } else { return false } }
        }
    }

    public func run(lookup: AliasLookup, blacklist: Set<String>, progress: (String) -> Void = { _ in }) -> Report {
        let start = monotonicSeconds()
        var report = Report()
        var seen = Set<[UInt8]>()
        var idle = 0
        while report.rounds < maxRounds {
            let found = walker.walk()
            report.walkErrors += found.errors
            // 80-drivers.rules' `kmod load NAME` lines: looked up by name, as udev's builtin does.
            let fresh = (found.modaliases + found.namedLoads.map { Array($0.module.utf8) }).filter { seen.insert($0).inserted }
            if fresh.isEmpty {
                if dryRun || idle >= settleChecks { break }
                idle += 1
                var ts = timespec(tv_sec: 0, tv_nsec: Int(settleSeconds * 1e9))
                nanosleep(&ts, nil)
                continue
            }
            idle = 0
            report.rounds += 1
            let before = report.plan.modules.count
            report.plan.add(fresh, lookup: lookup, blacklist: blacklist, loaded: ProcModules.names(path: procModules))
            let names = report.plan.modules[before...].filter { $0.decision == .load }.map(\.name)
            progress("round \(report.rounds): \(fresh.count) new MODALIAS, \(names.count) modules to load")
            if dryRun { break }
            report.results += loader.load(names)
        }
        report.modaliases = seen.count
        report.seconds = monotonicSeconds() - start
        return report
    }
}
