import Autoload

/// `daemon --json`: one object per line, `"event"` first. Byte strings (MODALIAS, DEVPATH)
/// go through JSONText, so odd bytes survive as `\u00XX`.
enum DaemonJSON {
    static func write(_ event: DaemonEvent, into o: inout OutputBuffer) {
        func key(_ k: String) { o.write(",\"\(k)\":") }
        func str(_ s: some Sequence<UInt8>) { JSONText.string(s, into: &o) }
        func text(_ s: String) { JSONText.string(s, into: &o) }
        func begin(_ name: String) { o.write("{\"event\":\"\(name)\"") }
        switch event {
        case .listening(let bytes, let forced):
            begin("listening"); key("rcvbuf"); o.write("\(bytes)"); key("forced"); o.write(forced ? "true" : "false")
        case .device(let d):
            begin("device")
            key("origin"); text(d.origin.rawValue)
            key("action"); str(d.action)
            key("devpath"); str(d.devpath)
            key("modalias"); if let m = d.modalias { str(m) } else { o.write("null") }
            if let s = d.seqnum { key("seqnum"); str(s) }
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
            begin("ignored"); key("action"); str(action); key("devpath"); str(devpath)
        case .rejected(let why):
            begin("rejected"); key("reason"); text(why.kind); key("detail"); text(why.description)
        case .resync(let reason, let count, let seconds):
            begin("resync"); key("reason"); text(reason); key("modaliases"); o.write("\(count)")
            key("seconds"); o.write("\(seconds)")
        case .loaded(let r):
            begin("load"); key("module"); text(r.module)
            switch r.outcome {
            case .loaded: key("outcome"); text("loaded")
            case .noDevice(let code): key("outcome"); text("no-device"); key("errno"); o.write("\(code)")
            case .failed(let why): key("outcome"); text("failed"); key("error"); text(why)
            }
            key("seconds"); o.write("\(r.seconds)")
        case .ready(let seconds):
            begin("ready"); key("seconds"); o.write("\(seconds)")
        case .reloaded(let notes):
            begin("reloaded"); key("notes"); o.write("[")
            for (i, n) in notes.enumerated() { if i > 0 { o.write(",") }; text(n) }
            o.write("]")
        case .reloadFailed(let reason):
            begin("reload-failed"); key("reason"); text(reason)
        case .stopping(let signal, let c):
            begin("stopping"); key("signal"); o.write("\(signal)")
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
