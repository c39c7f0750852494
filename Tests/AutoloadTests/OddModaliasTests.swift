import Foundation
import Glibc
import Testing
import Autoload

/// MODALIAS values a device (or an attacker with a USB stick) can present: longer than 4 KiB,
/// not UTF-8, shell metacharacters, glob characters. Through every way `autoloadd` takes one
/// — `resolve -` (stdin lines), `resolve ARG`, `modalias --dry-run` with $MODALIAS and with an
/// argument — the bytes reach the lookup unchanged and the answer is libkmod's
/// (`kmod_module_new_from_lookup` on the same tree and modprobe.d). Nothing goes through a
/// shell: metacharacters that would create a file if one ever did must leave none behind.
@Suite struct OddModaliasTests {
    struct Setup {
        let tree: (root: String, version: String, modulesDir: String, configDir: String)
        let scratch: TempDir
        /// Would exist if any input were ever run by a shell.
        var sentinel: String { scratch.path + "/pwned" }

        init() throws {
            tree = try FixtureTree.build("basic")
            scratch = try TempDir("autoload-oddmodalias")
        }

        func options() -> [[UInt8]] {
            ["--modules-dir", tree.modulesDir, "--config", tree.configDir, "--cache-dir", scratch.path + "/cache"]
                .map { Array($0.utf8) }
        }

        /// libkmod's answer, or nil when it refuses the input (EINVAL, ENAMETOOLONG).
        func libkmod(_ kmod: borrowing KmodContext, _ input: [UInt8]) -> [String]? {
            try? kmod.lookup(input)
        }
    }

    static func inputs(sentinel: String) -> [[UInt8]] {
        var out: [[UInt8]] = []
        func add(_ s: String) { out.append(Array(s.utf8)) }
        func pad(_ s: String, to n: Int, with c: UInt8 = UInt8(ascii: "a")) {
            out.append(Array(s.utf8) + [UInt8](repeating: c, count: n - s.utf8.count))
        }
        // Longer than 4 KiB, and around libkmod's 4095-byte cut (PATH_MAX - 1).
        for n in [4094, 4095, 4096, 4097, 5000, 70_000] { pad("acme:foo-bar", to: n) }
        pad("pci:v00001234d00001000sv0sd0bc0sc0i0", to: 8192, with: UInt8(ascii: "x"))
        pad("acme:id", to: 4095, with: UInt8(ascii: "b"))
        pad("acme:port2", to: 4200, with: UInt8(ascii: "-"))
        pad("acme-net-", to: 4200)             // a modprobe.d alias: module + alias past PATH_MAX
        pad("acme:core", to: 4096, with: UInt8(ascii: "]"))   // the stray ']' is past the cut
        // Not UTF-8.
        out += [Array("acme:id".utf8) + [0xff] + Array("x".utf8), Array("acme:foo-bar".utf8) + [0x80, 0xc3, 0x28],
                Array("acme:n".utf8) + [0xe9] + Array("y".utf8), [0xff, 0xfe], Array("pci:v".utf8) + [0xc0, 0xaf],
                Array("acme:id".utf8) + [0xed, 0xa0, 0x80] + Array("x".utf8), Array("acme:sep".utf8) + [0xad]]
        // Shell metacharacters: each would create the sentinel under sh -c.
        for s in ["acme:foo-bar;touch \(sentinel)", "acme:foo-bar$(touch \(sentinel))", "`touch \(sentinel)`",
                  "acme:foo-bar|touch \(sentinel)", "acme:core&&touch \(sentinel)", "acme:core>\(sentinel)",
                  "acme:foo-bar'\"\\ $HOME ~ # !", "acme:core\ttab"] { add(s) }
        // Glob characters inside the string: matched as the bytes they are (libkmod's trie
        // walk quirk included), stray brackets refused as libkmod refuses them.
        for s in ["acme:id?x", "acme:id*", "acme:idx*", "acme:[x]", "acme:[", "acme:]", "*", "?", "[", "[]",
                  "acme:port[0-3]", "acme:foo-bar*", "acme:n[^x]y", "acme:sep[+-]", "acme:id[a-f]a", "acme-net-*"] { add(s) }
        return out
    }

    /// Lines a `resolve` prints: the input's bytes, a tab, the modules.
    static func resolveLine(_ input: [UInt8], _ modules: [String]?) -> [UInt8] {
        input + [9] + Array((modules ?? []).joined(separator: ",").utf8)
    }

    @Test func resolveFromStdinTakesBytes() throws {
        let s = try Setup()
        defer { s.scratch.remove() }
        let kmod = try KmodContext(modulesDirectory: s.tree.modulesDir, configPaths: [s.tree.configDir])
        let inputs = Self.inputs(sentinel: s.sentinel)
        let run = try CLIRun.autoloadd([Array("resolve".utf8)] + s.options() + [Array("-".utf8)],
                                       stdin: inputs.flatMap { $0 + [10] })
        let expected = inputs.map { Self.resolveLine($0, s.libkmod(kmod, $0)) }
        #expect(run.status == 1, "some inputs are invalid for libkmod: exit 1 (\(run.status))")
        #expect(run.lines.count == inputs.count)
        for (i, (got, want)) in zip(run.lines, expected).enumerated() where got != want {
            Issue.record("input \(i) (\(inputs[i].count) bytes, \(inputs[i].prefix(40))): got \(got.suffix(80)), libkmod \(want.suffix(80))")
        }
        #expect(!FileManager.default.fileExists(atPath: s.sentinel))
    }

