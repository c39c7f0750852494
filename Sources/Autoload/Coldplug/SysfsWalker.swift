#if canImport(Glibc)
import Glibc
#endif
import AliasMatcher
import SystemPackage

/// Finds every device in sysfs and returns the distinct MODALIAS strings of their `uevent`
/// files (the values udev's 80-drivers.rules loads for: a few devices, such as `mmc:block`,
/// have one there but no `modalias` file), in walk order, plus the modules the rules' other
/// lines load (`DriverLoadRule`).
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

    public init(root: String = "/sys") { self.root = root }

    public struct Found {
        /// Distinct MODALIAS values, first-seen order.
        public var modaliases: [[UInt8]] = []
        /// The device directory (under SYSFS/devices) each was first found in.
        public var devices: [String] = []
        /// Modules 80-drivers.rules loads by name, with the device that asked, in walk order.
        public var namedLoads: [(module: String, device: String)] = []
        public var filesRead = 0
        /// Directories or files that could not be read, with errno: reported, never fatal.
        public var errors: [String] = []
    }

    /// Every device's uevent.
    public func walk() -> Found {
        var known = Set<String>()
        return walk(known: &known)
    }

    /// Reads the uevent of devices not in `known` only, and adds them to it: coldplug walks
    /// again and again while loads run, and a device's MODALIAS never changes while it exists.
    /// (A device removed and re-added at the same path is skipped, so use a fresh set for
    /// anything longer-lived than one coldplug.)
    public func walk(known: inout Set<String>) -> Found {
        var found = Found()
        var seen = Set<[UInt8]>(), namedSeen = Set<String>()
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        // 80-drivers.rules' `SUBSYSTEM=="module"` lines match loaded modules, not devices.
        for rule in DriverLoadRule.systemd where rule.subsystem == "module" {
            if let k = rule.kernel, access(base + "/module/" + k, F_OK) == 0 {
                for m in rule.modules where namedSeen.insert(m).inserted { found.namedLoads.append((m, base + "/module/" + k)) }
            }
        }
        for (kind, suffix) in [("bus", "/devices"), ("class", "")] {
            for subsystem in Self.entries(base + "/" + kind, errors: &found.errors) {
                let dir = base + "/" + kind + "/" + subsystem + suffix
                for name in Self.entries(dir, errors: &found.errors) {
                    let link = dir + "/" + name
                    guard !known.contains(link) else { continue }
                    found.filesRead += 1
                    switch Self.readValue(link + "/uevent", wholeFile: true) {
                    case .success(let v):
                        known.insert(link)
                        let env = Self.environment(v)
                        var device: String?
                        if let m = env["MODALIAS"], !m.isEmpty, seen.insert(m).inserted {
                            device = Self.devicePath(link, base: base)
                            found.modaliases.append(m)
                            found.devices.append(device!)
                        }
                        for module in Self.ruleLoads(kernel: name, subsystem: subsystem, env: env) where namedSeen.insert(module).inserted {
                            if device == nil { device = Self.devicePath(link, base: base) }
                            found.namedLoads.append((module, device!))
                        }
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
        guard let d = dir.withCString({ opendir($0) }) else {
            let e = Errno(rawValue: Glibc.errno)
            if e != .noSuchFileOrDirectory && e != .notDirectory { errors.append("\(dir): \(e)") }
            return []
        }
        defer { closedir(d) }
        var out = [String]()
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    /// The device directory a bus/class link points to (SYSFS/devices/...): the link target is
    /// relative and climbs to the sysfs root first, so dropping the `../` steps is enough.
    static func devicePath(_ link: String, base: String) -> String {
        guard let target = linkTarget(link) else { return link }
        var rest = Substring(target)
        while rest.hasPrefix("../") { rest = rest.dropFirst(3) }
        return rest.hasPrefix("/") ? String(rest) : base + "/" + rest
    }

    /// KEY=VALUE lines of a uevent file; values stay bytes (a MODALIAS may hold any byte).
    static func environment(_ bytes: [UInt8]) -> [String: [UInt8]] {
        var env = [String: [UInt8]]()
        for line in bytes.split(separator: 10) {
            guard let eq = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            env[String(decoding: line[..<eq], as: UTF8.self)] = Array(line[(eq + 1)...])
        }
        return env
    }

    /// The modules 80-drivers.rules' named lines load for this device (or module: subsystem
    /// "module", as its uevent says).
    static func ruleLoads(kernel: String, subsystem: String?, env: [String: [UInt8]]) -> [String] {
        var out = [String]()
        var text: [String: String]?
        for rule in DriverLoadRule.systemd {
            if let s = rule.subsystem, s != subsystem { continue }
            if let k = rule.kernel, !DriverLoadRule.glob(k, kernel) { continue }
            // Most devices match no rule's subsystem: the text form is made only when needed.
            if text == nil { text = env.mapValues { String(decoding: $0, as: UTF8.self) } }
            if rule.matches(subsystem: subsystem, kernel: kernel, environment: text!) { out += rule.modules }
        }
        return out
    }

    /// A symlink's target (readlink(2)), or nil.
    static func linkTarget(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
