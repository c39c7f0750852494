import Foundation
import Testing
import Autoload

/// The static module lists against systemd-modules-load (systemd 252) over the same
/// directories: run in a private mount namespace where the fixture's directories are the
/// system's, it logs "Loading module: NAME" for every name it reads, in its order (the
/// host kernel loads nothing, so each then fails: which names, not whether they load).
@Suite struct StaticModuleListTests {
    static let tree = KernelTrees.all.first ?? "/nonexistent"
    /// One compiled index for the suite's runs (compiling a Debian tree takes a while).
    static let cache = (try? TempDir("modules-load-cache"))?.path ?? "/nonexistent"

    /// A root with every rule at work: a same-named file in a later directory hidden, a
    /// /dev/null mask, comments (`#`, `;`), blank and indented lines, a name that is not a
    /// module, a dot file and a non-.conf file ignored, Debian's /etc/modules through its
    /// modules.conf symlink, and a kernel command line.
    static func fixture() throws -> TempDir {
        let dir = try TempDir("modules-load")
        let r = dir.path
        func file(_ path: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (r + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: r + path))
        }
        try file("/etc/modules-load.d/a.conf", "# comment\nfuse\n; semicolon comment\n\n  loop  \nnot_a_module_xyz\n")
        try file("/usr/lib/modules-load.d/a.conf", "dummy\n")
        try file("/run/modules-load.d/b.conf", "tun\n")
        try file("/usr/lib/modules-load.d/c.conf", "nbd\n")
        try FileManager.default.createSymbolicLink(atPath: r + "/etc/modules-load.d/c.conf", withDestinationPath: "/dev/null")
        try file("/usr/local/lib/modules-load.d/d.conf", "vfat\n")
        try file("/usr/lib/modules-load.d/.hidden.conf", "bonding\n")
        try file("/usr/lib/modules-load.d/e.txt", "veth\n")
        try file("/usr/lib/modules-load.d/0-early.conf", "dm_mod\r\nsnd-aloop\n")
        try file("/etc/modules", "# /etc/modules\nbtrfs\n")
        try FileManager.default.createSymbolicLink(atPath: r + "/etc/modules-load.d/modules.conf", withDestinationPath: "../modules")
        try file("/proc/cmdline", "BOOT_IMAGE=/vmlinuz modules_load=xfs,ext4 rd.modules_load=sctp modules-load=isofs quiet\n")
        return dir
    }

    enum Place { case system, initramfs }

    /// The names systemd-modules-load reads for `root`, in order.
    static func systemdNames(root: String, place: Place) throws -> [String] {
        // tmpfs over /run and /usr/local/lib first: there the directories may not exist,
        // and nothing is to be made on the host.
        let script = """
        set -e
        R=$1
        mount -t tmpfs none /run; mount -t tmpfs none /usr/local/lib
        mkdir -p /run/modules-load.d /usr/local/lib/modules-load.d
        for d in /etc/modules-load.d /run/modules-load.d /usr/local/lib/modules-load.d /usr/lib/modules-load.d; do
            mount -t tmpfs none $d
            if [ -d "$R$d" ]; then mount --bind "$R$d" $d; fi
        done
        if [ -e "$R/etc/modules" ]; then mount --bind "$R/etc/modules" /etc/modules; fi
        SYSTEMD_LOG_LEVEL=debug SYSTEMD_PROC_CMDLINE="$(cat "$R/proc/cmdline")" exec /lib/systemd/systemd-modules-load
        """
        let data = try OracleRun.run("/usr/bin/unshare", ["-m", "/bin/sh", "-c", script, "sh", root],
                                     environment: ["SYSTEMD_IN_INITRD": place == .initramfs ? "1" : "0"],
                                     streams: .stdoutAndStderr)
        let text = String(decoding: data, as: UTF8.self)
        let names = text.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix("Loading module: ") ? String(line.dropFirst("Loading module: ".count)) : nil
        }
        #expect(!names.isEmpty, "systemd-modules-load said: \(text)")
        return names
    }

    static func ours(root: String, json: Bool = false) throws -> CLIRun {
        let empty = try TempDir("empty-sysfs")
        defer { empty.remove() }
        return try CLIRun.autoloadd(["coldplug", "--dry-run", "--explain", "--root", root, "--modules-dir", tree,
                                     "--sysfs", empty.path, "--cache-dir", cache, "--config", "/nonexistent"].map { Array($0.utf8) })
    }

    @Test(arguments: [Place.system, Place.initramfs])
    func namesAndOrderEqualSystemd(place: Place) throws {
        let dir = try Self.fixture()
        defer { dir.remove() }
        if place == .initramfs { try Data().write(to: URL(fileURLWithPath: dir.path + "/etc/initrd-release")) }
        let theirs = try Self.systemdNames(root: dir.path, place: place)
        let run = try Self.ours(root: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.lines.map { String(decoding: $0, as: UTF8.self) }
        let mine = lines.filter { $0.hasPrefix("static\t") }.map { String($0.split(separator: "\t")[2]) }
        #expect(mine == theirs)
        // Where each came from, for --explain.
        #expect(lines.contains("static\t/etc/modules-load.d/a.conf:5\tloop\tloop"))
        #expect(lines.contains("static\tkernel command line\txfs\txfs"))
        // A name that is not a module is reported, not fatal.
        #expect(run.stderr.contains("/etc/modules-load.d/a.conf:6: 'not_a_module_xyz' is not a module"))
    }

    /// The must-show: every module the lists name is planned, nothing from a hidden, masked,
    /// dot or non-.conf file.
    @Test func plansEveryListedModuleAndNothingHidden() throws {
        let dir = try Self.fixture()
        defer { dir.remove() }
        let theirs = Set(try Self.systemdNames(root: dir.path, place: .system))
        let run = try Self.ours(root: dir.path)
        let planned = Set(run.lines.map { String(decoding: $0, as: UTF8.self) }
            .filter { $0.hasPrefix("would load\t") }.map { String($0.dropFirst("would load\t".count)) })
        // systemd's names that are modules (dash or underscore alike, as libkmod).
        let expected = Set(theirs.filter { $0 != "not_a_module_xyz" }.map { $0.replacingOccurrences(of: "-", with: "_") })
        #expect(planned == expected)
        for hidden in ["dummy", "nbd", "bonding", "veth", "sctp"] { #expect(!planned.contains(hidden)) }
    }

    @Test func noModulesLoadOptsOut() throws {
        let dir = try Self.fixture()
        defer { dir.remove() }
        let empty = try TempDir("empty-sysfs")
        defer { empty.remove() }
        let run = try CLIRun.autoloadd(["coldplug", "--dry-run", "--explain", "--no-modules-load", "--root", dir.path,
                                        "--modules-dir", Self.tree, "--sysfs", empty.path, "--cache-dir", Self.cache, "--config", "/nonexistent"]
            .map { Array($0.utf8) })
        #expect(run.status == 0)
        #expect(!run.lines.contains { $0.starts(with: Array("static".utf8)) || $0.starts(with: Array("would load".utf8)) })
    }

    /// Under systemd with systemd-modules-load.service installed, the lists are its; once
    /// the unit is masked (`systemctl mask`: a /dev/null symlink in /etc), autoload's.
    @Test func systemdModulesLoadServiceOwnsTheListsUntilMasked() throws {
        let dir = try Self.fixture()
        defer { dir.remove() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir.path + "/run/systemd/system", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir.path + "/usr/lib/systemd/system", withIntermediateDirectories: true)
        try Data("[Unit]\n".utf8).write(to: URL(fileURLWithPath: dir.path + "/usr/lib/systemd/system/systemd-modules-load.service"))
        func staticLines() throws -> Int {
            try Self.ours(root: dir.path).lines.filter { $0.starts(with: Array("static\t".utf8)) }.count
        }
        #expect(try staticLines() == 0)
        try fm.createDirectory(atPath: dir.path + "/etc/systemd/system", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir.path + "/etc/systemd/system/systemd-modules-load.service", withDestinationPath: "/dev/null")
        #expect(try staticLines() == (try Self.systemdNames(root: dir.path, place: .system)).count)
    }
}
