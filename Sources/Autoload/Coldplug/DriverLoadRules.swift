/// The loads systemd's 80-drivers.rules makes besides `kmod load $env{MODALIAS}`, as data:
/// a rule matches a device's subsystem, kernel name (fnmatch-style `*` only) and uevent
/// variables, and names modules to load by name. Source: systemd rules.d/80-drivers.rules, and
/// Debian's udev package's 80-debian-compat.rules (`sg` for every SCSI device: udevd on Debian
/// loads it, and coldplug must load the same set).
public struct DriverLoadRule: Sendable {
    public var subsystem: String?
    public var kernel: String?
    public var environment: [(key: String, value: String)]
    public var modules: [String]

    public static let systemd: [DriverLoadRule] = [
        .init(subsystem: "tifm", kernel: nil, environment: [("TIFM_CARD_TYPE", "SD")], modules: ["tifm_sd"]),
        .init(subsystem: "tifm", kernel: nil, environment: [("TIFM_CARD_TYPE", "MS")], modules: ["tifm_ms"]),
        .init(subsystem: "memstick", kernel: nil, environment: [], modules: ["ms_block", "mspro_block"]),
        .init(subsystem: "i2o", kernel: nil, environment: [], modules: ["i2o_block"]),
        .init(subsystem: "module", kernel: "parport_pc", environment: [], modules: ["ppdev"]),
        .init(subsystem: nil, kernel: "mtd*ro", environment: [("MTD_FTL", "smartmedia")], modules: ["sm_ftl"]),
        // 80-debian-compat.rules: SUBSYSTEM=="scsi", ENV{DEVTYPE}=="scsi_device", TEST!="[module/sg]"
        // (the TEST is the plan's "already loaded").
        .init(subsystem: "scsi", kernel: nil, environment: [("DEVTYPE", "scsi_device")], modules: ["sg"]),
    ]

    /// Subsystems some rule names: only devices in these need their `subsystem` link read.
    public static let subsystems = Set(systemd.compactMap(\.subsystem))

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
