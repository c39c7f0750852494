import Glibc
import AliasMatcher

/// glibc's fnmatch(3), flags 0, in the C locale (nothing here calls setlocale, so bytes are
/// compared as bytes): the independent oracle for every pattern AliasMatcher compiles.
/// Neither argument may contain NUL; callers cut there, as a C string would.
public func libcFnmatch(_ pattern: [UInt8], _ input: [UInt8]) -> Bool {
    (pattern + [0]).withUnsafeBufferPointer { p in
        (input + [0]).withUnsafeBufferPointer { s in
            p.withMemoryRebound(to: CChar.self) { pc in
                s.withMemoryRebound(to: CChar.self) { sc in fnmatch(pc.baseAddress!, sc.baseAddress!, 0) == 0 }
            }
        }
    }
}

/// libkmod's index search (libkmod-index.c): the bytes before the first `*?[` compared
/// literally, fnmatch(3) on the rest.
public func kmodIndexMatch(_ pattern: [UInt8], _ input: [UInt8]) -> Bool {
    guard let w = pattern.firstIndex(where: { $0 == 42 || $0 == 63 || $0 == 91 }) else { return pattern == input }
    guard input.count >= w, pattern[..<w].elementsEqual(input[..<w]) else { return false }
    return libcFnmatch(Array(pattern[w...]), Array(input[w...]))
}

/// Compiles `rawPatterns` (after libkmod's alias normalization; the ones it rejects are left
/// out, as depmod leaves them out of modules.alias.bin) into one automaton and compares what
/// it and `GlobSet.matchingEntries` say about `input` with the oracle, pattern by pattern.
/// Returns the number of pattern/input pairs compared, or a description of the first
/// disagreement.
public func compareWithOracle(rawPatterns: [[UInt8]], input: [UInt8], syntax: GlobPattern.Syntax,
                              maxStates: Int = 1 << 16) -> Result<Int, Disagreement> {
    var patterns = [[UInt8]]()
    for raw in rawPatterns {
        if case .success(let p) = AliasNormalizer.normalize(raw) { patterns.append(p) }
    }
    if patterns.isEmpty { return .success(0) }
    let set = GlobSet(entries: patterns.enumerated().map { .init(module: UInt32($0), order: UInt32($0), pattern: $1) },
                      syntax: syntax)
    let automaton = GlobAutomaton(set, maxStates: maxStates)
    let oracle = syntax == .fnmatch ? libcFnmatch : kmodIndexMatch
    let expected = patterns.indices.filter { oracle(patterns[$0], input) }.map(UInt32.init)
    // Twice: the second walk runs over the DFA states the first one cached.
    for pass in 0..<2 {
        let got = automaton.modules(matching: input)
        if got != expected {
            return .failure(Disagreement(patterns: patterns, input: input, syntax: syntax, expected: expected,
                                         got: got, what: "automaton (pass \(pass + 1))"))
        }
    }
    let slow = set.matchingEntries(input)
    if slow != expected {
        return .failure(Disagreement(patterns: patterns, input: input, syntax: syntax, expected: expected,
                                     got: slow, what: "GlobSet.matchingEntries"))
    }
    return .success(patterns.count)
}

public struct Disagreement: Error, CustomStringConvertible {
    public let patterns: [[UInt8]], input: [UInt8], syntax: GlobPattern.Syntax
    public let expected: [UInt32], got: [UInt32], what: String
    public var description: String {
        "\(what) disagrees with \(syntax == .fnmatch ? "fnmatch(3)" : "libkmod's index search"): input \(input) "
            + "patterns \(patterns): expected matches \(expected), got \(got)"
    }
}
