import Foundation
import Glibc
import Testing
import Autoload

/// Whether this process can hide /proc from a child: root with unshare(1) and the right to make
/// a mount namespace (a container's root often lacks CAP_SYS_ADMIN), so try one once.
enum ProcHiding {
    static let possible = getuid() == 0 && access("/usr/bin/unshare", X_OK) == 0
        && system("/usr/bin/unshare --mount --propagation private /bin/true >/dev/null 2>&1") == 0
}

/// autoloadd where /proc is not mounted: an image builder's chroot, an `/init` before it
/// mounts /proc. The Swift runtime takes CommandLine from /proc/self/cmdline, so autoloadd
/// saw no arguments there, and a static build died before main (the runtime's backtracer
/// set-up looks for its helper through /proc/self/exe and aborts). Each run here is in a
/// private mount namespace with an empty tmpfs over /proc; the answers are libkmod's.
/// Needs root, unshare(1) and a mount namespace; without them it skips, except under
/// scripts/test.sh, whose AUTOLOAD_REQUIRE_UEVENTS=1 says this is the root machine where every
/// privileged suite must run.
@Suite(.enabled(if: ProcHiding.possible || UeventHost.required))
struct NoProcTests {
    /// The test build's autoloadd, and the static build when AUTOLOAD_STATIC_BINARY names it
    /// (scripts/test.sh builds it before the tests).
    static var binaries: [String] {
        [DaemonProcess.binary] + (ProcessInfo.processInfo.environment["AUTOLOAD_STATIC_BINARY"].map { [$0] } ?? [])
    }

    /// Runs the command with /proc hidden; the shell refuses to go on if /proc/self is still there.
    static let withoutProc = ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                              "mount -t tmpfs none /proc && [ ! -e /proc/self ] && exec \"$0\" \"$@\""]

    @Test(arguments: binaries)
    func resolveSeesItsArguments(binary: String) throws {
        let tree = try FixtureTree.build("basic")
        let scratch = try TempDir("autoload-noproc")
        defer { scratch.remove() }
        let kmod = try KmodContext(modulesDirectory: tree.modulesDir, configPaths: [tree.configDir])
        // A config alias, modules.alias patterns, a module name, bytes that are not UTF-8, none.
        let inputs: [[UInt8]] = ["ethX", "acme:foo-bar", "acme:core", "acme_hex", "no:such:device"].map { Array($0.utf8) }
            + [Array("acme:id".utf8) + [0xff] + Array("x".utf8)]
        let options = ["resolve", "--modules-dir", tree.modulesDir, "--config", tree.configDir, "--no-cache", "--"]
        let run = try CLIRun.autoloadd(options.map { Array($0.utf8) } + inputs, prefix: Self.withoutProc, binary: binary)
        #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
        let expected = try inputs.map { input in
            input + [9] + Array(try kmod.lookup(input).joined(separator: ",").utf8)
        }
        #expect(run.lines == expected, "got \(run.lines.map { String(decoding: $0, as: UTF8.self) })")
        #expect(expected.contains { $0.last != 9 }, "the oracle matched nothing: the test would prove little")
    }

    /// The SWIFT_BACKTRACE setting that lets a static build start without /proc is the
    /// process's own: an install command (run by libkmod through /bin/sh) gets the caller's
    /// value, or none, whether the caller set one (without a helper path, which alone would
    /// still abort a static build) or not.
    @Test(arguments: binaries, [nil, "enable=no"])
    func installCommandRunsWithTheCallersEnvironment(binary: String, callerSetting: String?) throws {
        let tree = try FixtureTree.build("basic")
        let scratch = try TempDir("autoload-noproc")
        defer { scratch.remove() }
        let config = scratch.path + "/modprobe.d", envFile = scratch.path + "/child-env"
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        try "install noproc_probe /usr/bin/env > \(envFile)\n"
            .write(toFile: config + "/noproc.conf", atomically: true, encoding: .utf8)
        let args = ["modalias", "--modules-dir", tree.modulesDir, "--config", config, "--no-cache", "noproc_probe"]
        var environment = ["AUTOLOAD_TEST_MARK": Array("1".utf8)]
        if let callerSetting { environment["SWIFT_BACKTRACE"] = Array(callerSetting.utf8) }
        let run = try CLIRun.autoloadd(args.map { Array($0.utf8) }, environment: environment,
                                       prefix: Self.withoutProc, unset: ["SWIFT_BACKTRACE"], binary: binary)
        #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
        let childEnv = try String(contentsOfFile: envFile, encoding: .utf8).split(separator: "\n")
        #expect(childEnv.contains("AUTOLOAD_TEST_MARK=1"), "the install command did not get the caller's environment")
        let seen = childEnv.filter { $0.hasPrefix("SWIFT_BACKTRACE=") }
        #expect(seen == (callerSetting.map { ["SWIFT_BACKTRACE=\($0)"] } ?? []), "\(seen)")
    }
}
