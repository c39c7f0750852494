#if canImport(Glibc)
import Glibc
#endif
import AliasMatcher
import Autoload

/// `autoloadd coldplug`: load the drivers of every device already present.
enum ColdplugCommand {
    static let help = """
    Usage: autoloadd coldplug [OPTIONS]

    Read the uevent file of every device in SYSFS/bus/*/devices and SYSFS/class/*, resolve
    each MODALIAS as libkmod does, add the named loads of udev's 80-drivers.rules, and load
    every module needed through libkmod (dependencies, softdeps, options, blacklist,
    install commands), in parallel. Devices that appear meanwhile (a bus driver's children)
    arrive as kernel uevents and are loaded at once. The run ends when settled: nothing
    loading, no uevent unread, nothing new for a moment; or at the deadline.

    Options:
      --dry-run           print the plan, load nothing
      --explain           for each MODALIAS, which modules it resolved to and from which
                          source; for each module, why it is loaded or skipped; the
                          device-tree fallbacks used; devices waiting for a supplier
      --json              one JSON object per line instead of text
      --timeout SECONDS   the whole run's deadline (default 120, as udevadm settle);
                          loads still running then are named and left to finish
      --strict            exit 1 when a module failed to load
      --workers N         loads at once at most (default 96; inits sleep, so more than CPUs)
      --no-of-fallback    exactly udev's lookups: where no MODALIAS of a device matches,
                          do not look up the of: string its OF_NAME/OF_TYPE/OF_COMPATIBLE_*
                          make (the kernel's form, drivers/of/device.c)
      --sysfs DIR         sysfs root                                            [/sys]
      --no-modules-load   do not load the static lists (modules-load.d/*.conf in /etc,
                          /run, /usr/local/lib, /usr/lib; /etc/modules; modules_load=
                          and, in the initramfs, rd.modules_load= on the kernel command
                          line). By default they load beside the devices' modules,
                          unless systemd-modules-load.service will (systemd is init and
                          the unit is not masked: `systemctl mask` it to hand them over)
      --modules-load      load the static lists even then
      --root DIR, --kernel VERSION, --modules-dir DIR, --config PATH,
      --cache-dir DIR, --no-cache                                  as for resolve
      -h, --help          this help

    Exit status: 0 settled (a module that failed is reported on stderr, --json and
    --explain, but one bad module does not fail the boot; a driver answering ENODEV or
    ENOENT found no device, which is not a failure); 1 with --strict, some module failed;
    2 usage; 3 the module tree or configuration could not be read; 4 the deadline passed
    with modules still loading (each named on stderr).
    """

    static func run(_ args: ArraySlice<String>) -> Int32 {
        let a: Arguments, opened: ResolverSetup.Opened
        switch TreeCommandStart("coldplug", args, flags: ["dry-run", "explain", "json", "strict", "no-of-fallback",
                                                                       "no-modules-load", "modules-load"],
                                options: ["sysfs", "timeout", "workers"], help: help) {
        case .exit(let status): return status
        case .run(let parsed, let o): (a, opened) = (parsed, o)
        }
        var coldplug = Coldplug(location: a.location)
        if let t = a.last("timeout") {
            guard let s = Double(t), s > 0, s.isFinite else { return usage("--timeout needs a number of seconds > 0") }
            coldplug.timeoutSeconds = s
        }
        if let w = a.last("workers") {
            guard let n = Int(w), n >= 1 else { return usage("--workers needs a number ≥ 1") }
            coldplug.pool.maxWorkers = n
        }
        let sysfs = a.last("sysfs") ?? "/sys"
        coldplug.engine.sysfsRoot = sysfs
        coldplug.pool.sysfsRoot = sysfs
        coldplug.engine.rules = .installed(root: a.location.root)
        coldplug.engine.deviceTreeFallback = !a.flag("no-of-fallback")
        coldplug.reportsWaitingForSupplier = a.flag("explain")
        coldplug.engine.staticModules = a.staticModules { warn("coldplug: \($0)") }
        // Uevents describe the live /sys only; a copy for tests is walked.
        coldplug.engine.listening = isLiveSysfs(sysfs) ? .ifAvailable : .off
        coldplug.pool.dryRun = a.flag("dry-run")
        // A stuck init must not hold the caller past the deadline (see ExitSupervisor).
        if !coldplug.pool.dryRun { ExitSupervisor.detach() }
        let json = a.flag("json")
        let report = coldplug.run(resolver: FixedResolver(opened)) { line in
            if !json { warn("coldplug: " + line) }
        }
        return ExitSupervisor.finish(ColdplugReport.write(report, arguments: a, dryRun: coldplug.pool.dryRun))
    }

    private static func usage(_ message: String) -> Int32 {
        warn("coldplug: \(message)\n\n\(help)")
        return 2
    }

    /// The kernel's own sysfs (where uevents describe the same devices), not a copy for tests.
    static func isLiveSysfs(_ root: String) -> Bool {
        guard let p = realpath(root, nil) else { return false }
        defer { free(p) }
        return String(cString: p) == "/sys"
    }
}
