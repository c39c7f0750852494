import Foundation
import Synchronization
import Testing
@testable import Autoload

/// A boot never hangs: coldplug and the daemon over this machine's real /sys and real kernel
/// uevents, with real libkmod, whose finit_module is answered by
/// Tests/Fixtures/faults/insert-faults.c (LD_PRELOAD: hangs, slow inits, errnos). What was
/// inserted comes from the injector's own log, not from autoloadd's report.
extension RealKernelUevents {
    @Suite(.enabled(if: UeventHost.available || UeventHost.required))
    struct EngineDeadlineTests {
        let tree: (root: String, version: String, modulesDir: String, configDir: String)
        /// Two writable devices with different MODALIAS values.
        let first: String, second: String
        init() throws {
            tree = try FixtureTree.build("basic")
            let devices = UeventHost.devicesWithModalias().filter { access($0 + "/uevent", W_OK) == 0 }
            first = try #require(devices.first)
            second = try #require(devices.first { UeventHost.modalias(ofDevice: $0) != UeventHost.modalias(ofDevice: devices[0]) },
                                  "needs two devices with different MODALIAS")
        }

        /// A scratch modprobe.d with `alias DEVICE-MODALIAS MODULE` lines, an injector, a log.
        struct Lab {
            let dir: TempDir
            let injector: String
            var config: String { dir.path + "/modprobe.d" }
            var log: String { dir.path + "/inserted" }

            init(aliases: [(device: String, module: String)], extra: [String] = []) throws {
                dir = try TempDir("autoload-engine")
                try FileManager.default.createDirectory(atPath: dir.path + "/modprobe.d", withIntermediateDirectories: true)
                var lines = extra
                for a in aliases { lines.append("alias \(try #require(UeventHost.modalias(ofDevice: a.device))) \(a.module)") }
                try (lines.joined(separator: "\n") + "\n").write(toFile: dir.path + "/modprobe.d/lab.conf", atomically: true, encoding: .utf8)
                injector = try DaemonFaultTests.buildInjector()
            }

            func environment(_ faults: [String]) -> [String: String] {
                ["LD_PRELOAD": injector, "AUTOLOAD_INSERT_FAULTS": faults.joined(separator: ","), "AUTOLOAD_INSERT_LOG": log]
            }

            /// Modules whose insertion began / ended, from the injector's log.
            func inserted(_ what: String) -> Set<String> {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                return Set(text.split(separator: "\n").compactMap { line in
                    let parts = line.split(separator: " ")
                    return parts.count == 2 && parts[0] == what ? String(parts[1]) : nil
                })
            }

            func remove() { unlink(injector); dir.remove() }
        }

        func coldplug(_ lab: Lab, _ extra: [String], faults: [String]) throws -> (run: CLIRun, seconds: Double) {
            let args = ["coldplug", "--modules-dir", tree.modulesDir, "--config", lab.config, "--no-cache"] + extra
            let t0 = Date()
            let run = try CLIRun.autoloadd(args.map { Array($0.utf8) },
                                           environment: lab.environment(faults).mapValues { Array($0.utf8) })
            return (run, Date().timeIntervalSince(t0))
        }

        @Test func oneInitThatNeverReturnsCostsOnlyTheDeadline() throws {
            let lab = try Lab(aliases: [(first, "late_mod"), (first, "acme_dup"), (second, "acme_generic"), (second, "foo_bar")])
            defer { lab.remove() }
            let (run, seconds) = try coldplug(lab, ["--timeout", "10"], faults: ["late_mod=sleep600"])
            #expect(seconds < 25, "coldplug --timeout 10 took \(seconds) s")
            #expect(run.status == 4, "status \(run.status): \(run.stderr)")
            #expect(run.stderr.contains("still loading late_mod after"), "\(run.stderr)")
            #expect(lab.inserted("end").isSuperset(of: ["acme_dup", "acme_generic", "foo_bar"]), "\(lab.inserted("end"))")
            #expect(lab.inserted("begin").contains("late_mod") && !lab.inserted("end").contains("late_mod"))
        }

