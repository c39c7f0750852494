import Foundation
import Testing
import AliasMatcher
@testable import Autoload

/// udev's decisions where udev decides: every MODALIAS value of a device, the blacklist on
/// named loads, the named loads the system's rules files carry.
@Suite struct PlannerSemanticsTests {
    /// A copy of sysfs with one device whose uevent carries two MODALIAS values (an ACPI
    /// PRP0001 device: `acpi:` and `of:`), walked by `coldplug --dry-run --sysfs`; libkmod's
    /// lookup of each value is the oracle.
    @Test func everyModaliasValueOfADeviceIsResolved() throws {
        let tree = try FixtureTree.build("basic")
        let dir = try TempDir("autoload-sysfs")
        defer { dir.remove() }
        let device = dir.path + "/devices/platform/PRP0001:00"
        try FileManager.default.createDirectory(atPath: device, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.path + "/bus/platform/devices", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/bus/platform/devices/PRP0001:00",
                                                   withDestinationPath: "../../../devices/platform/PRP0001:00")
        let values = ["acpi:PRP0001:", "of:NsensorT(null)Cacme,sensor"]
        try ("DRIVER=\n" + values.map { "MODALIAS=\($0)\n" }.joined()).write(toFile: device + "/uevent", atomically: true, encoding: .utf8)
        let config = dir.path + "/modprobe.d"
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        try "alias acpi:PRP0001:* acme_generic\nalias of:N*T*Cacme,sensor* foo_bar\n"
            .write(toFile: config + "/x.conf", atomically: true, encoding: .utf8)

        let kmod = try KmodContext(modulesDirectory: tree.modulesDir, configPaths: [config])
        let expected = Set(try values.flatMap { try kmod.lookup($0) })
        #expect(expected.count == 2)
        let run = try CLIRun.autoloadd(["coldplug", "--dry-run", "--sysfs", dir.path, "--modules-dir", tree.modulesDir,
                                        "--config", config, "--no-cache"].map { Array($0.utf8) })
        #expect(run.status == 0, "\(run.stderr)")
        let planned = Set(run.lines.map { String(decoding: $0, as: UTF8.self) }.filter { $0.hasPrefix("would load\t") }.map { String($0.dropFirst("would load\t".count)) })
        #expect(planned == expected)
    }

    /// `modalias --dry-run NAME` with `blacklist NAME` loads nothing, as udev's
    /// `kmod load NAME` (KMOD_PROBE_APPLY_BLACKLIST); libkmod's own dry-run probe with that
    /// flag is the oracle. `sg` in the real trees, where they are present.
    @Test func aNamedLoadOfABlacklistedModuleLoadsNothing() throws {
        var cases = [(modulesDir: String, module: String)]()
        let fixture = try FixtureTree.build("basic")
        cases.append((fixture.modulesDir, "acme_generic"))
        for t in KernelTrees.all.prefix(2) { cases.append((t, "sg")) }
        for c in cases {
            let dir = try TempDir("autoload-blacklist")
            defer { dir.remove() }
            try "blacklist \(c.module)\n".write(toFile: dir.path + "/b.conf", atomically: true, encoding: .utf8)
            let kmod = try KmodContext(modulesDirectory: c.modulesDir, configPaths: [dir.path])
            #expect(try kmod.probeInsert(c.module, applyBlacklist: true, dryRun: true) == .blacklisted)
            let run = try CLIRun.autoloadd(["modalias", "--dry-run", "--modules-dir", c.modulesDir, "--config", dir.path,
                                            "--no-cache", c.module].map { Array($0.utf8) })
            let out = String(decoding: run.stdout, as: UTF8.self)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(out == "skip\t\(c.module)\tblacklisted\n", "\(c.modulesDir): \(out)")
        }
    }

    /// `sg` is Debian's 80-debian-compat.rules: loaded where the system has that file in a
    /// udev rules directory, not where it lacks it or masks it (a link to /dev/null in
    /// /etc/udev/rules.d, as udev masks).
    @Test func theCompatNamedLoadFollowsTheSystemsRulesFiles() throws {
        let root = try TempDir("autoload-root")
        defer { root.remove() }
        func sgLoads() -> Bool {
            DriverLoadRules.installed(root: root.path).rules.contains { $0.modules == ["sg"] }
        }
        #expect(!sgLoads())
        #expect(DriverLoadRules.installed(root: root.path).rules.count == DriverLoadRules.all.count - 1)
        try FileManager.default.createDirectory(atPath: root.path + "/usr/lib/udev/rules.d", withIntermediateDirectories: true)
        try "SUBSYSTEM==\"scsi\", ENV{DEVTYPE}==\"scsi_device\", TEST!=\"[module/sg]\", RUN{builtin}+=\"kmod load sg\"\n"
            .write(toFile: root.path + "/usr/lib/udev/rules.d/80-debian-compat.rules", atomically: true, encoding: .utf8)
        #expect(sgLoads())
        try FileManager.default.createDirectory(atPath: root.path + "/etc/udev/rules.d", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/etc/udev/rules.d/80-debian-compat.rules", withDestinationPath: "/dev/null")
        #expect(!sgLoads())
    }
}
