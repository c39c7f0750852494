import Autoload

/// `daemon --json`: one object per line, `"event"` first. Byte strings (MODALIAS, DEVPATH,
/// ACTION) are JSONText fields: text, plus `NAME_hex` when a value is not valid UTF-8.
enum DaemonJSON {
    static func write(_ event: EngineEvent, into o: inout OutputBuffer) {
        func key(_ k: String) { o.write(",\"\(k)\":") }
        func bytes(_ k: String, _ v: some Collection<UInt8>) { o.write(","); JSONText.field(k, bytes: v, into: &o) }
        func text(_ s: String) { JSONText.string(s, into: &o) }
        func begin(_ name: String) { o.write("{\"event\":\"\(name)\"") }
        func inFlight(_ loads: [LoadInFlight]) {
            o.write("[")
            for (i, l) in loads.enumerated() {
                if i > 0 { o.write(",") }
                o.write("{\"module\":"); text(l.module); o.write(",\"seconds\":\(l.seconds),\"device\":"); text(l.reason); o.write("}")
            }
            o.write("]")
        }
        switch event {
        case .listening(let bytes, let forced):
            begin("listening"); key("rcvbuf"); o.write("\(bytes)"); key("forced"); o.write(forced ? "true" : "false")
        case .device(let d):
            begin("device")
            key("origin"); text(d.origin.rawValue)
            bytes("action", d.action)
            bytes("devpath", d.devpath)
            if let m = d.modaliases.first { bytes("modalias", m) } else { key("modalias"); o.write("null") }
            if d.modaliases.count > 1 { o.write(","); JSONText.fieldArray("modaliases", values: d.modaliases, into: &o) }
            if let s = d.seqnum { bytes("seqnum", s) }
            if let of = d.deviceTreeFallback { bytes("of_fallback", of) }
            if !d.namedLoads.isEmpty {
                key("named"); o.write("[")
                for (i, n) in d.namedLoads.enumerated() { if i > 0 { o.write(",") }; text(n) }
                o.write("]")
            }
            key("modules"); o.write("[")
            for (i, m) in d.modules.enumerated() {
                if i > 0 { o.write(",") }
                o.write("{\"module\":"); text(m.module)
                o.write(",\"decision\":"); text(m.decision.rawValue)
                if let a = m.admission { o.write(",\"admission\":"); text(a.rawValue) }
                o.write("}")
            }
            o.write("]")
            if let bad = d.invalid { key("invalid"); text(bad) }
        case .ignored(let action, let devpath):
            begin("ignored"); bytes("action", action); bytes("devpath", devpath)
        case .rejected(let why):
            begin("rejected"); key("reason"); text(why.kind); key("detail"); text(why.description)
        case .resync(let reason, let count, let seconds):
            begin("resync"); key("reason"); text(reason); key("modaliases"); o.write("\(count)")
            key("seconds"); o.write("\(seconds)")
        case .loaded(let r):
            begin("load"); key("module"); text(r.module)
            key("outcome"); text(r.outcome.kind)
            switch r.outcome {
            case .loaded: break
            case .noDevice(let code): key("errno"); o.write("\(code)")
            default: key("error"); text(r.module + ": " + r.outcome.detail)
            }
            key("seconds"); o.write("\(r.seconds)")
            key("device"); text(r.reason)
        case .stillLoading(let l):
            begin("still-loading"); key("module"); text(l.module); key("seconds"); o.write("\(l.seconds)")
            key("device"); text(l.reason)
        case .ready(let seconds, let loading):
            begin("ready"); key("seconds"); o.write("\(seconds)")
            key("timed_out"); o.write(loading.isEmpty ? "false" : "true")
            key("loading"); inFlight(loading)
        case .reloaded(let notes):
            begin("reloaded"); key("notes"); o.write("[")
            for (i, n) in notes.enumerated() { if i > 0 { o.write(",") }; text(n) }
            o.write("]")
        case .reloadFailed(let reason):
            begin("reload-failed"); key("reason"); text(reason)
        case .stopping(let signal, let c, let abandoned):
            begin("stopping"); key("signal"); o.write("\(signal)")
            key("abandoned"); inFlight(abandoned)
            for (k, v) in [("accepted", c.accepted), ("ignored", c.ignored), ("rejected", c.rejected),
                           ("resyncs", c.resyncs), ("lookups", c.lookups), ("loaded", c.loads.loaded),
                           ("no_device", c.loads.noDevice), ("failed", c.loads.failed), ("queue_full", c.loads.full)] {
                key(k); o.write("\(v)")
            }
            key("rejected_by"); o.write("{")
            for (i, (k, v)) in c.rejectedByKind.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { o.write(",") }
                text(k); o.write(":\(v)")
            }
            o.write("}")
        case .error(let message):
            begin("error"); key("message"); text(message)
        }
        o.write("}\n")
    }
}
