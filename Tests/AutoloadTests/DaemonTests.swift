import Foundation
import Testing
@testable import Autoload

/// `autoloadd daemon --dry-run --json` as a process on this machine (no module support, real
/// kernel uevents): it sees real events, rejects spoofed ones, recovers from ENOBUFS by walking
/// /sys, and uses a modprobe.d change on the very next event. Oracles: the devices' own uevent
/// files, the test's own spoof count, libkmod's lookup.
extension RealKernelUevents {
    @Suite(.enabled(if: UeventHost.available || UeventHost.required))
    struct DaemonTests {
        let tree: (root: String, version: String, modulesDir: String, configDir: String)
        let cache: String

        init() throws {
            tree = try FixtureTree.build("basic")
            cache = NSTemporaryDirectory() + "autoload-daemon-tests-\(getpid())"
        }

        func start(_ extra: [String], config: String? = nil) throws -> DaemonProcess {
            let d = try DaemonProcess(["--dry-run", "--no-coldplug", "--modules-dir", tree.modulesDir,
                                       "--config", config ?? tree.configDir, "--cache-dir", cache] + extra)
            guard d.waitForLine({ $0.contains("\"event\":\"ready\"") }) != nil else {
                _ = d.stop()
                throw DaemonProcess.LaunchError(description: "daemon never became ready: \(d.output) \(d.errors)")
            }
            return d
        }

        func deviceLines(_ d: DaemonProcess) -> [[String: Any]] {
            d.events.filter { $0["event"] as? String == "device" }
        }

        @Test func realAddEventIsResolved() throws {
            let device = try #require(UeventHost.triggerDevice)
            let expected = try #require(UeventHost.modalias(ofDevice: device))
            let d = try start([])
            try UeventHost.trigger("add", device)
            let line = d.waitForLine(timeout: 10) { $0.contains("\"devpath\":\"\(UeventHost.devpath(device))\"") }
            #expect(d.stop() == 0)
            let event = try #require(deviceLines(d).first { $0["devpath"] as? String == UeventHost.devpath(device) },
                                     "no device line: \(String(describing: line)) \(d.errors)")
            #expect(event["modalias"] as? String == expected)
            #expect(event["origin"] as? String == "uevent")
        }

        @Test func thousandSpoofedMessagesAreAllRejected() throws {
            let device = try #require(UeventHost.triggerDevice)
            let d = try start([])
            let spoofer = try SpoofSender()
            var sent = 0
            for i in 0..<1000 {
                let m = SpoofSender.message(devpath: "/devices/autoload-spoof/\(i)", modalias: "platform:pcspkr", seqnum: i)
                if spoofer.send(m, credentials: true) == 0 { sent += 1 }
            }
            // A real event after the spoofs: once the daemon reports it, it has read every spoof.
            try UeventHost.trigger("change", device)
            #expect(d.waitForLine(timeout: 20) { $0.contains("\"event\":\"ignored\"") && $0.contains(UeventHost.devpath(device)) } != nil)
            #expect(d.stop() == 0)
            let stopping = try #require(d.events.first { $0["event"] as? String == "stopping" })
            let by = stopping["rejected_by"] as? [String: Int] ?? [:]
            #expect(sent == 1000)
            #expect(by["not-from-kernel"] == sent)
            #expect(deviceLines(d).filter { ($0["devpath"] as? String ?? "").contains("autoload-spoof") }.isEmpty)
        }

        @Test func stormOverflowingATinyBufferLosesNoModalias() throws {
            let devices = UeventHost.devicesWithModalias().filter { access($0 + "/uevent", W_OK) == 0 }
            let oracle = Set(devices.compactMap(UeventHost.modalias(ofDevice:)))
            try #require(!oracle.isEmpty)
            let d = try start(["--rcvbuf", "1"])
            // Stopped, the daemon cannot read: the kernel must drop messages (ENOBUFS).
            d.signal(SIGSTOP)
            var written = 0
            for _ in 0..<max(1, 3000 / devices.count) {
                for dev in devices where (try? UeventHost.trigger("add", dev)) != nil { written += 1 }
            }
            d.signal(SIGCONT)
            let resync = d.waitForLine(timeout: 60) { $0.contains("\"event\":\"resync\"") && $0.contains("ENOBUFS") }
            #expect(d.stop() == 0)
            #expect(resync != nil, "no ENOBUFS resync after \(written) events: \(d.errors)")
            let accepted = d.events.first { $0["event"] as? String == "stopping" }?["accepted"] as? Int ?? -1
            #expect(written >= 1000)
            #expect(accepted < written, "nothing was dropped, so the resync proved nothing")
            let seen = Set(deviceLines(d).compactMap { $0["modalias"] as? String })
            #expect(oracle.subtracting(seen).isEmpty, "lost: \(oracle.subtracting(seen).sorted())")
        }

        @Test func modprobeConfigChangeIsUsedByTheNextEvent() throws {
            let device = try #require(UeventHost.triggerDevice)
            let modalias = try #require(UeventHost.modalias(ofDevice: device))
            let config = NSTemporaryDirectory() + "autoload-daemon-conf-\(getpid())"
            try? FileManager.default.removeItem(atPath: config)
            try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: config) }
            let d = try start([], config: config)
            try UeventHost.trigger("add", device)
            #expect(d.waitForLine(timeout: 10) { $0.contains("\"event\":\"device\"") } != nil)
            // A modprobe.d alias for this device, then at once the next event.
            try "alias \(modalias) acme_eth\n".write(toFile: config + "/50-test.conf", atomically: true, encoding: .utf8)
            try UeventHost.trigger("add", device)
            #expect(d.waitForLine(timeout: 10) { $0.contains("\"event\":\"device\"") && $0.contains("acme_eth") } != nil)
            #expect(d.stop() == 0)
            let oracle = try KmodContext(modulesDirectory: tree.modulesDir, configPaths: [config]).lookup(modalias)
            let lines = deviceLines(d)
            try #require(lines.count >= 2)
            let before = (lines[0]["modules"] as? [[String: Any]] ?? []).compactMap { $0["module"] as? String }
            let after = (lines[1]["modules"] as? [[String: Any]] ?? []).compactMap { $0["module"] as? String }
            #expect(before.isEmpty)
            #expect(after == oracle)
            #expect(d.events.contains { $0["event"] as? String == "reloaded" })
        }

        @Test func sighupReloads() throws {
            let d = try start([])
            d.signal(SIGHUP)
            #expect(d.waitForLine(timeout: 20) { $0.contains("\"event\":\"reloaded\"") } != nil)
            #expect(d.stop() == 0)
        }
    }
}
