import AliasMatcher
import Autoload

/// What `coldplug` prints at its end: the plan (stdout), failures and stuck loads (stderr),
/// `--explain`'s matches, the summary; and the exit status.
enum ColdplugReport {
    static func write(_ report: Coldplug.Report, arguments a: Arguments, dryRun: Bool) -> Int32 {
        let json = a.flag("json"), explain = a.flag("explain")
        var out = OutputBuffer(fd: 1)
        for e in report.walkErrors { warn("coldplug: \(e)") }
        // As systemd-modules-load: reported, not fatal.
        for (entry, modules) in report.plan.staticLoads where modules.isEmpty {
            warn("coldplug: \(entry.source): '\(entry.name)' is not a module")
        }
        if explain { matches(report, json: json, into: &out) }
        var outcomes = [String: LoadOutcome]()
        for r in report.results { outcomes[r.module] = r.outcome }
        for m in report.plan.modules {
            if !explain, m.decision != .load { continue }
            // Which modprobe.d line (or the kernel command line) blacklisted it.
            let origin = m.decision == .blacklisted || outcomes[m.name] == .blacklisted
                ? BlacklistOrigin.find(m.name, configPaths: a.location.configPaths) : nil
            if json {
                out.write("{\"module\":"); JSONText.string(m.name, into: &out)
                out.write(",\"decision\":"); JSONText.string(m.decision.rawValue, into: &out)
                if let origin { out.write(",\"blacklisted_by\":"); JSONText.string(origin, into: &out) }
                if let o = outcomes[m.name] {
                    out.write(",\"outcome\":"); JSONText.string(o.kind, into: &out)
                    if o != .loaded { out.write(",\"detail\":"); JSONText.string(o.detail, into: &out) }
                }
                out.write(",\"source\":"); JSONText.string(m.source.rawValue, into: &out)
                out.write(",\"modaliases\":\(m.modaliases.count)}\n")
            } else {
                out.write("\(m.decision == .load ? (dryRun ? "would load" : "load") : "skip")\t\(m.name)")
                if m.decision != .load { out.write("\t\(m.decision.rawValue)") }
                if explain, let o = outcomes[m.name], o != .loaded { out.write("\t\(o.detail)") }
                if let origin { out.write("\t\(origin)") }
                out.write("\n")
            }
        }
        for r in report.results {
            switch r.outcome {
            case .loaded: break
            case .noDevice, .blacklisted, .blacklistedByKernel: warn("coldplug: \(r.module): \(r.outcome.detail)")
            default: warn("coldplug: \(r.module): \(r.outcome.detail) (for \(r.reason))")
            }
        }
        for s in report.stuck {
            warn("coldplug: still loading \(s.module) after \(Int(s.seconds)) s (for \(s.reason)); not waiting for it")
        }
        let loaded = report.results.filter { $0.outcome == .loaded }.count
        let failed = report.failures.count
        let timedOut = report.ending == .timedOut
        if json {
            out.write("{\"summary\":{\"modaliases\":\(report.modaliases),\"walks\":\(report.walks),\"planned\":\(report.plan.toLoad.count),")
            out.write("\"loaded\":\(loaded),\"failed\":\(failed),\"unmatched\":\(report.plan.unmatched.count),\"seconds\":\(format3(report.seconds)),")
            out.write("\"timed_out\":\(timedOut),\"stuck\":[")
            for (i, s) in report.stuck.enumerated() {
                if i > 0 { out.write(",") }
                out.write("{\"module\":"); JSONText.string(s.module, into: &out)
                out.write(",\"seconds\":\(format3(s.seconds)),\"device\":"); JSONText.string(s.reason, into: &out); out.write("}")
            }
            out.write("]}}\n")
        } else {
            warn("coldplug: \(report.modaliases) MODALIAS, \(report.plan.toLoad.count) modules planned, "
                 + "\(loaded) loaded, \(failed) failed, \(report.stuck.count) still loading, "
                 + "\(report.plan.unmatched.count) MODALIAS unmatched, \(format3(report.seconds)) s"
                 + (timedOut ? " (deadline reached)" : ""))
        }
        out.flush()
        if timedOut { return 4 }
        return a.flag("strict") && failed > 0 ? 1 : 0
    }

    static func matches(_ report: Coldplug.Report, json: Bool, into out: inout OutputBuffer) {
        for m in report.plan.modules {
            for alias in m.modaliases {
                if json {
                    out.write("{"); JSONText.field("modalias", bytes: alias, into: &out)
                    out.write(",\"module\":"); JSONText.string(m.name, into: &out)
                    out.write(",\"source\":"); JSONText.string(m.source.rawValue, into: &out); out.write("}\n")
                } else {
                    out.write("match\t"); out.write(alias); out.write("\t\(m.name)\t\(m.source.rawValue)\n")
                }
            }
        }
        for alias in report.plan.unmatched {
            if json { out.write("{"); JSONText.field("modalias", bytes: alias, into: &out); out.write(",\"module\":null}\n") } else {
                out.write("nomatch\t"); out.write(alias); out.write("\n")
            }
        }
        for f in report.plan.deviceTreeFallbacks {
            if json {
                out.write("{"); JSONText.field("of_fallback", bytes: f.constructed, into: &out)
                out.write(","); JSONText.fieldArray("for", values: f.modaliases, into: &out); out.write("}\n")
            } else {
                out.write("of-fallback\t"); out.write(f.constructed)
                for m in f.modaliases { out.write("\t"); out.write(m) }
                out.write("\n")
            }
        }
        for devpath in report.waitingForSupplier {
            if json { out.write("{"); JSONText.field("waiting_for_supplier", bytes: Array(devpath.utf8), into: &out); out.write("}\n") } else {
                out.write("waiting-for-supplier\t\(devpath)\n")
            }
        }
        for (entry, modules) in report.plan.staticLoads {
            if json {
                out.write("{\"static\":"); JSONText.string(entry.name, into: &out)
                out.write(",\"from\":"); JSONText.string(entry.source, into: &out)
                out.write(",\"modules\":[")
                for (i, m) in modules.enumerated() { if i > 0 { out.write(",") }; JSONText.string(m, into: &out) }
                out.write("]}\n")
            } else {
                out.write("static\t\(entry.source)\t\(entry.name)\t\(modules.isEmpty ? "-" : modules.joined(separator: ","))\n")
            }
        }
        for (alias, why) in report.plan.invalid {
            if json { out.write("{"); JSONText.field("modalias", bytes: alias, into: &out); out.write(",\"error\":"); JSONText.string(why, into: &out); out.write("}\n") } else {
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
