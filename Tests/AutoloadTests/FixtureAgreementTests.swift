import Foundation
import Testing
import AliasMatcher
import Autoload

/// The hand-made fixture trees cover what real trees rarely show: modprobe.d aliases that
/// shadow indexes, install/remove commands, builtin aliases whose order follows libkmod's
/// index walk, duplicate patterns. libkmod, on the same depmod output and config, is the oracle.
@Suite struct FixtureAgreementTests {
    static let inputs: [String] = [
        "ethX", "acme-net-1", "acme-net-2", "acme_net_2", "acme:core", "acme:idax", "acme:id?x", "acme:idxx",
        "acme:foo-bar1", "acme:foo_bar3", "acme:foo-bar+", "acme:foo-bar-", "acme:builtin-3", "acme:builtin_3",
        "pci:v00001234d00001000sv00000000sd00000000bc02sc00i00", "pci:v00001234d00002000sv0sd0bc0sc0i0",
        "pci:v00001234d00003000sv1sd1bc1sc1i1", "pci:v00005678d00000001sv0sd0bc0sc0i0",
        "pci:v00005678d00000002sv0sd0bc0sc0i0", "pci:v00005678d00000099sv0sd0bc0sc0i0",
        "acme_wifi", "acme-wifi", "acme_hex", "acme_eth", "acme-eth", "acme_bi", "acme-bi2", "crc_builtin",
        "symbol:acme_lib_crc", "symbol:acme_core_register", "symbol:acme_core_unregister", "symbol:nothing",
        "late_mod", "zz_netclass", "hub_root", "foo_bar", "foo-bar", "acme:[x]", "acme:]", "acme:[",
    ]

    @Test(arguments: [true, false])
    func lookupAgreesWithLibkmod(withConfig: Bool) throws {
        let tree = try FixtureTree.build("basic")
        let config = withConfig ? [tree.configDir] : []
        let kmod = try KmodContext(modulesDirectory: tree.modulesDir, configPaths: config)
        let text = try ModuleTreeText(directory: tree.modulesDir)
        let lookup = AliasLookup(index: AliasIndex(tree: text), config: try LookupConfig(kmod))
        #expect(lookup.config.aliases.isEmpty != withConfig)

        var inputs = Self.inputs.map { Array($0.utf8) }
        var corpus = AliasCorpus(seed: 42)
        for p in text.aliases + text.builtinAliases + text.symbols {
            for style in 0..<8 { inputs.append(corpus.instance(of: p.pattern, style: style)) }
            for _ in 0..<4 { inputs.append(corpus.nearMiss(p.pattern)) }
        }
        for a in lookup.config.aliases {
            for style in 0..<8 { inputs.append(corpus.instance(of: Array(a.pattern.utf8), style: style)) }
        }
        var mismatches = [String](), multi = 0
        for input in inputs {
            let theirs: String
            do {
                let m = try kmod.lookup(input)
                if m.count > 1 { multi += 1 }
                theirs = m.joined(separator: ",")
            } catch { theirs = "error \(error.code)" }
            let ours: String
            switch lookup.lookup(input) {
            case .success(let m): ours = m.modules.joined(separator: ",")
            case .failure(.invalidAlias): ours = "error \(EINVAL)"
            case .failure(.nameTooLong): ours = "error \(ENAMETOOLONG)"
            }
            if ours != theirs { mismatches.append("\(String(decoding: input, as: UTF8.self)): libkmod [\(theirs)] autoload [\(ours)]") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        #expect(multi > 10, "the fixture must exercise result order")
    }

    /// The order of several builtin aliases is libkmod's index walk, not file order.
    @Test func builtinAliasOrderFollowsLibkmod() throws {
        let tree = try FixtureTree.build("basic")
        let kmod = try KmodContext(modulesDirectory: tree.modulesDir, configPaths: [])
        let lookup = AliasLookup(index: try AliasIndex(directory: tree.modulesDir))
        let input = "pci:v00005678d00000001sv0sd0bc0sc0i0"
        let expected = try kmod.lookup(input)
        #expect(expected.count == 2)
        #expect(try lookup.lookup(input).get() == LookupMatch(source: .builtinAlias, modules: expected))
    }
}
