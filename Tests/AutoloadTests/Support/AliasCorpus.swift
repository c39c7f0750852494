import TestSupport
import AliasMatcher

/// Inputs for differential tests, generated from a tree's own patterns: each pattern
/// instantiated several ways (wildcards filled with varied text, bracket members and
/// non-members), near misses (a byte changed, dropped or added, case flipped, `_` written as
/// `-`), names, symbols, and odd strings. Expected answers never come from here: libkmod
/// gives them.
struct AliasCorpus {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(state: seed) }

    static let fill = Array("0123456789ABCDEFabcdefxyz_:,.*-?/[]".utf8)

    mutating func instance(of pattern: [UInt8], style: Int) -> [UInt8] {
        var out = [UInt8](), i = 0
        while i < pattern.count {
            let c = pattern[i]
            switch c {
            case UInt8(ascii: "*"):
                switch style % 4 {
                case 0: break
                case 1: out.append(UInt8(ascii: "0"))
                case 2: out += Array("1A2b".utf8)
                default: for _ in 0..<rng.below(12) { out.append(rng.pick(Self.fill)) }
                }
                i += 1
            case UInt8(ascii: "?"):
                out.append(rng.pick(Self.fill)); i += 1
            case UInt8(ascii: "["):
                let close = pattern[(i + 1)...].firstIndex(of: UInt8(ascii: "]")) ?? (pattern.count - 1)
                var body = Array(pattern[(i + 1)..<max(i + 1, close)])
                if body.first == UInt8(ascii: "!") || body.first == UInt8(ascii: "^") { body.removeFirst() }
                let members = body.filter { $0 != UInt8(ascii: "-") }
                if style % 3 == 2 || members.isEmpty { out.append(rng.pick(Self.fill)) } else { out.append(rng.pick(members)) }
                i = close + 1
            case UInt8(ascii: "\\") where i + 1 < pattern.count:
                out.append(pattern[i + 1]); i += 2
            default:
                out.append(c); i += 1
            }
        }
        return out
    }

    mutating func nearMiss(_ s: [UInt8]) -> [UInt8] {
        var s = s
        guard !s.isEmpty else { return [UInt8(ascii: "x")] }
        let at = rng.below(s.count)
        switch rng.below(6) {
        case 0: s[at] = rng.pick(Self.fill)
        case 1: s.remove(at: at)
        case 2: s.insert(rng.pick(Self.fill), at: at)
        case 3:  // case flip
            for k in s.indices where (s[k] | 0x20) >= 97 && (s[k] | 0x20) <= 122 && rng.below(3) == 0 { s[k] ^= 0x20 }
        case 4:  // '_' spelled '-', which libkmod normalizes back
            for k in s.indices where s[k] == UInt8(ascii: "_") { s[k] = UInt8(ascii: "-") }
        default: s = Array(s.prefix(at))
        }
        return s
    }
}
