#if canImport(Glibc)
import Glibc
#endif
import Autoload

/// A usage mistake: printed with the subcommand's help, exit status 2.
struct UsageError: Error {
    var message: String
}

/// The command line after the subcommand: `--flag`, `--option VALUE` / `--option=VALUE`,
/// and operands; `--` ends options, a lone `-` is an operand.
struct Arguments {
    private(set) var flags: Set<String> = []
    private(set) var values: [String: [String]] = [:]
    private(set) var operands: [String] = []
    /// The operands as the bytes argv held: CommandLine.arguments turns bytes that are not
    /// UTF-8 into U+FFFD, and a MODALIAS may hold any byte.
    private(set) var operandBytes: [[UInt8]] = []

    init(_ args: ArraySlice<String>, flags known: Set<String>, options: Set<String>) throws(UsageError) {
        var i = args.startIndex
        var onlyOperands = false
        while i < args.endIndex {
            let a = args[i]
            i += 1
            if onlyOperands || (!a.hasPrefix("--") && a != "-h") || a == "-" {
                if !onlyOperands, a.hasPrefix("-"), a != "-" { throw UsageError(message: "unknown option \(a)") }
                operands.append(a)
                operandBytes.append(Self.rawArgument(at: i - 1, decoded: a))
                continue
            }
            if a == "--" { onlyOperands = true; continue }
            if a == "-h", known.contains("help") { flags.insert("help"); continue }
            var name = String(a.dropFirst(2)), value: String? = nil
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if known.contains(name) {
                guard value == nil else { throw UsageError(message: "--\(name) takes no value") }
                flags.insert(name)
            } else if options.contains(name) {
                if value == nil {
                    guard i < args.endIndex else { throw UsageError(message: "--\(name) needs a value") }
                    value = args[i]
                    i += 1
                }
                values[name, default: []].append(value!)
            } else {
                throw UsageError(message: "unknown option --\(name)")
            }
        }
    }

    /// argv[index] as bytes, when `decoded` is what Swift made of it (`args` slices
    /// `ProcessArguments.strings`, so indices match); otherwise `decoded`'s UTF-8.
    static func rawArgument(at index: Int, decoded: String) -> [UInt8] {
        guard ProcessArguments.raw.indices.contains(index) else { return Array(decoded.utf8) }
        let raw = ProcessArguments.raw[index]
        return String(decoding: raw, as: UTF8.self) == decoded ? raw : Array(decoded.utf8)
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func last(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String]? { values[name] }

    /// The options every subcommand that reads a module tree shares.
    static let treeOptions: Set<String> = ["root", "kernel", "modules-dir", "config", "cache-dir"]
    static let treeFlags: Set<String> = ["no-cache"]

    var location: ModuleTreeLocation {
        ModuleTreeLocation(root: last("root") ?? "/", kernel: last("kernel"),
                           modulesDirectory: last("modules-dir"), configPaths: all("config"))
    }

    var cacheDirectory: String? {
        if flag("no-cache") { return nil }
        return last("cache-dir") ?? environment("AUTOLOAD_CACHE_DIR") ?? ResolverSetup.defaultCacheDirectory
    }
}

extension Arguments {
    /// The static lists' names for coldplug and daemon: none with --no-modules-load, or
    /// when systemd-modules-load.service owns them (unless --modules-load).
    func staticModules(report: (String) -> Void) -> [StaticModuleEntry] {
        if flag("no-modules-load") { return [] }
        let root = location.root
        if !flag("modules-load"), StaticListOwner.detect(root: root) == .systemdModulesLoad { return [] }
        let read = StaticModuleLists.read(root: root)
        for e in read.errors { report(e) }
        return read.entries
    }
}

/// An exit status as an error, for the parse step's early exits (--help: 0, usage: 2).
struct ExitStatus: Error { var code: Int32 }

extension Arguments {
    /// Parses a tree-reading subcommand's arguments and answers --help; usage errors are
    /// printed here with the subcommand's help.
    static func parseTreeCommand(_ name: String, _ args: ArraySlice<String>, flags: Set<String>,
                                 options: Set<String>, help: String) -> Result<Arguments, ExitStatus> {
        let a: Arguments
        do {
            a = try Arguments(args, flags: Arguments.treeFlags.union(flags).union(["help"]),
                              options: Arguments.treeOptions.union(options))
        } catch {
            warn("\(name): \(error.message)\n\n\(help)")
            return .failure(ExitStatus(code: 2))
        }
        if a.flag("help") {
            print(help)
            return .failure(ExitStatus(code: 0))
        }
        return .success(a)
    }
}

func environment(_ name: String) -> String? {
    guard let v = getenv(name) else { return nil }
    return String(cString: v)
}

/// The start every tree-reading subcommand shares: parse its arguments, answer --help, open
/// the resolver. Errors are printed here, with the subcommand's exit status.
enum TreeCommandStart {
    case run(Arguments, ResolverSetup.Opened)
    case exit(Int32)

    init(_ name: String, _ args: ArraySlice<String>, flags: Set<String>, options: Set<String> = [], help: String) {
        let a: Arguments
        switch Arguments.parseTreeCommand(name, args, flags: flags, options: options, help: help) {
        case .failure(let status):
            self = .exit(status.code)
            return
        case .success(let parsed): a = parsed
        }
        do {
            let opened = try ResolverSetup(location: a.location, cacheDirectory: a.cacheDirectory).open()
            if environment("AUTOLOAD_VERBOSE") != nil { for n in opened.notes { warn("\(name): \(n)") } }
            self = .run(a, opened)
        } catch {
            warn("\(name): \(error)")
            self = .exit(3)
        }
    }
}
