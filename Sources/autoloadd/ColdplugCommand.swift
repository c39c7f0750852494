import AliasMatcher
import Autoload

/// `autoloadd coldplug`: load the drivers of every device already present.
enum ColdplugCommand {
    static let help = """
    Usage: autoloadd coldplug [OPTIONS]

    Walk SYSFS/devices for modalias files, resolve each MODALIAS as libkmod does, and
    load every module needed (through libkmod: dependencies, softdeps, options, install
    commands), in parallel; walk again while new devices appear.

    Options:
      --dry-run           print the plan, load nothing
      --explain           for each MODALIAS, which modules it resolved to and from which
                          source; for each module, why it is loaded or skipped
      --json              one JSON object per line instead of text
      --sysfs DIR         sysfs root                                            [/sys]
      --root DIR, --kernel VERSION, --modules-dir DIR, --config PATH,
      --cache-dir DIR, --no-cache                                  as for resolve
      -h, --help          this help

    Exit status: 0 every module that had to load did (a driver answering ENODEV or
    ENOENT found no device, which is not a failure); 1 some module failed to load;
    2 usage; 3 the module tree or configuration could not be read.
    """

    static func run(_ args: ArraySlice<String>) -> Int32 {
        let a: Arguments, opened: ResolverSetup.Opened
        switch TreeCommandStart("coldplug", args, flags: ["dry-run", "explain", "json"], options: ["sysfs"], help: help) {
        case .exit(let status): return status
        case .run(let parsed, let o): (a, opened) = (parsed, o)
        }
        let json = a.flag("json")
        var coldplug = Coldplug(walker: SysfsWalker(root: a.last("sysfs") ?? "/sys"),
                                loader: ModuleLoader(location: a.location))
        coldplug.dryRun = a.flag("dry-run")
        let report = coldplug.run(lookup: opened.lookup, blacklist: opened.blacklist) { line in
            if !json { warn("coldplug: " + line) }
        }
        var out = OutputBuffer(fd: 1)
        for e in report.walkErrors { warn("coldplug: \(e)") }
        if a.flag("explain") { explain(report, json: json, into: &out) }
        for m in report.plan.modules {
            if !a.flag("explain"), m.decision != .load { continue }
            // Which modprobe.d line (or the kernel command line) blacklisted it.
            let origin = m.decision == .blacklisted
                ? BlacklistOrigin.find(m.name, configPaths: a.location.configPaths) : nil
            if json {
                out.write("{\"module\":"); JSONText.string(m.name, into: &out)
                out.write(",\"decision\":"); JSONText.string(m.decision.rawValue, into: &out)
                if let origin { out.write(",\"blacklisted_by\":"); JSONText.string(origin, into: &out) }
                out.write(",\"source\":"); JSONText.string(m.source.rawValue, into: &out)
                out.write(",\"modaliases\":\(m.modaliases.count)}\n")
            } else {
                out.write("\(m.decision == .load ? (coldplug.dryRun ? "would load" : "load") : "skip")\t\(m.name)")
                if m.decision != .load { out.write("\t\(m.decision.rawValue)") }
                if let origin { out.write("\t\(origin)") }
                out.write("\n")
            }
        }
        for r in report.results {
            switch r.outcome {
            case .loaded: break
            case .noDevice(let e): warn("coldplug: \(r.module): no device (errno \(e))")
            case .failed(let why): warn("coldplug: \(r.module): \(why)")
            }
        }
        let loaded = report.results.filter { $0.outcome == .loaded }.count
        let failed = report.results.filter { if case .failed = $0.outcome { return true } else { return false } }.count
        let summary = "\(report.modaliases) MODALIAS in \(report.rounds) rounds, \(report.plan.toLoad.count) modules planned, "
            + "\(loaded) loaded, \(failed) failed, \(report.plan.unmatched.count) MODALIAS unmatched, "
            + String(format3(report.seconds)) + " s"
        if json {
            out.write("{\"summary\":{\"modaliases\":\(report.modaliases),\"rounds\":\(report.rounds),\"planned\":\(report.plan.toLoad.count),")
            out.write("\"loaded\":\(loaded),\"failed\":\(failed),\"unmatched\":\(report.plan.unmatched.count),\"seconds\":\(format3(report.seconds))}}\n")
        } else {
            warn("coldplug: " + summary)
        }
        out.flush()
        return report.succeeded ? 0 : 1
    }

    static func explain(_ report: Coldplug.Report, json: Bool, into out: inout OutputBuffer) {
        for m in report.plan.modules {
            for alias in m.modaliases {
                if json {
                    out.write("{\"modalias\":"); JSONText.string(alias, into: &out)
                    out.write(",\"module\":"); JSONText.string(m.name, into: &out)
                    out.write(",\"source\":"); JSONText.string(m.source.rawValue, into: &out); out.write("}\n")
                } else {
                    out.write("match\t"); out.write(alias); out.write("\t\(m.name)\t\(m.source.rawValue)\n")
                }
            }
        }
        for alias in report.plan.unmatched {
            if json { out.write("{\"modalias\":"); JSONText.string(alias, into: &out); out.write(",\"module\":null}\n") } else {
                out.write("nomatch\t"); out.write(alias); out.write("\n")
            }
        }
        for (alias, why) in report.plan.invalid {
            if json { out.write("{\"modalias\":"); JSONText.string(alias, into: &out); out.write(",\"error\":"); JSONText.string(why, into: &out); out.write("}\n") } else {
                out.write("invalid\t"); out.write(alias); out.write("\t\(why)\n")
            }
        }
    }

    /// Seconds with three decimals, without Foundation's String(format:).
    static func format3(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        let frac = String(ms % 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }
}
