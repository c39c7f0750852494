import Foundation
import Testing
import AliasMatcher
import Autoload

/// autoload's lookup against libkmod's own, on real Debian kernel trees: libkmod is the
/// oracle for every answer, including order and errors.
@Suite struct KernelTreeAgreementTests {
    /// Without trees the agreement test below has no arguments and would pass by running
    /// nothing: its oracle data missing is a failure.
    @Test func kernelTreesArePresent() {
        #expect(!KernelTrees.all.isEmpty, "no kernel module trees: run scripts/kernel-tree.sh amd64 arm64 (scripts/test.sh does)")
    }

    @Test(arguments: KernelTrees.all)
    func lookupAgreesWithLibkmod(tree: String) throws {
        let text = try ModuleTreeText(directory: tree)
        let kmod = try KmodContext(modulesDirectory: tree, configPaths: [])
        let lookup = AliasLookup(index: AliasIndex(tree: text), config: try LookupConfig(kmod))
        // A seed that is the same in every process (hashValue is seeded per process), so a
        // mismatch can be replayed; it is printed with them.
        let seed = KernelTrees.seed(tree)
        let inputs = Self.corpus(text, seed: seed)

        var mismatches = [String](), matched = 0, compared = 0
        for input in inputs {
            let theirs: String
            do {
                let mods = try kmod.lookup(input)
                theirs = mods.joined(separator: ",")
                if !mods.isEmpty { matched += 1 }
            } catch {
                theirs = "error \(error.code)"
            }
            let ours: String
            switch lookup.lookup(input) {
            case .success(let m): ours = m.modules.joined(separator: ",")
            case .failure(.invalidAlias): ours = "error \(EINVAL)"
            case .failure(.nameTooLong): ours = "error \(ENAMETOOLONG)"
            }
            compared += 1
            if ours != theirs, mismatches.count < 20 {
                mismatches.append("\(String(decoding: input, as: UTF8.self)): libkmod [\(theirs)] autoload [\(ours)]")
            }
        }
        #expect(mismatches.isEmpty, "\(KernelTrees.label(tree)) (corpus seed \(seed)): \(mismatches.joined(separator: "\n"))")
        #expect(compared >= 100_000)
        #expect(matched >= compared / 4, "the corpus should mostly hit patterns")
        print("\(KernelTrees.label(tree)): \(compared) lookups compared with libkmod, \(matched) matched, \(mismatches.count) mismatches")
    }

    static func corpus(_ text: ModuleTreeText, seed: UInt64) -> [[UInt8]] {
        var c = AliasCorpus(seed: seed)
        var inputs = [[UInt8]]()
        for p in text.aliases {
            for style in 0..<4 { inputs.append(c.instance(of: p.pattern, style: style)) }
            inputs.append(c.nearMiss(inputs[inputs.count - 1 - c.rng.below(4)]))
            // The pattern spelled literally: libkmod's trie walk also follows wildcard bytes.
            if c.rng.below(2) == 0 { inputs.append(p.pattern) } else { inputs.append(c.nearMiss(p.pattern)) }
        }
        for p in text.symbols {
            inputs.append(p.pattern)
            if c.rng.below(4) == 0 { inputs.append(c.nearMiss(p.pattern)) }
        }
        for m in text.modules + text.builtinModules {
            inputs.append(m)
            inputs.append(m.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 })
            inputs.append(c.nearMiss(m))
        }
        for p in text.builtinAliases {
            for style in 0..<4 { inputs.append(c.instance(of: p.pattern, style: style)) }
            inputs.append(c.nearMiss(p.pattern))
        }
        inputs += Self.machineModaliases()
        inputs += ["", "[", "]", "a[b]c", "pci:v[0-9]*", "symbol:", "usb:v*", "*", "?", "[!a]"].map { Array($0.utf8) }
        inputs.append(Array(repeating: UInt8(ascii: "a"), count: 5000))
        inputs.append(Array("pci:v00008086d".utf8) + Array(repeating: UInt8(ascii: "0"), count: 4100))
        return inputs
    }

    /// This machine's own devices: the MODALIAS= line of every uevent file under /sys/devices
    /// (what udev sees), plus every `modalias` file.
    static func machineModaliases(modaliasFiles: Bool = true) -> [[UInt8]] {
        var out = [[UInt8]]()
        guard let e = FileManager.default.enumerator(atPath: "/sys/devices") else { return out }
        while let path = e.nextObject() as? String {
            if path.hasSuffix("/uevent"), let d = FileManager.default.contents(atPath: "/sys/devices/" + path) {
                for line in d.split(separator: 10) where line.starts(with: Array("MODALIAS=".utf8)) {
                    out.append(Array(line.dropFirst(9)))
                }
            } else if modaliasFiles, path.hasSuffix("/modalias"),
                      let d = FileManager.default.contents(atPath: "/sys/devices/" + path) {
                out.append(Array(d.prefix { $0 != 10 }))
            }
        }
        return out
    }
}
