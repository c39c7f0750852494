import Foundation
import Testing
import Autoload

/// `autoloadd static-nodes` against the independent tools: `kmod static-nodes` for the
/// printed formats, systemd-tmpfiles (fed kmod's tmpfiles lines) for the nodes made.
@Suite struct StaticNodesTests {
    static let cases: [(String, StaticNodeFormat)] =
        KernelTrees.all.flatMap { t in StaticNodeFormat.allCases.map { (t, $0) } }

    @Test(arguments: cases)
    func outputEqualsKmod(tree: String, format: StaticNodeFormat) throws {
        let theirs = try Self.kmodStaticNodes(tree: tree, format: format.rawValue)
        let ours = try CLIRun.autoloadd(["static-nodes", "--modules-dir", tree, "--format=\(format.rawValue)"].map { Array($0.utf8) })
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(!theirs.isEmpty)
        #expect(String(decoding: ours.stdout, as: UTF8.self) == String(decoding: theirs, as: UTF8.self), "\(KernelTrees.label(tree)) \(format)")
    }

    /// Comments, a node below /dev, a block node, and lines kmod rejects (reported with file
    /// and line, exit 1, the rest still printed); --output makes the parents.
    @Test func fixtureWithBadLinesEqualsKmod() throws {
        let dir = try TempDir("static-nodes")
        defer { dir.remove() }
        let text = """
        # Device nodes to trigger on-demand module loading.
        fuse fuse c10:229
        tun net/tun c10:200
        #comment c1:1
        loop loop-control c10:237
        brd ram0 b1:0
        broken only-two
        odd node x1:2
        dm_mod mapper/control c10:236

        """
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir.path + "/modules.devname"))
        for format in StaticNodeFormat.allCases {
            let theirs = try Self.kmodStaticNodes(tree: dir.path, format: format.rawValue, expectStatus: 1)
            let out = dir.path + "/out/sub/\(format).txt"
            let ours = try CLIRun.autoloadd(["static-nodes", "--modules-dir", dir.path, "-f", format.rawValue, "-o", out].map { Array($0.utf8) })
            #expect(ours.status == 1)
            #expect(ours.stderr.contains("modules.devname:7: invalid devname entry: broken only-two"), "\(ours.stderr)")
            #expect(ours.stderr.contains("modules.devname:8:"), "\(ours.stderr)")
            #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: out)), as: UTF8.self) == String(decoding: theirs, as: UTF8.self), "\(format)")
        }
    }

    /// --create makes what systemd-tmpfiles makes from kmod's tmpfiles lines: the same
    /// paths, types, modes and device numbers; an existing path (here a regular file at
    /// /dev/fuse) is left alone by both.
    @Test(arguments: KernelTrees.all)
    func createEqualsTmpfiles(tree: String) throws {
        let dir = try TempDir("static-nodes-create")
        defer { dir.remove() }
        try Self.tmpfilesTree(tree: tree, in: dir.path) { dev in
            try Data("keep".utf8).write(to: URL(fileURLWithPath: dev + "/fuse"))
        }
        let ours = try CLIRun.autoloadd(["static-nodes", "--modules-dir", tree, "--create", "--dev", "\(dir.path)/autoload/dev"].map { Array($0.utf8) })
        #expect(ours.status == 0, "\(ours.stderr)")
        let theirs = try Self.listing(dir.path + "/tmpfiles/dev"), mine = try Self.listing(dir.path + "/autoload/dev")
        #expect(theirs.count > 10)
        #expect(mine == theirs)
        #expect(try String(contentsOfFile: dir.path + "/autoload/dev/fuse", encoding: .utf8) == "keep")
    }

    /// `daemon --static-nodes` makes the same nodes before it is ready.
    @Test func daemonMakesNodesAtStart() throws {
        let tree = try #require(KernelTrees.all.first)
        let dir = try TempDir("static-nodes-daemon")
        defer { dir.remove() }
        try Self.tmpfilesTree(tree: tree, in: dir.path)
        let d = try DaemonProcess(["--dry-run", "--no-coldplug", "--modules-dir", tree, "--config", "/nonexistent", "--no-cache",
                                   "--static-nodes", "--dev", "\(dir.path)/autoload/dev"])
        defer { _ = d.stop() }
        try #require(d.waitForLine { $0.contains("\"event\":\"ready\"") } != nil, "\(d.errors)")
        #expect(try Self.listing(dir.path + "/autoload/dev") == Self.listing(dir.path + "/tmpfiles/dev"))
    }

    /// DIR/tmpfiles/dev as systemd-tmpfiles makes it from kmod's tmpfiles lines, and an
    /// empty DIR/autoload/dev beside it; `prepare` runs on both /dev directories first.
    static func tmpfilesTree(tree: String, in dir: String, prepare: (String) throws -> Void = { _ in }) throws {
        let conf = dir + "/kmod.conf"
        try Data(try kmodStaticNodes(tree: tree, format: "tmpfiles")).write(to: URL(fileURLWithPath: conf))
        for side in ["tmpfiles", "autoload"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(side)/dev", withIntermediateDirectories: true)
            try prepare("\(dir)/\(side)/dev")
        }
        _ = try OracleRun.run("/bin/systemd-tmpfiles", ["--create", "--boot", "--root=\(dir)/tmpfiles", conf])
    }

    /// Every path below `dev` with its type, permission bits and device number (lstat(2)).
    static func listing(_ dev: String) throws -> [String] {
        let paths = try FileManager.default.subpathsOfDirectory(atPath: dev).sorted()
        return paths.map { p in
            var st = stat()
            lstat(dev + "/" + p, &st)
            return "\(p) \(String(st.st_mode, radix: 8)) \(st.st_rdev)"
        }
    }

    /// kmod reads /lib/modules/$(uname -r)/modules.devname only: run it in a private mount
    /// namespace where that path is `tree` (a tmpfs over /lib/modules holds the mount point).
    static func kmodStaticNodes(tree: String, format: String, expectStatus: Int32 = 0) throws -> [UInt8] {
        let script = "mount -t tmpfs none /lib/modules && mkdir /lib/modules/$(uname -r) && "
            + "mount --bind \"$1\" /lib/modules/$(uname -r) && exec kmod static-nodes --format=\"$2\""
        return try OracleRun.run("/usr/bin/unshare", ["-m", "/bin/sh", "-c", script, "sh", tree, format], expectStatus: expectStatus)
    }
}
