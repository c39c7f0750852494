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

    init(_ args: ArraySlice<String>, flags known: Set<String>, options: Set<String>) throws(UsageError) {
        var i = args.startIndex
        var onlyOperands = false
        while i < args.endIndex {
            let a = args[i]
            i += 1
            if onlyOperands || !a.hasPrefix("--") || a == "-" {
                if !onlyOperands, a.hasPrefix("-"), a != "-" { throw UsageError(message: "unknown option \(a)") }
                operands.append(a)
                continue
            }
            if a == "--" { onlyOperands = true; continue }
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

func environment(_ name: String) -> String? {
    guard let v = getenv(name) else { return nil }
    return String(cString: v)
}
