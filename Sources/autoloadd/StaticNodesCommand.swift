import Autoload
import LinuxSystem
import SystemPackage

/// `autoloadd static-nodes`: modules.devname as `kmod static-nodes` prints it, or the nodes
/// themselves made under a /dev directory.
enum StaticNodesCommand {
    static let help = """
    Usage: autoloadd static-nodes [OPTIONS]

    Print the device nodes of the tree's modules.devname (fuse, loop-control, net/tun, ...)
    whose first open(2) makes the kernel load their module, byte for byte as
    `kmod static-nodes` prints them; or, with --create, make them.

    Options:
      --root DIR, --kernel VERSION, --modules-dir DIR   which tree, as for resolve
      -f, --format FORMAT  human (default), tmpfiles (tmpfiles.d(5) lines) or devname
      -o, --output FILE    write there instead of standard output (parents made 0755)
      --create             make the nodes (mode 0600, directories 0755) instead of
                           printing; an existing path is left as it is
      --dev DIR            where --create makes them                        [/dev]
      -h, --help           this help

    Exit status: 0 done (also when the tree has no modules.devname, as kmod); 1 a line
    of modules.devname was invalid or a node could not be made; 2 usage; 3 the file or
    the output could not be read or written.
    """

    static func run(_ args: ArraySlice<String>) -> Int32 {
        // kmod's short options, as its users write them.
        let expanded = args.map { a -> String in a == "-f" ? "--format" : a == "-o" ? "--output" : a }
        let a: Arguments
        switch Arguments.parseTreeCommand("static-nodes", expanded[...], flags: ["create"],
                                          options: ["format", "output", "dev"], help: help) {
        case .failure(let status): return status.code
        case .success(let parsed): a = parsed
        }
        guard let format = StaticNodeFormat(rawValue: a.last("format") ?? "human") else {
            warn("static-nodes: unknown format '\(a.last("format") ?? "")'\n\n\(help)")
            return 2
        }
        let dir = a.location.resolvedModulesDirectory
        if a.flag("create") { return makeNodes(modulesDirectory: dir, dev: a.last("dev") ?? "/dev") { warn("static-nodes: \($0)") } }
        let list: DeviceNameList
        switch read(modulesDirectory: dir, report: { warn("static-nodes: \($0)") }) {
        case .failure(let status): return status.code
        case .success(nil): return 0
        case .success(let l?): list = l
        }
        let status: Int32 = list.errors.isEmpty ? 0 : 1
        var bytes: [UInt8] = []
        for e in list.entries { format.render(e, into: &bytes) }
        guard let output = a.last("output") else {
            var out = OutputBuffer(fd: 1)
            out.write(bytes)
            out.flush()
            return status
        }
        do {
            try makeParents(of: output)
            try SourceFile.replace(output, with: bytes)
        } catch {
            warn("static-nodes: \(output): \(error)")
            return 3
        }
        return status
    }

    /// modules.devname of `dir`, its bad lines reported; nil for a missing file (kmod warns,
    /// writes nothing and succeeds), exit status 3 for an unreadable one.
    static func read(modulesDirectory dir: String, report: (String) -> Void) -> Result<DeviceNameList?, ExitStatus> {
        do {
            switch try DeviceNameList.read(modulesDirectory: dir) {
            case .missing:
                report("\(dir)/modules.devname not found - ignoring")
                return .success(nil)
            case .present(let l):
                for e in l.errors { report(e) }
                return .success(l)
            }
        } catch {
            report("\(error)")
            return .failure(ExitStatus(code: 3))
        }
    }

    /// Makes the nodes of `dir`'s modules.devname under `dev`; the exit status: 0 all made
    /// or already there, 1 a bad line or a node not made, 3 the file unreadable.
    static func makeNodes(modulesDirectory dir: String, dev: String, report: (String) -> Void) -> Int32 {
        let list: DeviceNameList
        switch read(modulesDirectory: dir, report: report) {
        case .failure(let status): return status.code
        case .success(nil): return 0
        case .success(let l?): list = l
        }
        var status: Int32 = list.errors.isEmpty ? 0 : 1
        for (e, outcome) in StaticNodeCreation.create(list.entries, dev: dev) {
            if case .failed(let why) = outcome {
                report("\(String(decoding: e.module, as: UTF8.self)): \(why)")
                status = 1
            }
        }
        return status
    }

    /// mkdir -p of the directories above `path`, 0755 (kmod's mkdir_parents).
    private static func makeParents(of path: String) throws(Errno) {
        var prefix = ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        for (i, part) in parts.enumerated() {
            prefix += (i == 0 ? "" : "/") + part
            guard !part.isEmpty else { continue }
            do { try createDirectory(FilePath(prefix)) } catch where error == .fileExists {}
        }
    }
}
