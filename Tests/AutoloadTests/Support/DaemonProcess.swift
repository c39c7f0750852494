import Foundation
import Synchronization

/// The built `autoloadd daemon --json` as a child process: its stdout lines are collected as
/// they arrive so a test can wait for a line, then stop it with a signal.
final class DaemonProcess: Sendable {
    struct LaunchError: Error, CustomStringConvertible { let description: String }

    private let process: Process
    private let lines = Mutex<[String]>([])
    private let stderrText = Mutex<String>("")

    /// `autoloadd` sits next to the test bundle in the build directory.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("autoloadd").path
    }

    init(_ arguments: [String], environment extra: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw LaunchError(description: "\(Self.binary) not built (swift build --build-tests builds it)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["daemon", "--json"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = nil
        env.merge(extra) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        Thread.detachNewThread { [self] in
            var pending = Data()
            let handle = out.fileHandleForReading
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let nl = pending.firstIndex(of: 10) {
                    let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...nl)
                    self.lines.withLock { $0.append(line) }
                }
            }
        }
        Thread.detachNewThread { [self] in
            let data = err.fileHandleForReading.readDataToEndOfFile()
            self.stderrText.withLock { $0 = String(decoding: data, as: UTF8.self) }
        }
    }

    var output: [String] { lines.withLock { $0 } }
    var errors: String { stderrText.withLock { $0 } }
    var pid: Int32 { process.processIdentifier }

    /// Waits (polling) until some line satisfies `predicate`; returns it, or nil on timeout.
    @discardableResult
    func waitForLine(timeout: Double = 60, _ predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let hit = output.first(where: predicate) { return hit }
            if !process.isRunning { return output.first(where: predicate) }
            usleep(20_000)
        }
        return nil
    }

    /// The decoded JSON objects printed so far.
    var events: [[String: Any]] {
        output.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }

    /// SIGTERM, then waits for the exit; returns the exit status.
    func stop(timeout: Double = 30) -> Int32 {
        if process.isRunning { signal(SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { signal(SIGKILL); process.waitUntilExit(); return -1 }
        waitForLine(timeout: 2) { $0.contains("\"event\":\"stopping\"") }
        return process.terminationStatus
    }
}
