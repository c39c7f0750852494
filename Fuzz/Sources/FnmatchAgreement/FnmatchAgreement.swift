import AliasMatcher
import FuzzSupport
import Glibc

// AliasMatcher against glibc fnmatch(3) (flags 0, after libkmod's alias normalization) on
// at least N random pattern/string pairs; also against libkmod's index search, which is
// fnmatch after a literal prefix. Usage: FnmatchAgreement [PAIRS [SEED]]. Exit 1 and the
// pair on the first disagreement.
//
// The package is built with --sanitize=fuzzer, which links libFuzzer's main into every
// executable, so this one cannot have its own. libFuzzer calls LLVMFuzzerInitialize before
// anything else; the whole run happens there and exits, so the matcher also runs under ASan.
@_cdecl("LLVMFuzzerInitialize")
public func agreementMain(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> Int32 {
    let arguments = (0..<Int(argc.pointee)).map { String(cString: argv.pointee[$0]!) }
    FnmatchAgreement.run(arguments)
    exit(0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func agreementUnused(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { 0 }

enum FnmatchAgreement {
    static func run(_ arguments: [String]) {
        let wanted = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
        let seed = arguments.count > 2 ? UInt64(arguments[2]) ?? 1 : 1
        var rng = SplitMix(seed: seed)
        var pairs: [GlobPattern.Syntax: Int] = [.fnmatch: 0, .kmodIndex: 0]
        var round = 0

        while pairs.values.reduce(0, +) < wanted {
            round += 1
            let syntax: GlobPattern.Syntax = round % 2 == 0 ? .fnmatch : .kmodIndex
            // Mostly one pattern per automaton (every pattern shape on its own); two rounds in
            // sixteen (one per syntax) 64 patterns share one automaton with a tiny DFA cache, so
            // shared prefixes, merged states and cache resets are compared too.
            let many = round % 16 < 2
            var patterns = [[UInt8]]()
            for _ in 0..<(many ? 64 : 1) {
                var raw = rng.below(4) == 0 ? randomBytes(&rng, patternAlphabet, maxLength: 8) : randomPattern(&rng)
                if many, rng.below(2) == 0 { raw = Array("pci:v".utf8) + raw }
                patterns.append(raw)
            }
            for _ in 0..<40 {
                var input = randomBytes(&rng, inputAlphabet, maxLength: 10)
                if rng.below(2) == 0, case .success(let p) = AliasNormalizer.normalize(patterns[rng.below(patterns.count)]) {
                    input = instantiate(p, &rng)
                }
                switch compareWithOracle(rawPatterns: patterns, input: input, syntax: syntax, maxStates: many ? 64 : 1 << 16) {
                case .success(let n): pairs[syntax, default: 0] += n
                case .failure(let d):
                    print("DISAGREEMENT (seed \(seed), round \(round)): \(d)")
                    exit(1)
                }
            }
        }
        let total = pairs.values.reduce(0, +)
        print("fnmatch agreement: \(total) pattern/string pairs (\(pairs[.fnmatch]!) vs fnmatch(3), \(pairs[.kmodIndex]!) vs libkmod index search), 0 disagreements, seed \(seed)")
    }
}
