#if canImport(Glibc)
import Glibc
#endif

/// One load udev's rules make besides `kmod load $env{MODALIAS}`, as data: a rule matches a
/// device's subsystem, kernel name (fnmatch-style `*` only) and uevent variables, and names
/// modules to load by name.
public struct DriverLoadRule: Sendable {
    public var subsystem: String?
    public var kernel: String?
    public var environment: [(key: String, value: String)]
    public var modules: [String]
    /// The rules file that carries it (a name under udev's rules.d directories).
    public var file: String

    public func matches(subsystem: String?, kernel: String, environment env: [String: String]) -> Bool {
        if let s = self.subsystem, s != subsystem { return false }
        if let k = self.kernel, !Self.glob(k, kernel) { return false }
        return environment.allSatisfy { env[$0.key] == $0.value }
    }

    /// `*` wildcards only: all these rules use.
    static func glob(_ pattern: String, _ name: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return pattern == name }
        guard name.hasPrefix(parts[0]), name.hasSuffix(parts[parts.count - 1]),
              name.count >= parts[0].count + parts[parts.count - 1].count else { return false }
        var rest = Substring(name.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count))
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let r = rest.firstRange(of: middle) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }
}

/// The named loads in force. systemd's 80-drivers.rules lines are what autoload replaces, so
/// they always apply (daemon mode masks that file for udev). Debian's 80-debian-compat.rules
/// (`sg` for every SCSI device) applies only where the system has that file, unmasked, in a
/// udev rules directory: udevd there loads it, and a system without the file does not.
public struct DriverLoadRules: Sendable {
    public var rules: [DriverLoadRule]

    public static let driversFile = "80-drivers.rules"
    public static let debianCompatFile = "80-debian-compat.rules"

    public static let all: [DriverLoadRule] = [
        .init(subsystem: "tifm", kernel: nil, environment: [("TIFM_CARD_TYPE", "SD")], modules: ["tifm_sd"], file: driversFile),
        .init(subsystem: "tifm", kernel: nil, environment: [("TIFM_CARD_TYPE", "MS")], modules: ["tifm_ms"], file: driversFile),
        .init(subsystem: "memstick", kernel: nil, environment: [], modules: ["ms_block", "mspro_block"], file: driversFile),
        .init(subsystem: "i2o", kernel: nil, environment: [], modules: ["i2o_block"], file: driversFile),
        .init(subsystem: "module", kernel: "parport_pc", environment: [], modules: ["ppdev"], file: driversFile),
        .init(subsystem: nil, kernel: "mtd*ro", environment: [("MTD_FTL", "smartmedia")], modules: ["sm_ftl"], file: driversFile),
        // SUBSYSTEM=="scsi", ENV{DEVTYPE}=="scsi_device", TEST!="[module/sg]" (the TEST is
        // the pool's "already loaded").
        .init(subsystem: "scsi", kernel: nil, environment: [("DEVTYPE", "scsi_device")], modules: ["sg"], file: debianCompatFile),
    ]

    /// Every rule, whatever the system has (tests, and what `--root` cannot tell).
    public static let systemd = DriverLoadRules(rules: all)

    /// udev's rules directories, in its order: a name in an earlier one hides a later one.
    static let directories = ["/etc/udev/rules.d", "/run/udev/rules.d", "/usr/local/lib/udev/rules.d",
                              "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]

    /// The rules this system's udev would run: the compat file's only where it is installed
    /// under `root` and not masked (a link to /dev/null or an empty file, as udev masks).
    public static func installed(root: String = "/") -> DriverLoadRules {
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        let compat = directories.lazy.map { base + $0 + "/" + debianCompatFile }.first { access($0, F_OK) == 0 }
        let active = compat.map { !isMasked($0) } ?? false
        return DriverLoadRules(rules: all.filter { $0.file != debianCompatFile || active })
    }

    static func isMasked(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return true }
        return (st.st_mode & S_IFMT) == S_IFCHR || st.st_size == 0
    }

    /// Subsystems some rule names: only devices in these are events without a MODALIAS.
    public var subsystems: Set<String> { Set(rules.compactMap(\.subsystem)) }

    /// Loaded modules that `SUBSYSTEM=="module"` rules match by name.
    var moduleNames: [String] { rules.filter { $0.subsystem == "module" }.compactMap(\.kernel) }

    /// The modules the rules load for one device (or module: subsystem "module").
    public func loads(for event: DeviceEvent) -> [String] {
        var out = [String]()
        var text: [String: String]?
        let kernel = event.kernelName
        for rule in rules {
            if let s = rule.subsystem, s != event.subsystem { continue }
            if let k = rule.kernel, !DriverLoadRule.glob(k, kernel) { continue }
            // Most devices match no rule's subsystem: the text form is made only when needed.
            if text == nil {
                var env = [String: String]()
                for f in event.fields { env[String(decoding: f.key, as: UTF8.self)] = String(decoding: f.value, as: UTF8.self) }
                text = env
            }
            if rule.matches(subsystem: event.subsystem, kernel: kernel, environment: text!) { out += rule.modules }
        }
        return out
    }
}
