import Foundation
import Testing

/// One run of an oracle tool (kmod, systemd-modules-load, systemd-tmpfiles): its output,
/// with its exit status expected.
enum OracleRun {
    /// Which of the tool's streams the caller gets.
    enum Streams { case stdout, stdoutAndStderr }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    streams: Streams = .stdout, expectStatus: Int32 = 0) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = streams == .stdoutAndStderr ? out : FileHandle.nullDevice
        try p.run()
        // Read before waiting so a chatty tool cannot fill the pipe and hang.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == expectStatus, "\(executable) \(arguments)")
        return Array(data)
    }
}
