import AliasMatcher
import FuzzSupport

/// Input: NUL-separated segments; the last is the string, the others (at most 16) are raw
/// modules.alias patterns compiled into one automaton. The first byte picks the syntax
/// (fnmatch(3) as for modprobe.d aliases, or libkmod's index search as for modules.alias)
/// and whether the DFA cache is tiny (so cache resets happen mid-walk). Any disagreement
/// with glibc fnmatch(3) is a crash, so libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGlob(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let mode = bytes[0]
    var segments = bytes[1...].split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
    let input = segments.removeLast()
    let patterns = Array(segments.prefix(16))
    let syntax: GlobPattern.Syntax = mode & 1 == 0 ? .fnmatch : .kmodIndex
    if case .failure(let d) = compareWithOracle(rawPatterns: patterns, input: input, syntax: syntax,
                                                 maxStates: mode & 2 == 0 ? 1 << 16 : 4) {
        fatalError("\(d)")
    }
    return 0
}
