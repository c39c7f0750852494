import Foundation
import Testing
@testable import Autoload

/// The daemon's freshness and lifecycle on this machine: a rewritten tree is used by the next
/// event, a broken one keeps the last good index, READY=1 reaches $NOTIFY_SOCKET.
extension RealKernelUevents {
    @Suite(.enabled(if: UeventHost.available || UeventHost.required))
    struct DaemonLifecycleTests {
        let tree: (root: String, version: String, modulesDir: String, configDir: String)

        init() throws { tree = try FixtureTree.build("basic") }

        /// A private copy of the fixture's modules directory that a test may rewrite.
        func copyOfTree() throws -> String {
            let dir = NSTemporaryDirectory() + "autoload-daemon-tree-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.copyItem(atPath: tree.modulesDir, toPath: dir)
            return dir
        }

        func modules(_ line: [String: Any]) -> [String] {
            (line["modules"] as? [[String: Any]] ?? []).compactMap { $0["module"] as? String }
        }

        @Test func rewrittenTreeIsUsedByTheNextEventAndABrokenOneIsNot() throws {
            let device = try #require(UeventHost.triggerDevice)
            let modalias = try #require(UeventHost.modalias(ofDevice: device))
            let dir = try copyOfTree()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let d = try DaemonProcess(["--dry-run", "--no-coldplug", "--modules-dir", dir, "--config", "/nonexistent",
                                       "--no-cache"])
            defer { _ = d.stop() }
            try #require(d.waitForLine { $0.contains("\"event\":\"ready\"") } != nil, "\(d.errors)")
            func next(_ n: Int) throws -> [String: Any] {
                try UeventHost.trigger("add", device)
                try #require(d.waitForLine(timeout: 20) { _ in d.events.filter { $0["event"] as? String == "device" }.count >= n } != nil)
                return d.events.filter { $0["event"] as? String == "device" }[n - 1]
            }
            #expect(modules(try next(1)).isEmpty)
            // As depmod would: a new modules.alias with a line for this device.
            let alias = try String(contentsOfFile: dir + "/modules.alias", encoding: .utf8)
            try (alias + "alias \(modalias) acme_eth\n").write(toFile: dir + "/modules.alias", atomically: true, encoding: .utf8)
            #expect(modules(try next(2)) == ["acme_eth"])
            // A broken tree (modules.dep gone): keep the last good index, and say why.
            try FileManager.default.removeItem(atPath: dir + "/modules.dep")
            #expect(modules(try next(3)) == ["acme_eth"])
            #expect(d.events.contains { $0["event"] as? String == "reload-failed" })
        }

        @Test func readyReachesNotifySocket() throws {
            let path = NSTemporaryDirectory() + "autoload-notify-\(getpid()).sock"
            unlink(path)
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            try #require(fd >= 0)
            defer { close(fd); unlink(path) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(bound == 0)
            let d = try DaemonProcess(["--dry-run", "--modules-dir", tree.modulesDir, "--config", tree.configDir, "--no-cache"],
                                      environment: ["NOTIFY_SOCKET": path])
            var fds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            var received = [String]()
            while poll(&fds, 1, 20_000) > 0 {
                var buf = [UInt8](repeating: 0, count: 256)
                let n = recv(fd, &buf, buf.count, 0)
                guard n > 0 else { break }
                received.append(String(decoding: buf[..<n], as: UTF8.self))
                if received.last == "READY=1" { break }
            }
            #expect(d.stop() == 0)
            #expect(received.first == "READY=1", "got \(received)")
            // Ready comes after the coldplug walk, never before it.
            let kinds = d.events.compactMap { $0["event"] as? String }
            #expect(kinds.firstIndex(of: "resync").map { $0 < (kinds.firstIndex(of: "ready") ?? -1) } == true)
        }

        /// Kilobytes of executable mappings resident in process `pid`, as the kernel counts
        /// them (/proc/PID/smaps): the oracle for what an idle daemon keeps mapped.
        static func residentCodeKB(_ pid: Int32) throws -> Int {
            let smaps = try String(contentsOfFile: "/proc/\(pid)/smaps", encoding: .utf8)
            var total = 0, executable = false
            for line in smaps.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if let range = fields.first, range.contains("-"), fields.count >= 2, range.first?.isHexDigit == true {
                    executable = fields[1].contains("x") && !line.hasSuffix("[vdso]")
                } else if executable, fields.first == "Rss:", fields.count >= 2 {
                    total += Int(fields[1]) ?? 0
                }
            }
            return total
        }

        /// After a coldplug, the code it ran stays mapped (the kernel maps code 64 KB around
        /// each fault); once idle, the daemon drops those mappings, and the next event still
        /// gets its answer (the code faults back in).
        @Test func idleDaemonGivesBackItsCodePages() throws {
            let device = try #require(UeventHost.triggerDevice)
            let d = try DaemonProcess(["--dry-run", "--modules-dir", tree.modulesDir, "--config", tree.configDir, "--no-cache"])
            defer { _ = d.stop() }
            try #require(d.waitForLine { $0.contains("\"event\":\"ready\"") } != nil, "\(d.errors)")
            let busy = try Self.residentCodeKB(d.pid)
            // The quiet period before the daemon gives memory back is 2 s.
            var idle = busy
            for _ in 0..<40 where idle > busy / 2 {
                usleep(250_000)
                idle = try Self.residentCodeKB(d.pid)
            }
            #expect(busy >= 1024, "only \(busy) kB of code resident after coldplug: the check would prove little")
            #expect(idle <= busy / 2, "resident code: \(busy) kB after coldplug, \(idle) kB after 10 s idle")
            // Coldplug already reported devices: wait for one more from a kernel "add".
            func added() -> Int {
                d.events.filter { $0["event"] as? String == "device" && $0["origin"] as? String == "uevent"
                    && $0["action"] as? String == "add" }.count
            }
            let before = added()
            try UeventHost.trigger("add", device)
            #expect(d.waitForLine(timeout: 20) { _ in added() > before } != nil,
                    "no answer to an event after the code pages were given back: \(d.errors)")
        }
    }
}
