/// Random patterns and strings for the fnmatch agreement run: the same shapes as
/// Tests/AliasMatcherTests/FnmatchAgreementTests (glob pieces, so brackets, ranges, negation,
/// escapes and stars are common), from a deterministic generator so a failure reproduces
/// from its seed.
public struct SplitMix {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    public mutating func pick(_ a: [UInt8]) -> UInt8 { a[below(a.count)] }
}

/// Bytes that matter to glob syntax, normalization (`-`) and byte ranges (DEL, 0x80, 0xff).
public let patternAlphabet = Array("ab_-:*?[]!^\\.Z\u{7f}".utf8) + [0x80, 0xff, 0x5d]
public let inputAlphabet = Array("ab_-:*?[]!^\\.Z\u{7f}".utf8) + [0x80, 0xff]

public func randomBytes(_ rng: inout SplitMix, _ alphabet: [UInt8], maxLength: Int) -> [UInt8] {
    (0..<rng.below(maxLength + 1)).map { _ in rng.pick(alphabet) }
}

/// A pattern built from glob pieces; one in ten brackets is left open, and character
/// classes (`[[:digit:]]`) appear too, so the fnmatch(3) fallback path is compared as well.
public func randomPattern(_ rng: inout SplitMix) -> [UInt8] {
    var p = [UInt8]()
    for _ in 0..<rng.below(7) {
        switch rng.below(9) {
        case 0: p.append(42)
        case 1: p.append(63)
        case 2: p.append(92); p.append(rng.pick(inputAlphabet))
        case 3, 4:
            p.append(91)
            if rng.below(3) == 0 { p.append(rng.below(2) == 0 ? 33 : 94) }
            for _ in 0..<(1 + rng.below(3)) {
                let c = rng.pick(inputAlphabet)
                if c == 93 { continue }
                p.append(c)
                if rng.below(3) == 0 { p.append(45); p.append(rng.pick(Array("abZ_\u{7f}".utf8) + [0xff])) }
            }
            if rng.below(10) != 0 { p.append(93) }
        case 5 where rng.below(4) == 0:
            p += Array(["[[:digit:]]", "[![:alpha:]_]", "[[:upper:]a]", "[[=a=]]"][rng.below(4)].utf8)
        default: p.append(contentsOf: randomBytes(&rng, Array("ab_:Z".utf8), maxLength: 3))
        }
    }
    return p
}

/// A string likely to match `pattern`: wildcards filled with random bytes, brackets with a
/// member or a near miss.
public func instantiate(_ pattern: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
    var out = [UInt8](), i = 0
    while i < pattern.count {
        let c = pattern[i]
        switch c {
        case 42: out += randomBytes(&rng, inputAlphabet, maxLength: 3); i += 1
        case 63: out.append(rng.pick(inputAlphabet)); i += 1
        case 92 where i + 1 < pattern.count: out.append(pattern[i + 1]); i += 2
        case 91:
            let close = pattern[(i + 1)...].firstIndex(of: 93) ?? pattern.count - 1
            let body = Array(pattern[(i + 1)..<max(i + 1, close)])
            out.append(body.isEmpty || rng.below(4) == 0 ? rng.pick(inputAlphabet) : rng.pick(body))
            i = close + 1
        default: out.append(c); i += 1
        }
    }
    return out
}
