/// One device as an event source hands it to the engine: what the kernel said of it (a
/// uevent) or what its sysfs `uevent` file says (a walk). Values stay bytes.
public struct DeviceEvent: Sendable {
    /// Where it came from.
    public enum Origin: String, Sendable {
        /// The first walk of /sys.
        case coldplug
        /// A kernel uevent.
        case uevent
        /// A later walk: events may have been lost (ENOBUFS, a receive error, a full queue),
        /// or there is no uevent socket.
        case resync
        /// A static list's name (modules-load.d, /etc/modules, the kernel command line);
        /// the devpath is where it was.
        case modulesLoad = "modules-load"
    }

    public var origin: Origin
    public var action: [UInt8]
    /// `/devices/...` (or `/module/NAME` for a loaded module), as the kernel's DEVPATH.
    public var devpath: [UInt8]
    public var subsystem: String?
    /// KEY=VALUE fields in order; a key may repeat (ACPI PRP0001 devices carry two MODALIAS).
    public var fields: [(key: [UInt8], value: [UInt8])]
    public var seqnum: [UInt8]?

    public init(origin: Origin, action: [UInt8], devpath: [UInt8], subsystem: String?,
                fields: [(key: [UInt8], value: [UInt8])], seqnum: [UInt8]? = nil) {
        self.origin = origin
        self.action = action
        self.devpath = devpath
        self.subsystem = subsystem
        self.fields = fields
        self.seqnum = seqnum
    }

    static let addAction = Array("add".utf8)
    static let modaliasKey = Array("MODALIAS".utf8)

    /// udev loads on `add` only (80-drivers.rules: ACTION!="add", GOTO="drivers_end").
    public var isAdd: Bool { action == Self.addAction }

    /// Every non-empty MODALIAS value, in order, each once.
    public var modaliases: [[UInt8]] {
        var out = [[UInt8]]()
        for f in fields where f.key == Self.modaliasKey && !f.value.isEmpty && !out.contains(f.value) {
            out.append(f.value)
        }
        return out
    }

    /// The device's kernel name: DEVPATH's last component.
    public var kernelName: String {
        let name = devpath.lastIndex(of: UInt8(ascii: "/")).map { devpath[($0 + 1)...] } ?? devpath[...]
        return String(decoding: name, as: UTF8.self)
    }

    /// The first value of `key`, as text.
    public func text(_ key: String) -> String? {
        let k = Array(key.utf8)
        return fields.first { $0.key == k }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// KEY=VALUE lines (a sysfs `uevent` file).
    static func fields(ofUeventFile bytes: [UInt8]) -> [(key: [UInt8], value: [UInt8])] {
        var out = [(key: [UInt8], value: [UInt8])]()
        for line in bytes.split(separator: 10) {
            guard let eq = line.firstIndex(of: UInt8(ascii: "=")), eq > line.startIndex else { continue }
            out.append((Array(line[..<eq]), Array(line[(eq + 1)...])))
        }
        return out
    }
}

extension DeviceEvent {
    /// A kernel message as an event.
    init(_ m: UeventMessage) {
        let subsystem = m.value("SUBSYSTEM").map { String(decoding: $0, as: UTF8.self) }
        self.init(origin: .uevent, action: m.action, devpath: m.devpath, subsystem: subsystem,
                  fields: m.fields.map { ($0.key, $0.value) }, seqnum: m.value("SEQNUM"))
    }
}
