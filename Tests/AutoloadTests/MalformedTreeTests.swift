import Foundation
import Glibc
import Testing
import AliasMatcher
import Autoload

/// Broken module trees and configuration through the built `autoloadd`, as an admin would
/// meet them. The documented exit statuses (`autoloadd resolve --help`): 0 looked up, 1 an
/// input invalid, 2 usage, 3 the tree or configuration unreadable, with a message naming the
/// file. A line the parser cannot use is skipped as depmod skips it, and named with its file
/// and line by `autoloadd index` (and by any command under AUTOLOAD_VERBOSE=1); the rest of
/// the tree keeps resolving exactly as libkmod does on depmod's binary indexes.
@Suite struct MalformedTreeTests {
    /// A writable copy of the fixture tree (text and depmod's .bin files) and a sysfs with one
    /// device, so `coldplug --dry-run` has something to plan.
    struct Scratch {
        let dir: TempDir
        let modules: String
        let oracleTree: String
        var sysfs: String { dir.path + "/sys" }

        init() throws {
            let tree = try FixtureTree.build("basic")
            dir = try TempDir("autoload-malformed")
            modules = dir.path + "/modules"
            oracleTree = tree.modulesDir
            try FileManager.default.copyItem(atPath: tree.modulesDir, toPath: modules)
            try FileManager.default.createDirectory(atPath: sysfs + "/devices/acme0", withIntermediateDirectories: true)
            try Data("MODALIAS=acme:core\n".utf8).write(to: URL(fileURLWithPath: sysfs + "/devices/acme0/uevent"))
        }

