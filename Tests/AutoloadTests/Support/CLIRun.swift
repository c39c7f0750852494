import Foundation
import Glibc

/// One run of the built `autoloadd` (found as `DaemonProcess.binary` finds it) with arguments,
/// environment and stdin given as raw bytes: posix_spawn(3) straight into the binary, no
/// shell, so a test can pass non-UTF-8 bytes and shell metacharacters exactly as udev would.
/// stdin, stdout and stderr are files, so a large input or output cannot deadlock the pipes.
struct CLIRun {
    struct SpawnError: Error, CustomStringConvertible { let description: String }

    /// The exit status, or 128 + signal number when the process was killed by a signal.
    let status: Int32
    let stdout: [UInt8]
    let stderr: String

    /// stdout split into lines (without the newline), as bytes.
    var lines: [[UInt8]] { stdout.split(separator: 10, omittingEmptySubsequences: false).dropLast().map(Array.init) }

    /// Runs `autoloadd ARGS...`; `prefix` (e.g. setpriv to drop root) runs in front of it.
    /// The environment is the test's own minus MODALIAS, AUTOLOAD_* and `unset`, plus
    /// `environment`. `binary` is the test build's autoloadd unless given.
    static func autoloadd(_ args: [[UInt8]], environment: [String: [UInt8]] = [:], stdin: [UInt8] = [],
                          prefix: [String] = [], unset: Set<String> = [],
                          binary: String = DaemonProcess.binary) throws -> CLIRun {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw SpawnError(description: "\(binary) not built (swift build --build-tests builds it)")
        }
        let dir = try TempDir("autoload-cli")
        defer { dir.remove() }
        let inPath = dir.path + "/stdin", outPath = dir.path + "/stdout", errPath = dir.path + "/stderr"
        try Data(stdin).write(to: URL(fileURLWithPath: inPath))

        let argv = prefix.map { Array($0.utf8) } + [Array(binary.utf8)] + args
        var env = ProcessInfo.processInfo.environment
            .filter { $0.key != "MODALIAS" && !$0.key.hasPrefix("AUTOLOAD_") && !unset.contains($0.key) }
            .map { Array("\($0.key)=\($0.value)".utf8) }
        env += environment.map { Array("\($0.key)=".utf8) + $0.value }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let cArgv = cStrings(argv), cEnv = cStrings(env)
        defer { for p in cArgv + cEnv { p?.deallocate() } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, cArgv[0]!, &actions, nil, cArgv, cEnv)
        guard rc == 0 else { throw SpawnError(description: "posix_spawn \(argv[0]): \(String(cString: strerror(rc)))") }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (they are macros).
        let status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        let out = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
        let err = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
        return CLIRun(status: status, stdout: Array(out), stderr: String(decoding: err, as: UTF8.self))
    }

    /// NUL-terminated copies of byte strings (which must not contain NUL), then a nil.
    private static func cStrings(_ strings: [[UInt8]]) -> [UnsafeMutablePointer<CChar>?] {
        strings.map { s in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: s.count + 1)
            for (i, b) in s.enumerated() { p[i] = CChar(bitPattern: b) }
            p[s.count] = 0
            return p
        } + [nil]
    }
}

/// A private directory under $TMPDIR (mode 0755 so a test may drop root and still enter it).
struct TempDir {
    let path: String

    init(_ name: String) throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/\(name)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CLIRun.SpawnError(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
        chmod(path, 0o755)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