        @Test func aDeviceReannouncingAddDoesNotHoldColdplugOpen() throws {
            let lab = try Lab(aliases: [(first, "acme_generic")])
            defer { lab.remove() }
            let flapping = Mutex(true)
            let device = first
            let flapper = Thread {
                while flapping.withLock({ $0 }) {
                    try? UeventHost.trigger("add", device)
                    usleep(300_000)
                }
            }
            flapper.start()
            defer { flapping.withLock { $0 = false } }
            usleep(500_000)
            let (run, seconds) = try coldplug(lab, [], faults: [])
            #expect(run.status == 0, "status \(run.status): \(run.stderr)")
            #expect(seconds < 15, "coldplug took \(seconds) s with a device announcing add every 0.3 s")
            #expect(lab.inserted("end").contains("acme_generic"))
        }

        @Test func slowInitsRunTogether() throws {
            let slow = ["acme_dup", "acme_lib", "acme_generic", "foo_bar", "hub_root", "acme_not_x"]
            let lab = try Lab(aliases: slow.map { (first, $0) })
            defer { lab.remove() }
            let (run, seconds) = try coldplug(lab, [], faults: slow.map { "\($0)=sleep5" })
            #expect(run.status == 0, "status \(run.status): \(run.stderr)")
            #expect(seconds < 9, "six 5 s inits took \(seconds) s")
            #expect(lab.inserted("end").isSuperset(of: Set(slow)), "\(lab.inserted("end"))")
        }

        @Test func aFailedModuleIsReportedAndFailsOnlyUnderStrict() throws {
            let lab = try Lab(aliases: [(first, "acme_generic"), (first, "foo_bar")])
            defer { lab.remove() }
            let (run, _) = try coldplug(lab, [], faults: ["acme_generic=\(EIO)"])
            #expect(run.status == 0, "status \(run.status): \(run.stderr)")
            #expect(run.stderr.contains("acme_generic: kmod_module_probe_insert_module(acme_generic): \(String(cString: strerror(EIO)))"), "\(run.stderr)")
            let strict = try coldplug(lab, ["--strict"], faults: ["acme_generic=\(EIO)"])
            #expect(strict.run.status == 1, "status \(strict.run.status): \(strict.run.stderr)")
        }

