import LinuxSystem

/// The text files depmod leaves in /lib/modules/VERSION, parsed: the same data libkmod reads
/// from their .bin twins. A line depmod would not have indexed is skipped and reported with
/// its file and line; it never stops the rest from loading.
public struct ModuleTreeText: Sendable {
    public static let dependencies = "modules.dep"
    public static let aliases = "modules.alias"
    public static let symbols = "modules.symbols"
    public static let builtin = "modules.builtin"
    public static let builtinModinfo = "modules.builtin.modinfo"
    /// Every file the compiled index depends on, in stamp order.
    public static let sources = [dependencies, aliases, symbols, builtin, builtinModinfo]

    public struct Pattern: Sendable {
        public var pattern: [UInt8]   // normalized
        public var module: [UInt8]
    }

    /// Module names in modules.dep line order: a module's index is its libkmod priority.
    public var modules: [[UInt8]] = []
    public var aliases: [Pattern] = []
    public var symbols: [Pattern] = []
    public var builtinModules: [[UInt8]] = []
    /// modules.builtin.modinfo `NAME.alias=PATTERN` records in file order.
    public var builtinAliases: [Pattern] = []
    /// Lines skipped, as `file:line: reason`.
    public var diagnostics: [String] = []

    public init() {}

    /// Reads the tree's text files. modules.dep and modules.alias must exist; the others are
    /// optional, as they are for libkmod.
    public init(directory: String) throws(TreeError) {
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        let dep = dir + Self.dependencies, alias = dir + Self.aliases
        try parseDependencies(complete(SourceFile.read(dep), path: dep), path: dep)
        aliases = try parseAliasLines(complete(SourceFile.read(alias), path: alias), path: alias)
        if let b = try SourceFile.readIfPresent(dir + Self.symbols) {
            symbols = try parseAliasLines(complete(b, path: dir + Self.symbols), path: dir + Self.symbols)
        }
        if let b = try SourceFile.readIfPresent(dir + Self.builtin) {
            try parseBuiltin(complete(b, path: dir + Self.builtin), path: dir + Self.builtin)
        }
        if let b = try SourceFile.readIfPresent(dir + Self.builtinModinfo) {
            let path = dir + Self.builtinModinfo
            parseBuiltinModinfo(complete(b, path: path, terminator: 0, what: "record"), path: path)
        }
    }

    /// depmod ends every line with a newline (the kernel every modules.builtin.modinfo record
    /// with NUL), so a last one without is what is left of a file cut short: parsed, it could
    /// give a shorter pattern or module name (`late_mod` cut to `late_m`). It is dropped and
    /// reported with its number.
    mutating func complete(_ bytes: [UInt8], path: String, terminator: UInt8 = UInt8(ascii: "\n"),
                           what: String = "line") -> [UInt8] {
        guard let last = bytes.last, last != terminator else { return bytes }
        let cut = (bytes.lastIndex(of: terminator) ?? -1) + 1
        let number = bytes[..<cut].reduce(1) { $1 == terminator ? $0 + 1 : $0 }
        let place = terminator == 0 ? "\(path): \(what) \(number)" : "\(path):\(number)"
        diagnostics.append("\(place): no \(terminator == 0 ? "NUL" : "newline") at the end (file cut short?); \(what) skipped")
        return Array(bytes[..<cut])
    }

    /// `kernel/drivers/foo-bar.ko: dep.ko ...`: the module is `foo_bar`, as `path_to_modname()`.
    mutating func parseDependencies(_ bytes: [UInt8], path: String) throws(TreeError) {
        try SourceFile.lines(bytes) { line, number throws(TreeError) in
            if line.first == UInt8(ascii: "#") { return }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                diagnostics.append("\(path):\(number): no ':' after the module path; line skipped")
                return
            }
            modules.append(AliasNormalizer.moduleName(fromPath: line[..<colon]))
        }
    }

    /// `alias PATTERN MODULE` lines (modules.alias, modules.symbols). The module is the last
    /// field; the pattern is everything between, since depmod writes it unquoted.
    mutating func parseAliasLines(_ bytes: [UInt8], path: String) throws(TreeError) -> [Pattern] {
        var out = [Pattern]()
        var notes = [String]()
        let space = UInt8(ascii: " ")
        try SourceFile.lines(bytes) { line, number throws(TreeError) in
            if line.first == UInt8(ascii: "#") { return }
            let keyword = Array("alias ".utf8)
            guard line.starts(with: keyword), let last = line.lastIndex(of: space),
                  last > line.startIndex + keyword.count else {
                notes.append("\(path):\(number): not 'alias PATTERN MODULE'; line skipped")
                return
            }
            let raw = line[(line.startIndex + keyword.count)..<last]
            let module = Array(line[(last + 1)...])
            switch AliasNormalizer.normalize(raw) {
            case .success(let p):
                out.append(Pattern(pattern: p, module: module))
            case .failure(let f):
                // depmod leaves such a pattern out of modules.alias.bin ("Unmatched bracket").
                notes.append("\(path):\(number): \(f); pattern skipped as depmod does")
            }
        }
        diagnostics += notes
        return out
    }

    /// One module path per line; depmod skips lines that do not start with a letter.
    mutating func parseBuiltin(_ bytes: [UInt8], path: String) throws(TreeError) {
        var notes = [String]()
        var names = [[UInt8]]()
        try SourceFile.lines(bytes) { line, number throws(TreeError) in
            guard let c = line.first, (c | 0x20) >= UInt8(ascii: "a"), (c | 0x20) <= UInt8(ascii: "z") else {
                notes.append("\(path):\(number): not a module path; line skipped as depmod does")
                return
            }
            names.append(AliasNormalizer.moduleName(fromPath: line))
        }
        builtinModules = names
        diagnostics += notes
    }

    /// NUL-separated `MODULE.KEY=VALUE` records; only `alias` ones matter here. The module name
    /// is kept as written (depmod does not normalize it), the pattern is normalized.
    mutating func parseBuiltinModinfo(_ bytes: [UInt8], path: String) {
        var start = 0, record = 0
        let alias = Array("alias=".utf8)
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
            let rec = bytes[start..<end]
            start = end + 1
            record += 1
            guard let dot = rec.firstIndex(of: UInt8(ascii: ".")) else { continue }
            let rest = rec[(dot + 1)...]
            guard rest.starts(with: alias) else { continue }
            let value = rest[(rest.startIndex + alias.count)...]
            switch AliasNormalizer.normalize(value) {
            case .success(let p):
                builtinAliases.append(Pattern(pattern: p, module: Array(rec[..<dot])))
            case .failure(let f):
                diagnostics.append("\(path): record \(record): \(f); pattern skipped as depmod does")
            }
        }
    }
}
