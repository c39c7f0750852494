import Glibc
import AliasMatcher

// The text parsers (ModuleTreeText) through their public entry, a tree directory, so file
// reading is covered too. The input is split at 0xFF bytes into modules.dep, modules.alias,
// modules.symbols, modules.builtin and modules.builtin.modinfo; a file with no part is
// absent. Files go to a private directory under /dev/shm (memory, not disk) when it exists.

private let treeDir: String = {
    let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    var template = Array("\(base)/autoload-fuzz-tree-XXXXXX".utf8CString)
    let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    atexit {
        for f in ModuleTreeText.sources { unlink(treeDir + "/" + f) }
        rmdir(treeDir)
    }
    return dir
}()

private func write(_ path: String, _ bytes: ArraySlice<UInt8>) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    precondition(fd >= 0, "open \(path): \(errno)")
    var done = 0
    bytes.withUnsafeBytes { b in
        while done < b.count {
            let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
            precondition(n > 0)
            done += n
        }
    }
    close(fd)
}

/// Non-blank lines of a text file, as SourceFile numbers them, with their 1-based numbers.
private func contentLines(_ bytes: ArraySlice<UInt8>) -> [(line: ArraySlice<UInt8>, number: Int)] {
    bytes.split(separator: 10, omittingEmptySubsequences: false).enumerated()
        .filter { !$0.element.isEmpty }.map { ($0.element, $0.offset + 1) }
}

/// Line numbers named by diagnostics `FILE:LINE: ...` for one file.
private func diagnosedLines(_ diagnostics: [String], _ path: String) -> Set<Int> {
    Set(diagnostics.compactMap { d in
        guard d.hasPrefix(path + ":") else { return nil }
        return Int(d.dropFirst(path.count + 1).prefix { $0 != ":" })
    })
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTreeText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    let parts = bytes.split(separator: 0xFF, maxSplits: 4, omittingEmptySubsequences: false)
    let dir = treeDir + "/"
    for (i, name) in ModuleTreeText.sources.enumerated() {
        if i < parts.count { write(dir + name, parts[i]) } else { unlink(dir + name) }
    }
    let tree: ModuleTreeText
    do {
        tree = try ModuleTreeText(directory: treeDir)
    } catch {
        // Only a missing required file may stop the parse: every other fault is per line.
        let required = [dir + ModuleTreeText.dependencies, dir + ModuleTreeText.aliases]
        guard case .missing(let path) = error, required.contains(path), parts.count < 2 else {
            fatalError("unexpected \(error) with \(parts.count) parts")
        }
        return 0
    }
    // Nothing is lost silently: each content line is parsed or named in a diagnostic.
    func accounted(_ name: String, _ part: Int, parsed: Int, skipsComments: Bool) {
        let all = contentLines(parts[part])
        // A last line without newline is a fragment of a cut file: skipped and named whatever
        // it holds, a comment included.
        let cut = parts[part].last.map { $0 != 10 } ?? false
        let lines = all.filter { !(skipsComments && $0.line.first == 35) || (cut && $0.number == all.last?.number) }
        let skipped = diagnosedLines(tree.diagnostics, dir + name)
        precondition(skipped.isSubset(of: Set(lines.map(\.number))), "\(name): diagnostic for a line that is not there")
        precondition(parsed + skipped.count == lines.count,
                     "\(name): \(lines.count) lines, \(parsed) parsed + \(skipped.count) skipped")
    }
    accounted(ModuleTreeText.dependencies, 0, parsed: tree.modules.count, skipsComments: true)
    accounted(ModuleTreeText.aliases, 1, parsed: tree.aliases.count, skipsComments: true)
    if parts.count > 2 { accounted(ModuleTreeText.symbols, 2, parsed: tree.symbols.count, skipsComments: true) }
    if parts.count > 3 { accounted(ModuleTreeText.builtin, 3, parsed: tree.builtinModules.count, skipsComments: false) }
    for p in tree.aliases + tree.symbols + tree.builtinAliases {
        // Normalized as libkmod does: no NUL, no '-' left outside brackets, within PATH_MAX.
        precondition(!p.pattern.contains(0) && p.pattern.count <= 2 * AliasNormalizer.maxLength)
        // Normalizing twice changes nothing (below the length cut, which a bracket may straddle).
        if p.pattern.count <= AliasNormalizer.maxLength {
            precondition(AliasNormalizer.normalize(p.pattern) == .success(p.pattern), "normalizing is not idempotent")
        }
    }
    // What the parsers produce must compile, survive the index file and answer lookups.
    // Compiling and looking up cost ~40 times the parse under ASan (a profile of this
    // target: at one input size in eight they took half its time), so they run for one size
    // in 32: the choice is a function of the input, as libFuzzer needs, and mutations reach
    // every size. FuzzGlob and FuzzIndexFile fuzz compiling and lookups themselves.
    guard size % 32 == 0 else { return 0 }
    let index = AliasIndex(tree: tree)
    let encoded = IndexFile.encode(index)
    let decoded = encoded.withUnsafeBytes { b in Result { () throws(IndexFile.Failure) in try IndexFile.decode(b) } }
    guard case .success(let reopened) = decoded, reopened == index else { fatalError("index round trip: \(decoded)") }
    let lookup = AliasLookup(index: reopened)
    for m in index.modules.prefix(4) { _ = lookup.lookup(m) }
    for p in tree.aliases.prefix(4) { _ = lookup.lookup(p.pattern) }
    return 0
}