        /// A module file deleted after depmod: libkmod's ENOENT is not "no device", and the
        /// report names the file.
        @Test func aDeletedModuleFileIsNamed() throws {
            let copy = try TempDir("autoload-tree")
            defer { copy.remove() }
            let cp = Process()
            cp.executableURL = URL(fileURLWithPath: "/bin/cp")
            cp.arguments = ["-a", tree.modulesDir, copy.path + "/m"]
            try cp.run()
            cp.waitUntilExit()
            let deleted = copy.path + "/m/kernel/drivers/acme/acme_generic.ko"
            #expect(unlink(deleted) == 0)
            let lab = try Lab(aliases: [(first, "acme_generic")])
            defer { lab.remove() }
            let run = try CLIRun.autoloadd(["coldplug", "--modules-dir", copy.path + "/m", "--config", lab.config, "--no-cache", "--json"].map { Array($0.utf8) },
                                           environment: lab.environment([]).mapValues { Array($0.utf8) })
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains(deleted + ": module file missing"), "\(run.stderr)")
            let lines = run.lines.map { String(decoding: $0, as: UTF8.self) }
            #expect(lines.contains { $0.contains("\"module\":\"acme_generic\"") && $0.contains("\"outcome\":\"missing-file\"") }, "\(lines)")
        }

        @Test func daemonIsReadyAtItsDeadlineLoadsLaterDevicesAndStopsPromptly() throws {
            let lab = try Lab(aliases: [(first, "late_mod"), (second, "acme_generic")])
            defer { lab.remove() }
            let t0 = Date()
            let d = try DaemonProcess(["--timeout", "10", "--modules-dir", tree.modulesDir, "--config", lab.config, "--no-cache"],
                                      environment: lab.environment(["late_mod=sleep600"]))
            defer { _ = d.stop(timeout: 2) }
            let ready = d.waitForLine(timeout: 30) { $0.contains("\"event\":\"ready\"") }
            let readyAfter = Date().timeIntervalSince(t0)
            try #require(ready != nil, "\(d.errors)")
            #expect(readyAfter < 25 && readyAfter >= 9, "READY after \(readyAfter) s")
            #expect(ready!.contains("\"timed_out\":true") && ready!.contains("\"module\":\"late_mod\""), "\(ready!)")
            #expect(d.waitForLine(timeout: 5) { $0.contains("\"event\":\"still-loading\"") && $0.contains("late_mod") } != nil)
            // The device was loaded for at coldplug; a new add of it is a real kernel event.
            try UeventHost.trigger("add", second)
            let loaded = d.waitForLine(timeout: 5) {
                $0.contains("\"event\":\"load\"") && $0.contains("acme_generic") && $0.contains("\"outcome\":\"loaded\"")
            }
            #expect(loaded != nil, "a later device waited behind the stuck init: \(d.output.suffix(5))")
            let stopping = Date()
            let status = d.stop(timeout: 20)
            let stopSeconds = Date().timeIntervalSince(stopping)
            #expect(status == 0)
            #expect(stopSeconds < 8, "SIGTERM took \(stopSeconds) s")
            #expect(d.output.contains { $0.contains("\"event\":\"stopping\"") && $0.contains("\"abandoned\":[{\"module\":\"late_mod\"") })
            #expect(!lab.inserted("end").contains("late_mod"))
        }

        /// An idle daemon keeps one loader thread (with its libkmod context) and no more: a
        /// hotplug after a quiet spell is served by that thread, not by a new one. Threads
        /// counted from /proc/PID/task, not from the daemon's report.
        @Test func anIdleDaemonKeepsOneWarmLoaderThread() throws {
            let lab = try Lab(aliases: [(first, "acme_hex"), (second, "acme_generic")])
            defer { lab.remove() }
            let d = try DaemonProcess(["--modules-dir", tree.modulesDir, "--config", lab.config, "--no-cache"],
                                      environment: lab.environment([]))
            defer { _ = d.stop(timeout: 2) }
            try #require(d.waitForLine(timeout: 30) { $0.contains("\"event\":\"ready\"") } != nil, "\(d.errors)")
            func tasks() -> Set<String> {
                Set((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(d.pid)/task")) ?? [])
            }
            // The pool's idle wait is 2 s; the coldplug's extra workers are gone after it.
            Thread.sleep(forTimeInterval: 3.5)
            let idle = tasks()
            #expect(idle.count == 2, "main thread and one warm loader, got \(idle.sorted())")
            try UeventHost.trigger("add", second)
            let loaded = d.waitForLine(timeout: 5) {
                $0.contains("\"event\":\"load\"") && $0.contains("acme_generic") && $0.contains("\"outcome\":\"loaded\"")
            }
            #expect(loaded != nil, "\(d.output.suffix(5))")
            Thread.sleep(forTimeInterval: 3.5)
            #expect(tasks() == idle, "the hotplug load started a thread instead of the warm one")
            #expect(lab.inserted("end").contains("acme_generic"))
        }

        /// The install command's shell and what it starts get no blocked signals (the loader
        /// threads block SIGTERM, SIGINT and SIGHUP), and MODPROBE_MODULE, as libkmod sets it.
        @Test func installCommandsRunWithAnEmptySignalMask() throws {
            let lab = try Lab(aliases: [(first, "acme_hex")])
            defer { lab.remove() }
            let out = lab.dir.path + "/install-out"
            let line = "install acme_hex /bin/sh -c 'grep -E \"^SigBlk\" /proc/self/status > \(out); echo \"module=$MODPROBE_MODULE\" >> \(out)'"
            try (line + "\nalias \(try #require(UeventHost.modalias(ofDevice: first))) acme_hex\n")
                .write(toFile: lab.config + "/lab.conf", atomically: true, encoding: .utf8)
            let (run, _) = try coldplug(lab, [], faults: [])
            #expect(run.status == 0, "\(run.stderr)")
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            #expect(text.contains("SigBlk:\t0000000000000000"), "\(text)")
            #expect(text.contains("module=acme_hex"), "\(text)")
            #expect(!lab.inserted("begin").contains("acme_hex"), "the install command replaces the insertion")

            try ("install acme_hex /bin/false\nalias \(try #require(UeventHost.modalias(ofDevice: first))) acme_hex\n")
                .write(toFile: lab.config + "/lab.conf", atomically: true, encoding: .utf8)
            let failing = try coldplug(lab, ["--strict"], faults: [])
            #expect(failing.run.status == 1)
            #expect(failing.run.stderr.contains("acme_hex: install command exited 1: /bin/false"), "\(failing.run.stderr)")
        }
    }
}
