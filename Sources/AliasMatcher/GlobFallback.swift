#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The patterns the automaton does not model are judged by the C library's fnmatch(3) itself,
/// exactly as libkmod does after its literal trie walk. No tree seen so far has one.
enum GlobFallback {
    static func matches(_ pattern: [UInt8], prefix: Int, _ input: [UInt8]) -> Bool {
        guard input.count >= prefix, pattern[..<prefix].elementsEqual(input[..<prefix]) else { return false }
        var p = Array(pattern[prefix...]); p.append(0)
        var s = Array(input[prefix...]); s.append(0)
        return p.withUnsafeBufferPointer { pp in
            s.withUnsafeBufferPointer { sp in
                pp.withMemoryRebound(to: CChar.self) { pc in
                    sp.withMemoryRebound(to: CChar.self) { sc in
                        fnmatch(pc.baseAddress!, sc.baseAddress!, 0) == 0
                    }
                }
            }
        }
    }
}
