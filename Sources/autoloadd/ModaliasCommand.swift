#if canImport(Glibc)
import LinuxSystem
import Glibc
#endif
import AliasMatcher
import Autoload
import Synchronization

/// `autoloadd modalias`: the one-device path, for a udev RUN helper.
enum ModaliasCommand {
    static let help = """
    Usage: autoloadd modalias [OPTIONS] [MODALIAS...]

    Load the modules one device needs, as udev's `kmod load $env{MODALIAS}` does: each
    MODALIAS (default: $MODALIAS from the environment, as udev passes it to RUN) is
    resolved and its modules loaded through libkmod, skipping builtin, loaded and
    blacklisted ones (udev applies the blacklist to every load, named ones too).

    Options:
      --dry-run           print what would be loaded, load nothing
      --root DIR, --kernel VERSION, --modules-dir DIR, --config PATH,
      --cache-dir DIR, --no-cache                                  as for resolve
      -h, --help          this help

    Exit status: 0 every module needed is loaded (or the MODALIAS needs none); 1 one
    failed to load or the MODALIAS is invalid; 2 usage; 3 the module tree or
    configuration could not be read.
    """

    static func run(_ args: ArraySlice<String>) -> Int32 {
        let a: Arguments, opened: ResolverSetup.Opened
        switch TreeCommandStart("modalias", args, flags: ["dry-run"], help: help) {
        case .exit(let status): return status
        case .run(let parsed, let o): (a, opened) = (parsed, o)
        }
        var aliases = a.operandBytes
        if aliases.isEmpty, let env = getenv("MODALIAS") {
            aliases = [Array(UnsafeRawBufferPointer(start: env, count: strlen(env)).bindMemory(to: UInt8.self))]
        }
        guard !aliases.isEmpty else {
            warn("modalias: no MODALIAS given and none in the environment")
            return 2
        }
        keptUntilExit.append(opened.lookup)
        var plan = LoadPlan()
        plan.add(aliases, lookup: opened.lookup, blacklist: opened.blacklist, loaded: ProcModules.names())
        for (alias, why) in plan.invalid { warn("modalias: \(String(decoding: alias, as: UTF8.self)): \(why)") }
        var out = OutputBuffer(fd: 1)
        if a.flag("dry-run") {
            for m in plan.modules {
                out.write("\(m.decision == .load ? "would load" : "skip")\t\(m.name)")
                if m.decision != .load { out.write("\t\(m.decision.rawValue)") }
                out.write("\n")
            }
            out.flush()
            return plan.invalid.isEmpty ? 0 : 1
        }
        var failed = !plan.invalid.isEmpty
        let results = Mutex<[LoadResult]>([])
        let pool = LoadPool(options: LoadPool.Options(location: a.location)) { r in results.withLock { $0.append(r) } }
        for name in plan.toLoad { _ = pool.submit(LoadRequest(module: name, reason: "modalias")) }
        while !pool.snapshot().isIdle {
            var pfd = pollfd(fd: pool.wakeDescriptor, events: Int16(POLLIN), revents: 0)
            _ = try? syscallRetrying { poll(&pfd, 1, 1000) }
            pool.drainWakeups()
        }
        for r in results.withLock({ $0 }) where r.outcome != .loaded {
            warn("modalias: \(r.module): \(r.outcome.detail)")
            if r.outcome.isFailure { failed = true }
        }
        return failed ? 1 : 0
    }
}
