import Testing
import TestSupport
import Glibc
@testable import AliasMatcher

/// glibc's fnmatch(3), flags 0: the oracle for every pattern the automaton compiles.
func libcFnmatch(_ pattern: [UInt8], _ input: [UInt8]) -> Bool {
    (pattern + [0]).withUnsafeBufferPointer { p in
        (input + [0]).withUnsafeBufferPointer { s in
            p.withMemoryRebound(to: CChar.self) { pc in
                s.withMemoryRebound(to: CChar.self) { sc in fnmatch(pc.baseAddress!, sc.baseAddress!, 0) == 0 }
            }
        }
    }
}

/// libkmod's index search: literal up to the first wildcard, fnmatch after it.
func kmodIndexMatch(_ pattern: [UInt8], _ input: [UInt8]) -> Bool {
    guard let w = pattern.firstIndex(where: { $0 == 42 || $0 == 63 || $0 == 91 }) else { return pattern == input }
    guard input.count >= w, pattern[..<w].elementsEqual(input[..<w]) else { return false }
    return libcFnmatch(Array(pattern[w...]), Array(input[w...]))
}


let patternAlphabet = Array("ab_-:*?[]!^\\.Z\u{7f}".utf8) + [0x80, 0xff, 0x5d]
let inputAlphabet = Array("ab_-:*?[]!^\\.Z\u{7f}".utf8) + [0x80, 0xff]

func randomBytes(_ rng: inout SplitMix64, _ alphabet: [UInt8], maxLength: Int) -> [UInt8] {
    (0..<rng.below(maxLength + 1)).map { _ in rng.pick(alphabet) }
}

/// A pattern built from glob pieces, so brackets, ranges and escapes are common.
func randomPattern(_ rng: inout SplitMix64) -> [UInt8] {
    var p = [UInt8]()
    for _ in 0..<rng.below(7) {
        switch rng.below(8) {
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
        default: p.append(contentsOf: randomBytes(&rng, Array("ab_:Z".utf8), maxLength: 3))
        }
    }
    return p
}

@Suite struct FnmatchAgreementTests {
    @Test(arguments: [GlobPattern.Syntax.fnmatch, .kmodIndex])
    func singlePatternsAgreeWithGlibc(syntax: GlobPattern.Syntax) {
        var rng = SplitMix64(state: syntax == .fnmatch ? 1 : 2)
        var checked = 0, disagreements = [String]()
        for _ in 0..<3000 {
            let raw = rng.below(4) == 0 ? randomBytes(&rng, patternAlphabet, maxLength: 8) : randomPattern(&rng)
            guard case .success(let pattern) = AliasNormalizer.normalize(raw) else { continue }
            let automaton = GlobAutomaton(GlobSet(entries: [.init(module: 0, order: 0, pattern: pattern)], syntax: syntax))
            for _ in 0..<40 {
                var input = randomBytes(&rng, inputAlphabet, maxLength: 8)
                if rng.below(2) == 0 { input = instantiate(pattern, &rng) }
                let expected = syntax == .fnmatch ? libcFnmatch(pattern, input) : kmodIndexMatch(pattern, input)
                let got = !automaton.modules(matching: input).isEmpty
                checked += 1
                if got != expected, disagreements.count < 10 {
                    disagreements.append("pattern \(pattern) input \(input): fnmatch \(expected), automaton \(got)")
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements)")
        #expect(checked > 50_000)
    }

    @Test func manyPatternsInOneAutomatonAgreeWithGlibc() {
        var rng = SplitMix64(state: 7)
        var patterns = [[UInt8]]()
        while patterns.count < 400 {
            var raw = Array("pci:v".utf8) + randomPattern(&rng)
            if rng.below(3) == 0 { raw = randomPattern(&rng) }
            if case .success(let p) = AliasNormalizer.normalize(raw) { patterns.append(p) }
        }
        let set = GlobSet(entries: patterns.enumerated().map { .init(module: UInt32($0), order: UInt32($0), pattern: $1) },
                          syntax: .kmodIndex)
        let automaton = GlobAutomaton(set, maxStates: 64)  // small: exercise cache resets too
        for _ in 0..<4000 {
            var input = rng.below(2) == 0 ? Array("pci:v".utf8) : []
            input += randomBytes(&rng, inputAlphabet, maxLength: 10)
            if rng.below(2) == 0 { input = instantiate(patterns[rng.below(patterns.count)], &rng) }
            let expected = patterns.indices.filter { kmodIndexMatch(patterns[$0], input) }.map(UInt32.init)
            #expect(automaton.modules(matching: input) == expected, "input \(input)")
            #expect(set.matchingEntries(input) == expected)
        }
        #expect(automaton.flushes > 0)
    }

    /// Many matching entries (past the small-result path): modules in ascending entry order,
    /// each once, whatever order the entries were given in.
    @Test(arguments: [10, 200])
    func manyMatchesComeBackInPriorityOrder(count: Int) {
        let entries = (0..<count).map { i in
            GlobSet.Entry(module: UInt32(i % 7), order: UInt32((i * 37) % count), pattern: Array((i % 2 == 0 ? "x*" : "x?y*").utf8))
        }
        let set = GlobSet(entries: entries, syntax: .kmodIndex)
        let automaton = GlobAutomaton(set)
        let input = Array("xzy".utf8)
        let byPriority = entries.indices.sorted { (entries[$0].order, $0) < (entries[$1].order, $1) }
        var expected = [UInt32]()
        for i in byPriority where !expected.contains(entries[i].module) { expected.append(entries[i].module) }
        #expect(automaton.modules(matching: input) == expected)
    }

    /// Prefixes nested deeper than the 16 tags one walk carries, each with its own remainder
    /// group, so a lookup makes several walks; with and without tags, and a tiny cache.
    @Test(arguments: [true, false])
    func nestedPrefixesAgreeWithGlibc(tagged: Bool) {
        var rng = SplitMix64(state: 11)
        var patterns = [[UInt8]]()
        let tails = ["*", "*b", "?", "[ab]*", "", "*a?", "b*"].map { Array($0.utf8) }
        for k in 1...40 { for t in tails where rng.below(2) == 0 { patterns.append([UInt8](repeating: 97, count: k) + t) } }
        let set = GlobSet(entries: patterns.enumerated().map { .init(module: UInt32($0), order: UInt32($0), pattern: $1) },
                          syntax: .kmodIndex)
        let automaton = GlobAutomaton(set, maxStates: 32, tagged: tagged)
        for _ in 0..<2000 {
            let input = [UInt8](repeating: 97, count: rng.below(45)) + randomBytes(&rng, Array("ab".utf8), maxLength: 3)
            let expected = patterns.indices.filter { kmodIndexMatch(patterns[$0], input) }.map(UInt32.init)
            #expect(automaton.modules(matching: input) == expected, "input \(input)")
            #expect(set.matchingEntries(input) == expected)
        }
        #expect(automaton.flushes > 0)
    }
}

/// An input likely to match `pattern`: wildcards filled with random bytes, brackets with a
/// member or a near miss.
func instantiate(_ pattern: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
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