        func path(_ file: String) -> String { modules + "/" + file }
        func read(_ file: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(file)))) }
        func write(_ file: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path(file))) }

        /// A subcommand over this tree with no modprobe.d (a missing --config path means none)
        /// and no index cache, so every run parses the text files.
        func args(_ command: Command, _ extra: [String] = [], config: [String] = []) -> [[UInt8]] {
            var a = command == .resolve ? ["resolve"] : ["coldplug", "--dry-run", "--sysfs", sysfs]
            a += ["--modules-dir", modules, "--no-cache"]
            for c in config.isEmpty ? [dir.path + "/no-config"] : config { a += ["--config", c] }
            return (a + extra).map { Array($0.utf8) }
        }

        /// What `autoloadd index` lists as skipped: `FILE:LINE: reason` lines.
        func skipped() throws -> [String] {
            let run = try CLIRun.autoloadd(["index", "--modules-dir", modules, "--cache-dir", dir.path + "/cache", "--rebuild"]
                .map { Array($0.utf8) })
            #expect(run.status == 0, "index: \(run.stderr)")
            return run.lines.map { String(decoding: $0, as: UTF8.self) }.filter { $0.hasPrefix("skipped: ") }
                .map { String($0.dropFirst("skipped: ".count)) }
        }
    }

    enum Command: CaseIterable { case resolve, coldplug }

    /// Inputs whose answers must not change when a broken line elsewhere is skipped.
    static let probes = ["acme:core", "acme:idax", "acme:n_y", "acme:port2", "usb:v1D6Bp0002d0dc0dsc0dp0ic0isc0ip0in0",
                         "pci:v00001234d00002000sv0sd0bc0sc0i0", "symbol:acme_lib_crc", "acme_core", "nothing:here"]

    /// `resolve` over the scratch tree must print, per probe, libkmod's modules for it.
    static func expectAgreement(_ s: Scratch, _ probes: [String] = probes, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let kmod = try KmodContext(modulesDirectory: s.oracleTree, configPaths: [])
        let run = try CLIRun.autoloadd(s.args(.resolve, probes))
        #expect(run.status == 0, "\(run.stderr)", sourceLocation: sourceLocation)
        let expected = try probes.map { "\($0)\t\(try kmod.lookup($0).joined(separator: ","))" }
        #expect(run.lines.map { String(decoding: $0, as: UTF8.self) } == expected, sourceLocation: sourceLocation)
    }

    @Test(arguments: Command.allCases)
    func missingRequiredFileExits3NamingIt(command: Command) throws {
        for file in [ModuleTreeText.dependencies, ModuleTreeText.aliases] {
            let s = try Scratch()
            defer { s.dir.remove() }
            try FileManager.default.removeItem(atPath: s.path(file))
            let run = try CLIRun.autoloadd(s.args(command, command == .resolve ? ["acme:core"] : []))
            #expect(run.status == 3, "\(file): \(run.stderr)")
            // modules.dep missing means no tree at all: the message names the directory and the file.
            let named = file == ModuleTreeText.dependencies
                ? run.stderr.contains("\(s.modules): ") && run.stderr.contains(file) : run.stderr.contains(s.path(file))
            #expect(named, "\(file): \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
    }

    /// A directory where a file should be: open(2) works, read(2) fails with EISDIR.
    @Test(arguments: Command.allCases)
    func unreadableFileExits3NamingItAndWhy(command: Command) throws {
        for file in [ModuleTreeText.aliases, ModuleTreeText.symbols, ModuleTreeText.builtinModinfo] {
            let s = try Scratch()
            defer { s.dir.remove() }
            try FileManager.default.removeItem(atPath: s.path(file))
            try FileManager.default.createDirectory(atPath: s.path(file), withIntermediateDirectories: false)
            let run = try CLIRun.autoloadd(s.args(command, command == .resolve ? ["acme:core"] : []))
            #expect(run.status == 3, "\(file): \(run.stderr)")
            #expect(run.stderr.contains("\(s.path(file)): Is a directory"), "\(file): \(run.stderr)")
        }
    }

    /// Root reads mode-000 files, so these drop to nobody with setpriv(1) first.
    static let dropRoot = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    static var canDropRoot: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: dropRoot[0]) }

    @Test(.enabled(if: canDropRoot), arguments: Command.allCases)
    func permissionDeniedTreeFileExits3(command: Command) throws {
        let s = try Scratch()
        defer { s.dir.remove() }
        chmod(s.path(ModuleTreeText.aliases), 0)
        let run = try CLIRun.autoloadd(s.args(command, command == .resolve ? ["acme:core"] : []), prefix: Self.dropRoot)
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("\(s.path(ModuleTreeText.aliases)): Permission denied"), "\(run.stderr)")
    }

    /// modprobe.d files libkmod cannot open: libkmod itself skips them without a word (its
    /// config loader only logs at debug level), which would silently drop blacklists,
    /// options and aliases; autoloadd must refuse instead, naming the file.
    @Test(.enabled(if: canDropRoot), arguments: Command.allCases)
    func unreadableModprobeConfigExits3NamingIt(command: Command) throws {
        let s = try Scratch()
        defer { s.dir.remove() }
        let conf = s.dir.path + "/modprobe.d"
        try FileManager.default.createDirectory(atPath: conf, withIntermediateDirectories: false)
        try Data("alias acme:cfg acme_hex\n".utf8).write(to: URL(fileURLWithPath: conf + "/10-readable.conf"))
        try Data("blacklist acme_core\n".utf8).write(to: URL(fileURLWithPath: conf + "/20-secret.conf"))
        chmod(conf + "/20-secret.conf", 0)
        let extra = command == .resolve ? ["acme:cfg"] : []
        for config in [conf, conf + "/20-secret.conf"] {
            let run = try CLIRun.autoloadd(s.args(command, extra, config: [config]), prefix: Self.dropRoot)
            #expect(run.status == 3, "--config \(config): \(run.stderr)")
            #expect(run.stderr.contains("\(conf)/20-secret.conf"), "--config \(config): \(run.stderr)")
            #expect(run.stderr.contains("Permission denied"), "--config \(config): \(run.stderr)")
        }
        // Readable again: the same configuration works.
        chmod(conf + "/20-secret.conf", 0o644)
        let ok = try CLIRun.autoloadd(s.args(command, extra, config: [conf]), prefix: Self.dropRoot)
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    /// depmod leaves such patterns out of modules.alias.bin; autoload skips them too, names
    /// each line, and an input with a stray bracket is libkmod's EINVAL: exit 1.
    @Test func unmatchedBracketsInModulesAlias() throws {
        let s = try Scratch()
        defer { s.dir.remove() }
        var alias = try s.read(ModuleTreeText.aliases)
        let firstNew = alias.split(separator: 10, omittingEmptySubsequences: false).count
        alias += Array("alias acme:broken]x acme_core\nalias acme:open[x acme_core\nalias acme:[[]x acme_hex\n".utf8)
        try s.write(ModuleTreeText.aliases, alias)
        let skipped = try s.skipped()
        let prefix = s.path(ModuleTreeText.aliases)
        #expect(skipped.contains { $0.hasPrefix("\(prefix):\(firstNew): ") && $0.contains("']'") }, "\(skipped)")
        #expect(skipped.contains { $0.hasPrefix("\(prefix):\(firstNew + 1): ") && $0.contains("never closed") }, "\(skipped)")
        // `[[]` is a valid bracket holding '['.
        #expect(skipped.filter { $0.hasPrefix(prefix + ":") }.count == 2, "\(skipped)")
        try Self.expectAgreement(s)

        let verbose = try CLIRun.autoloadd(s.args(.resolve, ["acme:core"]), environment: ["AUTOLOAD_VERBOSE": Array("1".utf8)])
        #expect(verbose.stderr.contains("\(prefix):\(firstNew): "), "\(verbose.stderr)")
        let invalid = try CLIRun.autoloadd(s.args(.resolve, ["acme:broken]x", "acme:core"]))
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("acme:broken]x"), "\(invalid.stderr)")
        #expect(invalid.lines.count == 2, "every input still gets its line")
    }

    /// A file cut short (disk full, interrupted copy into an initramfs). depmod ends every
    /// line with a newline, so a last line without one is a fragment: it must be reported,
    /// never read as a shorter pattern or module name (`late_mod` cut to `late_m`).
    @Test func truncatedFilesLoseOnlyTheCutLineAndSayWhich() throws {
        let s = try Scratch()
        defer { s.dir.remove() }
        for file in [ModuleTreeText.aliases, ModuleTreeText.dependencies, ModuleTreeText.builtin] {
            var bytes = try s.read(file)
            bytes.removeLast(3)   // mid-word in the last line of each of these files
            try s.write(file, bytes)
        }
        let skipped = try s.skipped()
        for file in [ModuleTreeText.aliases, ModuleTreeText.dependencies, ModuleTreeText.builtin] {
            let lines = try s.read(file).split(separator: 10, omittingEmptySubsequences: false).count
            #expect(skipped.contains { $0.hasPrefix("\(s.path(file)):\(lines): ") }, "\(file): \(skipped)")
        }
        let pci = "pci:v00001234d00001000sv0sd0bc0sc0i0"
        let run = try CLIRun.autoloadd(s.args(.resolve, [pci]))
        #expect(run.status == 0)
        let kmod = try KmodContext(modulesDirectory: s.oracleTree, configPaths: [])
        // libkmod reads the intact .bin: the truncated line's module is the only difference.
        let expected = try kmod.lookup(pci).filter { $0 != "late_mod" }
        #expect(run.lines.map { String(decoding: $0, as: UTF8.self) } == ["\(pci)\t\(expected.joined(separator: ","))"])
    }

    /// Random bytes (fixed seed) in place of modules.alias and modules.dep: no crash, every
    /// line accounted for, exit 0 with nothing resolving from them. The same garbage as the
    /// index cache file is rebuilt from the tree, not trusted.
    @Test(arguments: Command.allCases)
    func binaryGarbageNeverCrashes(command: Command) throws {
        let s = try Scratch()
        defer { s.dir.remove() }
        var seed: UInt64 = 0x5EED
        let garbage = (0..<(256 << 10)).map { _ -> UInt8 in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: seed >> 56)
        }
        let cache = s.dir.path + "/cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: false)
        try Data(garbage).write(to: URL(fileURLWithPath: IndexCache.path(for: s.modules, in: cache)))
        let cached = try CLIRun.autoloadd(s.args(command, command == .resolve ? Self.probes : []).map {
            String(decoding: $0, as: UTF8.self) == "--no-cache" ? Array("--cache-dir=\(cache)".utf8) : $0 })
        #expect(cached.status == 0, "corrupt cache: \(cached.stderr)")
        if command == .resolve { try Self.expectAgreement(s) }

        try s.write(ModuleTreeText.aliases, garbage)
        try s.write(ModuleTreeText.dependencies, Array(garbage.reversed()))
        let run = try CLIRun.autoloadd(s.args(command, command == .resolve ? ["acme:core", "acme_core"] : []))
        #expect(run.status == 0, "\(run.stderr)")
        if command == .coldplug { return }
        #expect(run.lines.map { String(decoding: $0, as: UTF8.self) } == ["acme:core\t", "acme_core\t"])
        let skipped = try s.skipped()
        for file in [ModuleTreeText.aliases, ModuleTreeText.dependencies] {
            // About 1,000 lines each. No garbage line starts with `alias `; about a third have
            // no ':' (modules.dep lines with one do parse, as libkmod's reader would take them).
            let named = skipped.filter { $0.hasPrefix(s.path(file) + ":") }.count
            #expect(named > (file == ModuleTreeText.aliases ? 900 : 200), "\(file): \(named) lines named")
        }
    }

    /// Megabyte lines among good ones: skipped and named, the good lines unaffected.
    @Test func enormousLinesAreSkippedAndNamed() throws {
        let s = try Scratch()
        defer { s.dir.remove() }
        let huge = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for file in [ModuleTreeText.aliases, ModuleTreeText.dependencies] {
            let original = try s.read(file)
            try s.write(file, Array("#\n".utf8) + Array("alias ".utf8) + huge + [10] + original)
        }
        let skipped = try s.skipped()
        for file in [ModuleTreeText.aliases, ModuleTreeText.dependencies] {
            #expect(skipped.contains { $0.hasPrefix("\(s.path(file)):2: ") }, "\(file): \(skipped.prefix(5))")
        }
        try Self.expectAgreement(s)
    }
}
