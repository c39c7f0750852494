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
    }
}
