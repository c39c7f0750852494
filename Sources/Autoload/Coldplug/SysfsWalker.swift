#if canImport(Glibc)
import Glibc
#endif
import AliasMatcher
import SystemPackage

/// Finds every device under a sysfs devices tree and returns the distinct MODALIAS strings of
/// their `uevent` files (the values udev's 80-drivers.rules loads for: a few devices, such as
/// `mmc:block`, have one there but no `modalias` file), in walk order, plus the modules the
/// rules' other lines load (`DriverLoadRule`). Symlinks are never followed (sysfs is full of
/// them, and loops), so each device is seen once; no per-device objects are made.
public struct SysfsWalker {
    public var root: String

    public init(root: String = "/sys") { self.root = root }

    public struct Found {
        /// Distinct MODALIAS values, first-seen order.
        public var modaliases: [[UInt8]] = []
        /// The device directory each was first found in (for --explain).
        public var devices: [String] = []
        /// Modules 80-drivers.rules loads by name, with the device that asked, in walk order.
        public var namedLoads: [(module: String, device: String)] = []
        public var filesRead = 0
        /// Directories or files that could not be read, with errno: reported, never fatal.
        public var errors: [String] = []
    }

    /// Walks `root/devices`.
    public func walk() -> Found {
        var found = Found()
        var seen = Set<[UInt8]>(), namedSeen = Set<String>()
        // 80-drivers.rules' `SUBSYSTEM=="module"` lines match loaded modules, not devices.
        for rule in DriverLoadRule.systemd where rule.subsystem == "module" {
            if let k = rule.kernel, access(root + "/module/" + k, F_OK) == 0 {
                for m in rule.modules where namedSeen.insert(m).inserted { found.namedLoads.append((m, root + "/module/" + k)) }
            }
        }
        var stack = [(root.hasSuffix("/") ? root : root + "/") + "devices"]
        while let dir = stack.popLast() {
            guard let d = dir.withCString({ opendir($0) }) else {
                found.errors.append("\(dir): \(Errno(rawValue: Glibc.errno))")
                continue
            }
            defer { closedir(d) }
            while let e = readdir(d) {
                let type = e.pointee.d_type
                let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let path = dir + "/" + name
                if type == UInt8(DT_DIR) {
                    stack.append(path)
                } else if type == UInt8(DT_REG), name == "uevent" {
                    found.filesRead += 1
                    switch Self.readValue(path, wholeFile: true) {
                    case .success(let v):
                        let env = Self.environment(v)
                        if let m = env["MODALIAS"], !m.isEmpty, seen.insert(m).inserted {
                            found.modaliases.append(m)
                            found.devices.append(dir)
                        }
                        for module in ruleLoads(dir: dir, env: env) where namedSeen.insert(module).inserted {
                            found.namedLoads.append((module, dir))
                        }
                    case .failure(let err):
                        // Some uevent files refuse reads (e.g. EIO from a device gone away).
                        found.errors.append("\(path): \(err)")
                    }
                } else if type == UInt8(DT_UNKNOWN) {
                    var st = stat()
                    if lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { stack.append(path) }
                }
            }
        }
        return found
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

    /// The modules 80-drivers.rules' named lines load for this device. The `subsystem` link is
    /// read only for devices whose rules need it, i.e. almost never twice.
    private func ruleLoads(dir: String, env: [String: [UInt8]]) -> [String] {
        let kernel = String(dir[dir.index(after: dir.lastIndex(of: "/")!)...])
        let text = env.mapValues { String(decoding: $0, as: UTF8.self) }
        var subsystem: String?
        var subsystemRead = false
        var out = [String]()
        for rule in DriverLoadRule.systemd where rule.subsystem != "module" {
            if rule.subsystem != nil, !subsystemRead {
                subsystem = Self.linkName(dir + "/subsystem")
                subsystemRead = true
            }
            if rule.matches(subsystem: subsystem, kernel: kernel, environment: text) { out += rule.modules }
        }
        return out
    }

    /// The last component of a symlink's target (readlink(2)), or nil.
    static func linkName(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let target = String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.split(separator: "/").last.map(String.init)
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
