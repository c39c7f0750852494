import AliasMatcher
import Autoload

/// `autoloadd resolve`: MODALIAS strings to module names, exactly as libkmod's lookup.
enum ResolveCommand {
    static let help = """
    Usage: autoloadd resolve [OPTIONS] [MODALIAS... | -]

    Print the modules libkmod's lookup (kmod_module_new_from_lookup) returns for each
    MODALIAS (or module name, or symbol:NAME), one line per input:
        MODALIAS<TAB>module1,module2,...
    Nothing follows the tab when nothing matches. With -, read one MODALIAS per line
    from standard input.

    Options:
      --root DIR          module tree under DIR/lib/modules (like modprobe -d)   [/]
      --kernel VERSION    kernel release (like modprobe -S)                      [uname -r]
      --modules-dir DIR   the module tree itself (overrides --root/--kernel)
      --config PATH       modprobe.d file or directory, repeatable; replaces the
                          default directories (like modprobe -C); a missing path
                          means no configuration
      --cache-dir DIR     where the compiled index is kept  [$AUTOLOAD_CACHE_DIR or
                          /var/cache/autoload]
      --no-cache          compile the index in memory, write nothing
      --json              one JSON object per line: modalias, modules, source
      --source            append the lookup source (modules.alias, ...) as a third column
      -h, --help          this help

    Exit status: 0 every input was looked up (matched or not); 1 some input was
    invalid (an unmatched bracket, as libkmod's EINVAL); 2 usage; 3 the module tree
    or configuration could not be read.
    """

    static func run(_ args: ArraySlice<String>) -> Int32 {
        let a: Arguments, opened: ResolverSetup.Opened
        switch TreeCommandStart("resolve", args, flags: ["json", "source"], help: help) {
        case .exit(let status): return status
        case .run(let parsed, let o): (a, opened) = (parsed, o)
        }
        let lookup = opened.lookup
        keptUntilExit.append(lookup)
        var out = OutputBuffer(fd: 1)
        var invalid = false
        func one(_ input: [UInt8]) {
            // A C string ends at NUL: libkmod never sees what follows one.
            let alias = input.firstIndex(of: 0).map { Array(input[..<$0]) } ?? input
            let result = lookup.lookup(alias)
            var match = LookupMatch(source: nil, modules: [])
            var failure: String? = nil
            switch result {
            case .success(let m): match = m
            case .failure(let e):
                invalid = true
                failure = e.description
                warn("resolve: \(String(decoding: alias, as: UTF8.self)): \(e)")
            }
            if a.flag("json") {
                out.write("{"); JSONText.field("modalias", bytes: input, into: &out)
                out.write(",\"modules\":[")
                for (i, m) in match.modules.enumerated() {
                    if i > 0 { out.byte(UInt8(ascii: ",")) }
                    JSONText.string(m, into: &out)
                }
                out.write("],\"source\":")
                if let s = match.source { JSONText.string(s.rawValue, into: &out) } else { out.write("null") }
                if let failure { out.write(",\"error\":"); JSONText.string(failure, into: &out) }
                out.write("}\n")
            } else {
                out.write(input)
                out.byte(9)
                for (i, m) in match.modules.enumerated() {
                    if i > 0 { out.byte(UInt8(ascii: ",")) }
                    out.write(m)
                }
                if a.flag("source") { out.byte(9); out.write(match.source?.rawValue ?? "-") }
                out.byte(10)
            }
            out.flushIfLarge()
        }
        if a.operands == ["-"] {
            var reader = LineReader(fd: 0)
            while let line = reader.next() { one(line) }
        } else {
            for o in a.operandBytes { one(o) }
        }
        out.flush()
        if environment("AUTOLOAD_VERBOSE") != nil {
            warn("resolve: \(lookup.cachedStates) DFA states cached, \(lookup.cacheFlushes) cache resets")
        }
        return invalid ? 1 : 0
    }
}