    @Test func resolveArgumentsTakeBytes() throws {
        let s = try Setup()
        defer { s.scratch.remove() }
        let kmod = try KmodContext(modulesDirectory: s.tree.modulesDir, configPaths: [s.tree.configDir])
        // Newlines are possible in an argument (not on a stdin line); `--` so '-' starts no option.
        let inputs = Self.inputs(sentinel: s.sentinel) + [Array("acme:core\nacme:idax".utf8), Array("-acme".utf8)]
        for input in inputs {
            let run = try CLIRun.autoloadd([Array("resolve".utf8)] + s.options() + [Array("--".utf8), input])
            let want = s.libkmod(kmod, input)
            #expect(run.status == (want == nil ? 1 : 0), "\(input.prefix(40)): \(run.stderr)")
            #expect(run.stdout == Self.resolveLine(input, want) + [10],
                    "\(input.count) bytes \(input.prefix(40)): got \(run.stdout.suffix(80))")
        }
        #expect(!FileManager.default.fileExists(atPath: s.sentinel))
    }

    /// `modalias --dry-run`, the udev RUN helper: $MODALIAS (how udev passes it) and an
    /// argument must plan exactly libkmod's modules, in libkmod's order; an input libkmod
    /// refuses is exit 1 with nothing planned.
    @Test(arguments: [true, false])
    func modaliasDryRunTakesBytes(fromEnvironment: Bool) throws {
        let s = try Setup()
        defer { s.scratch.remove() }
        let kmod = try KmodContext(modulesDirectory: s.tree.modulesDir, configPaths: [s.tree.configDir])
        let loaded = Set(((try? String(contentsOfFile: "/proc/modules", encoding: .utf8)) ?? "")
            .split(separator: "\n").map { String($0.prefix { $0 != " " }) })
        let inputs = Self.inputs(sentinel: s.sentinel) + [Array("acme:core\nacme:idax".utf8)]
        for input in inputs {
            var args = [Array("modalias".utf8), Array("--dry-run".utf8)] + s.options()
            if !fromEnvironment { args += [Array("--".utf8), input] }
            let run = try CLIRun.autoloadd(args, environment: fromEnvironment ? ["MODALIAS": input] : [:])
            let want = s.libkmod(kmod, input)
            #expect(run.status == (want == nil ? 1 : 0), "\(input.prefix(40)): \(run.stderr)")
            let planned = run.lines.map { line in
                String(decoding: line, as: UTF8.self).split(separator: "\t").dropFirst().first.map(String.init) ?? "?"
            }
            #expect(planned == (want ?? []), "\(input.count) bytes \(input.prefix(40))")
            for line in run.lines.map({ String(decoding: $0, as: UTF8.self) }) {
                #expect(line.hasPrefix("would load\t") || line.hasPrefix("skip\t"), "\(line)")
                if line.hasPrefix("would load\t") { #expect(!loaded.contains(String(line.dropFirst(11)))) }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: s.sentinel))
    }
    /// `resolve --json`: every input comes back from an independent JSON decoder
    /// (JSONSerialization) as exactly its bytes: `modalias_hex` when present, else the
    /// `modalias` text's UTF-8. "ÿ" (C3 BF) and the lone byte FF stay two different values.
    @Test func jsonLosesNoByte() throws {
        let s = try Setup()
        defer { s.scratch.remove() }
        let inputs = Self.inputs(sentinel: s.sentinel) + [Array("acme:id\u{FF}x".utf8), Array("acme:id".utf8) + [0xFF] + Array("x".utf8)]
        let run = try CLIRun.autoloadd([Array("resolve".utf8), Array("--json".utf8)] + s.options() + [Array("-".utf8)],
                                       stdin: inputs.flatMap { $0 + [10] })
        #expect(run.lines.count == inputs.count)
        var decoded = Set<[UInt8]>()
        for (i, (line, input)) in zip(run.lines, inputs).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let text = object["modalias"] as? String else {
                Issue.record("input \(i): not a JSON object with a modalias: \(line.prefix(120))")
                continue
            }
            let bytes: [UInt8]
            if let hex = object["modalias_hex"] as? String {
                let digits = Array(hex.utf8)
                #expect(digits.count % 2 == 0 && !JSONTextOracle.isUTF8(input), "input \(i): hex beside valid UTF-8")
                bytes = stride(from: 0, to: digits.count - 1, by: 2).compactMap { UInt8(String(decoding: digits[$0...($0 + 1)], as: UTF8.self), radix: 16) }
            } else {
                bytes = Array(text.utf8)
            }
            #expect(bytes == input, "input \(i) (\(input.prefix(40))) decoded as \(bytes.prefix(40))")
            decoded.insert(bytes)
        }
        #expect(decoded.count == Set(inputs).count)
    }
}

/// Whether bytes are UTF-8, by Foundation's decoder (not the code under test).
enum JSONTextOracle {
    static func isUTF8(_ b: [UInt8]) -> Bool { String(data: Data(b), encoding: .utf8) != nil }
}
