import Foundation
import Synchronization

/// Builds the module trees under Tests/Fixtures with the real depmod (via
/// Tests/Fixtures/build-tree.sh) so tests can use libkmod as an oracle.
///
/// Trees land in `$TMPDIR/autoload-fixtures/<name>-<hash>`, where the hash
/// covers the fixture sources, the shared header and the build script: an
/// unchanged fixture is built once and then reused, within a test run and
/// across runs. Builds go to a scratch directory that is renamed into place
/// when complete, so a half-built tree is never visible.
enum FixtureTree {
    /// Kernel version the trees are built for; any string without '/' works.
    static let version = "0.0.0-autoload"

    struct Built: Sendable {
        /// What `depmod -b` and `modprobe -d` take.
        let root: String
        let version: String
        /// `root/lib/modules/version`, what `KmodContext` takes.
        let modulesDir: String
        /// The fixture's modprobe.d, in the source tree (read-only use).
        let configDir: String
    }

    struct BuildError: Error, CustomStringConvertible {
        let description: String
    }

    /// Serializes builds (tests run in parallel) and remembers finished ones.
    private static let cache = Mutex<[String: Built]>([:])

    static func build(_ name: String) throws -> (root: String, version: String, modulesDir: String, configDir: String) {
        let built = try cache.withLock { cache throws -> Built in
            if let built = cache[name] { return built }
            let built = try buildUncached(name)
            cache[name] = built
            return built
        }
        return (built.root, built.version, built.modulesDir, built.configDir)
    }

    /// Tests/Fixtures, found from this file's location.
    static var fixturesDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent() // Support
            .deletingLastPathComponent() // AutoloadTests
            .deletingLastPathComponent() // Tests
            .appendingPathComponent("Fixtures")
    }

    private static func buildUncached(_ name: String) throws -> Built {
        let fixtures = fixturesDirectory
        let source = fixtures.appendingPathComponent(name)
        let script = fixtures.appendingPathComponent("build-tree.sh")
        guard FileManager.default.fileExists(atPath: source.appendingPathComponent("modules").path) else {
            throw BuildError(description: "no fixture tree at \(source.path)")
        }

        let hash = try contentHash([source, fixtures.appendingPathComponent("include"), script])
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("autoload-fixtures")
        let root = base.appendingPathComponent("\(name)-\(String(hash, radix: 16))")
        let built = Built(
            root: root.path,
            version: version,
            modulesDir: root.appendingPathComponent("lib/modules/\(version)").path,
            configDir: source.appendingPathComponent("modprobe.d").path
        )
        if FileManager.default.fileExists(atPath: built.modulesDir) { return built }

        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let scratch = base.appendingPathComponent(".\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try run("/bin/sh", [script.path, source.path, scratch.path, version])
        do {
            try FileManager.default.moveItem(at: scratch, to: root)
        } catch where FileManager.default.fileExists(atPath: built.modulesDir) {
            // Another process finished the same tree first; theirs is identical.
        }
        return built
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        // Read before waiting so a chatty failure cannot fill the pipe and hang.
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: output, as: UTF8.self)
            throw BuildError(description: "\(executable) \(arguments.joined(separator: " ")) failed "
                + "(status \(process.terminationStatus)):\n\(text)")
        }
    }

    /// FNV-1a over every regular file's relative path and contents, in
    /// sorted order. Not cryptographic; it only has to notice edits.
    private static func contentHash(_ roots: [URL]) throws -> UInt64 {
        var files: [(key: String, url: URL)] = []
        for root in roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else { continue }
            guard isDirectory.boolValue else {
                files.append((root.lastPathComponent, root))
                continue
            }
            let enumerator = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.isRegularFileKey])
            while let url = enumerator?.nextObject() as? URL {
                guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
                let relative = url.path.dropFirst(root.path.count)
                files.append((root.lastPathComponent + relative, url))
            }
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
        }
        for file in files.sorted(by: { $0.key < $1.key }) {
            mix(file.key.utf8)
            mix([0])
            mix(try Data(contentsOf: file.url))
            mix([0])
        }
        return hash
    }
}
