#if canImport(Glibc)
import Glibc
#endif
import AliasMatcher
import LinuxSystem
import SystemPackage

/// The /sys walk as an event source: every device's `uevent` file (what udev's
/// 80-drivers.rules loads for: a few devices, such as `mmc:block`, have a MODALIAS there but
/// no `modalias` file), as one `DeviceEvent` each.
///
/// Devices are enumerated as `udevadm trigger` does: the entries of `SYSFS/bus/*/devices/` and
/// `SYSFS/class/*/` (every device sits in exactly one bus or class; a device in neither has no
/// subsystem and so no MODALIAS). That reads ~100 directories of links instead of recursing
/// through every attribute directory under `SYSFS/devices`: under qemu TCG the recursive walk
/// cost 0.8 s idle and 3.5–8.8 s while modules were initialising, which delayed every driver
/// found by a later walk. The enumeration directory also names the subsystem, so no
/// `subsystem` link is read. No per-device objects are made; links are opened, never walked.
public struct SysfsWalker {
    public var root: String
    /// The named-load rules in force: which devices are events without a MODALIAS.
    public var rules: DriverLoadRules

    public init(root: String = "/sys", rules: DriverLoadRules = .systemd) {
        self.root = root
        self.rules = rules
    }

    public struct Found {
        /// Devices with a MODALIAS, or that a named-load rule may match, in walk order (and
        /// the loaded modules `SUBSYSTEM=="module"` rules name).
        public var events: [DeviceEvent] = []
        public var filesRead = 0
        /// Directories or files that could not be read, with errno: reported, never fatal.
        public var errors: [String] = []

        /// Every distinct MODALIAS value, first-seen order.
        public var modaliases: [[UInt8]] {
            var seen = Set<[UInt8]>(), out = [[UInt8]]()
            for e in events { for m in e.modaliases where seen.insert(m).inserted { out.append(m) } }
            return out
        }
    }

    /// Every device's uevent.
    public func walk(origin: DeviceEvent.Origin = .coldplug) -> Found {
        var known = Set<String>()
        return walk(known: &known, origin: origin)
    }

    /// Reads the uevent of devices not in `known` only, and adds them to it: a device's
    /// MODALIAS never changes while it exists. (A device removed and re-added at the same
    /// path is skipped, so use a fresh set for anything longer-lived than one coldplug.)
    public func walk(known: inout Set<String>, origin: DeviceEvent.Origin = .coldplug) -> Found {
        var found = Found()
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        // 80-drivers.rules' `SUBSYSTEM=="module"` lines match loaded modules, not devices.
        for name in rules.moduleNames where !known.contains("/module/" + name) {
            if access(base + "/module/" + name, F_OK) == 0 {
                known.insert("/module/" + name)
                found.events.append(DeviceEvent(origin: origin, action: DeviceEvent.addAction,
                                                devpath: Array(("/module/" + name).utf8), subsystem: "module", fields: []))
            }
        }
        for (kind, suffix) in [("bus", "/devices"), ("class", "")] {
            for subsystem in Self.entries(base + "/" + kind, errors: &found.errors) {
                let dir = base + "/" + kind + "/" + subsystem + suffix
                let ruled = rules.subsystems.contains(subsystem)
                for name in Self.entries(dir, errors: &found.errors) {
                    let link = dir + "/" + name
                    guard !known.contains(link) else { continue }
                    found.filesRead += 1
                    switch Self.readValue(link + "/uevent", wholeFile: true) {
                    case .success(let v):
                        known.insert(link)
                        let fields = DeviceEvent.fields(ofUeventFile: v)
                        guard ruled || fields.contains(where: { $0.key == DeviceEvent.modaliasKey && !$0.value.isEmpty }) else { continue }
                        let devpath = Self.devicePath(link, base: base)
                        found.events.append(DeviceEvent(origin: origin, action: DeviceEvent.addAction,
                                                        devpath: Array(devpath.dropFirst(base.count).utf8),
                                                        subsystem: subsystem, fields: fields))
                    case .failure(let err):
                        // A device can go away between readdir and open; class directories hold a few plain
                        // files (zram-control/hot_add); some uevents refuse reads.
                        if err != .noSuchFileOrDirectory, err != .notDirectory { found.errors.append("\(link)/uevent: \(err)") }
                    }
                }
            }
        }
        return found
    }

    /// Names in a directory (not . and ..); a missing directory is empty (no such bus or class
    /// in this kernel), other errors are reported.
    static func entries(_ dir: String, errors: inout [String]) -> [String] {
        do {
            return try Directory.entries(dir).map { String(decoding: $0, as: UTF8.self) }
        } catch {
            if error != .noSuchFileOrDirectory && error != .notDirectory { errors.append("\(dir): \(error)") }
            return []
        }
    }

    /// The device directory a bus/class link points to (SYSFS/devices/...): the link target is
    /// relative and climbs to the sysfs root first, so dropping the `../` steps is enough.
    static func devicePath(_ link: String, base: String) -> String {
        guard let target = linkTarget(link) else { return link }
        var rest = Substring(target)
        while rest.hasPrefix("../") { rest = rest.dropFirst(3) }
        return rest.hasPrefix("/") ? String(rest) : base + "/" + rest
    }

    /// A symlink's target, or nil.
    static func linkTarget(_ path: String) -> String? {
        guard let target = try? Directory.linkTarget(path), !target.isEmpty else { return nil }
        return String(decoding: target, as: UTF8.self)
    }

    /// A sysfs attribute's first line (or, with `wholeFile`, all of it) as bytes.
    static func readValue(_ path: String, wholeFile: Bool = false) -> Result<[UInt8], Errno> {
        do {
            let fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
            defer { try? fd.close() }
            var buf = [UInt8](repeating: 0, count: 4097)
            let n = try buf.withUnsafeMutableBytes { try fd.read(into: $0) }
            if wholeFile { return .success(Array(buf[..<n].prefix { $0 != 0 })) }
            let line = buf[..<n].prefix { $0 != 10 && $0 != 0 }
            return .success(Array(line))
        } catch {
            return .failure((error as? Errno) ?? .ioError)
        }
    }
}
