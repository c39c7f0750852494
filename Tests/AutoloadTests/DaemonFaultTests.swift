import Foundation
import Testing
@testable import Autoload

/// Failing and slow insertions through the daemon's real (not dry-run) load path: real libkmod,
/// with its finit_module syscall answered by Tests/Fixtures/faults/insert-faults.c (LD_PRELOAD)
/// — each listed module fails with its errno or "inits" for seconds, the rest succeed — since
/// this machine's kernel has no module support.
extension RealKernelUevents {
    @Suite(.enabled(if: UeventHost.available || UeventHost.required))
    struct DaemonFaultTests {
        /// Fixture modules without dependencies, each given a fault.
        static let faults: [(module: String, errno: Int32)] = [
            ("acme_dup", EPERM), ("acme_lib", ENOENT), ("acme_generic", ENOEXEC), ("foo_bar", ENOMEM),
            ("hub_root", EBUSY), ("acme_not_x", ENODEV), ("acme_hex", EINVAL),
        ]
        static let slow = "late_mod", good = "zz_netclass"

        /// Compiles the LD_PRELOAD library with the system's cc.
        static func buildInjector() throws -> String {
            let source = FixtureTree.fixturesDirectory.appendingPathComponent("faults/insert-faults.c").path
            let out = NSTemporaryDirectory() + "autoload-insert-faults-\(getpid()).so"
            let cc = Process()
            cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            cc.arguments = ["cc", "-shared", "-fPIC", "-o", out, source, "-ldl"]
            try cc.run()
            cc.waitUntilExit()
            guard cc.terminationStatus == 0 else { throw DaemonProcess.LaunchError(description: "cc \(source) failed") }
            return out
        }

        let tree: (root: String, version: String, modulesDir: String, configDir: String)
        init() throws { tree = try FixtureTree.build("basic") }

        func loads(_ d: DaemonProcess) -> [[String: Any]] { d.events.filter { $0["event"] as? String == "load" } }

        @Test func failuresAreReportedSlowInitsBlockNothingNothingIsRetriedForever() throws {
            let devices = UeventHost.devicesWithModalias().filter { access($0 + "/uevent", W_OK) == 0 }
            let slowDevice = try #require(devices.first)
            let otherDevice = try #require(devices.first { UeventHost.modalias(ofDevice: $0) != UeventHost.modalias(ofDevice: slowDevice) },
                                           "needs two devices with different MODALIAS")
            let slowAlias = try #require(UeventHost.modalias(ofDevice: slowDevice))
            let otherAlias = try #require(UeventHost.modalias(ofDevice: otherDevice))
            let config = NSTemporaryDirectory() + "autoload-faults-\(getpid())"
            try? FileManager.default.removeItem(atPath: config)
            try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: config) }
            var lines = ["alias \(slowAlias) \(Self.slow)", "alias \(otherAlias) \(Self.good)"]
            var spec = ["\(Self.slow)=sleep6"]
            for f in Self.faults {
                lines.append("alias \(slowAlias) \(f.module)")
                spec.append("\(f.module)=\(f.errno)")
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: config + "/faults.conf", atomically: true, encoding: .utf8)

            let injector = try Self.buildInjector()
            defer { unlink(injector) }
            let d = try DaemonProcess(["--no-coldplug", "--modules-dir", tree.modulesDir, "--config", config, "--no-cache",
                                       "--workers", "4"],
                                      environment: ["LD_PRELOAD": injector, "AUTOLOAD_INSERT_FAULTS": spec.joined(separator: ",")])
            defer { _ = d.stop() }
            try #require(d.waitForLine { $0.contains("\"event\":\"ready\"") } != nil, "\(d.errors)")
            try UeventHost.trigger("add", slowDevice)
            // All faults come back while the slow init still sleeps; meanwhile another device's event
            // is received and its module loaded.
            try #require(d.waitForLine(timeout: 5) { _ in loads(d).count >= Self.faults.count } != nil)
            try UeventHost.trigger("add", otherDevice)
            let good = d.waitForLine(timeout: 5) { $0.contains("\"event\":\"load\"") && $0.contains(Self.good) }
            #expect(good != nil, "a slow init blocked another device")
            #expect(!loads(d).contains { $0["module"] as? String == Self.slow }, "the slow init finished too early to prove anything")
            try #require(d.waitForLine(timeout: 20) { $0.contains("\"event\":\"load\"") && $0.contains(Self.slow) } != nil)
            usleep(1_500_000)
            let results = loads(d)
            for f in Self.faults {
                let r = results.filter { $0["module"] as? String == f.module }
                #expect(r.count == 1, "\(f.module): \(r.count) attempts for one event")
                let expected = f.errno == ENODEV || f.errno == ENOENT ? "no-device" : "failed"
                #expect(r.first?["outcome"] as? String == expected, "\(f.module): \(String(describing: r.first))")
                if expected == "failed" {
                    // The report names the module and the errno's text.
                    let text = r.first?["error"] as? String ?? ""
                    #expect(text.contains(f.module) && text.contains(String(cString: strerror(f.errno))), "\(text)")
                }
            }
            #expect(results.first { $0["module"] as? String == Self.slow }?["outcome"] as? String == "loaded")
            // A new event for the device may try the failed ones once more; nothing loops.
            try UeventHost.trigger("add", slowDevice)
            usleep(1_000_000)
            let faulty = Set(Self.faults.map(\.module))
            let retried = loads(d).filter { faulty.contains($0["module"] as? String ?? "") }.count
            #expect(retried <= 2 * Self.faults.count)
            // Idle again (the second slow init done, 2 s without work): of the loader threads
            // only the warm one is left.
            try #require(d.waitForLine(timeout: 20) { _ in loads(d).filter { $0["module"] as? String == Self.slow }.count >= 2 } != nil)
            usleep(3_500_000)
            let status = (try? String(contentsOfFile: "/proc/\(d.pid)/status", encoding: .utf8)) ?? ""
            #expect(status.split(separator: "\n").contains("Threads:\t2"), "\(status.split(separator: "\n").filter { $0.hasPrefix("Threads") })")
            #expect(d.stop() == 0)
        }
    }
}
