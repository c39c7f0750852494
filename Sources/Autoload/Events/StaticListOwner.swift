import LinuxSystem

/// Who loads the static module lists, so that autoload and systemd-modules-load.service do
/// not both run the same lists: systemd's service where it will run (systemd is the init,
/// and the unit is installed and not masked), autoload otherwise. `systemctl mask
/// systemd-modules-load.service` hands the lists to autoload.
public enum StaticListOwner: Sendable, Equatable {
    case autoload
    case systemdModulesLoad

    public static func detect(root: String) -> StaticListOwner {
        let base = root == "/" ? "" : root
        func exists(_ p: String) -> Bool { (try? FileStamp.of(base + p)).map { $0 != .missing } ?? false }
        // sd_booted(3)'s test: systemd is the running init.
        guard exists("/run/systemd/system") else { return .autoload }
        for dir in ["/etc/systemd/system", "/run/systemd/system"] {
            if let t = try? Directory.linkTarget(base + dir + "/systemd-modules-load.service"),
               t == Array("/dev/null".utf8) { return .autoload }
        }
        let installed = ["/usr/lib/systemd/system", "/lib/systemd/system", "/etc/systemd/system"]
            .contains { exists($0 + "/systemd-modules-load.service") }
        return installed ? .systemdModulesLoad : .autoload
    }
}
