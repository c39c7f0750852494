import Foundation
import Testing
@testable import Autoload

/// KmodContext against Tests/Fixtures/basic, whose indexes depmod wrote.
/// Expected values are what libkmod 30 returns (cross-checked with
/// `modprobe -d ROOT -S VERSION -C modprobe.d --show-depends`); see
/// Tests/Fixtures/basic/README.md for what each module covers.
@Suite struct KmodContextTests {
    let tree: (root: String, version: String, modulesDir: String, configDir: String)

    init() throws {
        tree = try FixtureTree.build("basic")
    }

    /// modprobe.d of the fixture; `[]` means no configuration at all.
    func context(config: [String]? = nil) throws -> KmodContext {
        try KmodContext(modulesDirectory: tree.modulesDir, configPaths: config ?? [tree.configDir])
    }

    // MARK: lookups against the indexes

    @Test func modulesOrderDecidesPriorityNotAlphabet() throws {
        let kmod = try context()
        // zz_netclass (class wildcard) leads because it is first in
        // modules.order; acme_eth matches twice but is listed once; late_mod
        // is not in modules.order at all and comes last.
        #expect(try kmod.lookup("pci:v00001234d00001000sv00000000sd00000000bc02sc00i00")
            == ["zz_netclass", "acme_dup", "acme_generic", "acme_eth", "late_mod"])
        // The same exact key in two modules.
        #expect(try kmod.lookup("acme:core") == ["acme_dup", "acme_core"])
    }

    @Test(arguments: [
        // '[a-f]*' and '[!0-9]x' both match: one module, two patterns.
        ("acme:idax", ["acme_not_x", "acme_hex"]),
        ("acme:idzx", ["acme_not_x", "acme_hex"]),
        ("acme:idbq", ["acme_hex"]),
        ("acme:id1x", ["acme_not_x"]),
        ("acme:nay", ["acme_not_x"]),
        ("acme:nxy", []),
        // '-' outside brackets is '_' on both sides.
        ("acme:foo-barbaz", ["foo_bar"]),
        ("acme:foo_bar", ["foo_bar"]),
        ("acme:port2", ["foo_bar"]),
        ("acme:port4", []),
        // '[+-]' keeps its '-', but a lookup key's '-' is already '_'.
        ("acme:sep+", ["foo_bar"]),
        ("acme:sep-", []),
        ("usb:v1D6Bp0003d0100dc09dsc00dp03ic09isc00ip00in00", ["hub_root"]),
        ("usb:v1D6Bp0010d0100dc09dsc00dp03ic09isc00ip00in00", []),
        ("usb:v1234p5678d0001dc00dsc00dp00ic00isc00ip00in00", ["acme_wifi"]),
        ("pci:v00001234d00004000sv00000000sd00000000bc03sc00i00", ["acme_generic", "acme_wifi"]),
        ("pci:v0000ABCDd00000001sv00000000sd00000000bc02sc00i00", ["zz_netclass"]),
        ("acme:nothing", []),
    ] as [(String, [String])])
    func aliasPatterns(alias: String, expected: [String]) throws {
        #expect(try context(config: []).lookup(alias) == expected)
    }

    @Test(arguments: [
        ("acme-eth", ["acme_eth"]),
        ("acme_lib", ["acme_lib"]),
        ("late_mod", ["late_mod"]),
        ("symbol:acme_core_register", ["acme_core"]),
        ("symbol:acme_lib_crc", ["acme_lib"]),
    ] as [(String, [String])])
    func namesAndSymbols(alias: String, expected: [String]) throws {
        #expect(try context(config: []).lookup(alias) == expected)
    }

    @Test func builtinModulesAndAliases() throws {
        let kmod = try context(config: [])
        #expect(try kmod.lookup("acme_bi") == ["acme_bi"])
        #expect(try kmod.lookup("crc_builtin") == ["crc_builtin"])
        #expect(try kmod.lookup("acme:builtin-3") == ["acme_bi2"])
        // Builtin aliases all have priority 0, so the order is an artifact
        // of the index walk (later-visited first), not modules.order.
        #expect(try kmod.lookup("pci:v00005678d00000001sv00000000sd00000000bc03sc00i00")
            == ["acme_bi", "acme_bi2"])
        #expect(try kmod.lookup("pci:v00005678d00000002sv00000000sd00000000bc03sc00i00")
            == ["acme_bi2", "acme_bi"])
        // acme_bi also claims 1234:2000, but modules.alias is searched first
        // and acme_generic matches there, so the builtin never shows up.
        #expect(try kmod.lookup("pci:v00001234d00002000sv00000000sd00000000bc03sc00i00")
            == ["acme_generic"])
    }

    @Test func rawBytesLookup() throws {
        let kmod = try context(config: [])
        #expect(try kmod.lookup(Array("acme:idax".utf8)) == ["acme_not_x", "acme_hex"])
        // Not UTF-8: 0xFF is one character to fnmatch in the C locale.
        #expect(try kmod.lookup(Array("acme:id".utf8) + [0xFF, UInt8(ascii: "x")])
            == ["acme_not_x", "acme_hex"])
        #expect(throws: KmodError(function: "kmod_module_new_from_lookup", code: EINVAL,
                                  subject: "acme:id\u{0}x")) {
            try kmod.lookup(Array("acme:id".utf8) + [0, UInt8(ascii: "x")])
        }
    }

    @Test(arguments: ["acme:x]", "acme:[x"])
    func unmatchedBracketIsInvalid(alias: String) throws {
        let kmod = try context(config: [])
        #expect(throws: KmodError(function: "kmod_module_new_from_lookup", code: EINVAL, subject: alias)) {
            try kmod.lookup(alias)
        }
    }

    // MARK: modprobe.d

    @Test func configAliasesShadowTheIndexes() throws {
        let withConfig = try context()
        let without = try context(config: [])
        let device = "pci:v00001234d00003000sv00000000sd00000000bc03sc00i00"
        #expect(try withConfig.lookup(device) == ["acme_wifi"])
        #expect(try without.lookup(device) == ["acme_generic"])
        // Every matching config alias, in file order; blacklist not applied.
        #expect(try withConfig.lookup("acme-net-2") == ["acme_eth", "foo_bar"])
        #expect(try withConfig.lookup("acme_net_7") == ["acme_eth"])
        #expect(try withConfig.lookup("ethX") == ["acme_eth"])
        #expect(try without.lookup("ethX") == [])
    }

    @Test func configEntriesComeBackInFileOrder() throws {
        let kmod = try context()
        #expect(try kmod.configAliases() == [
            ConfigAlias(pattern: "ethX", module: "acme_eth"),
            ConfigAlias(pattern: "acme_net_*", module: "acme_eth"),
            ConfigAlias(pattern: "pci:v00001234d00003000sv*sd*bc*sc*i*", module: "acme_wifi"),
            ConfigAlias(pattern: "acme_net_2", module: "foo_bar"),
        ])
        #expect(try kmod.configInstallCommands() == [
            ConfigCommand(module: "acme_wifi", command: "/bin/echo installing acme_wifi"),
            ConfigCommand(module: "acme_eth",
                          command: "/sbin/modprobe --ignore-install acme_eth && /bin/echo acme_eth up"),
            ConfigCommand(module: "acme_hex", command: "/bin/echo installing acme_hex"),
        ])
        #expect(try kmod.configRemoveCommands() == [
            ConfigCommand(module: "acme_wifi", command: "/bin/echo removing acme_wifi"),
        ])
        // /proc/cmdline can append more (modprobe.blacklist=, mod.param=),
        // after the files; only the files' part is ours to check.
        #expect(try kmod.configBlacklist().prefix(2) == ["zz_netclass", "foo_bar"])
        #expect(try kmod.configOptions().prefix(2) == [
            ConfigOptions(module: "acme_eth", options: "debug=1 mtu=9000"),
            ConfigOptions(module: "acme_eth", options: "speed=100"),
        ])
        // modules.softdep sorts after "30-policy.conf" by file name.
        #expect(try kmod.configSoftdeps() == [
            ConfigSoftdep(module: "acme_eth", pre: ["acme_lib"], post: ["foo_bar"]),
            ConfigSoftdep(module: "hub_root", pre: ["acme-core"], post: []),
            ConfigSoftdep(module: "acme_wifi", pre: ["acme_lib"], post: []),
        ])
    }

    @Test func noConfigStillReadsModulesSoftdep() throws {
        for config in [[], ["/nonexistent/modprobe.d"]] {
            let kmod = try context(config: config)
            #expect(try kmod.configAliases() == [])
            #expect(try kmod.configInstallCommands() == [])
            #expect(try kmod.configSoftdeps() == [
                ConfigSoftdep(module: "acme_wifi", pre: ["acme_lib"], post: []),
            ])
        }
    }

    @Test func configFilesSortByNameAcrossDirectoriesAndFirstNameWins() throws {
        let extra = FileManager.default.temporaryDirectory
            .appendingPathComponent("autoload-kmod-config-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: extra) }
        try "alias early acme_lib\n".write(to: extra.appendingPathComponent("05-early.conf"),
                                           atomically: true, encoding: .utf8)
        // Same name as a file in the fixture's directory, which is listed
        // first, so this one is ignored.
        try "alias shadowed acme_lib\n".write(to: extra.appendingPathComponent("10-aliases.conf"),
                                              atomically: true, encoding: .utf8)

        let kmod = try context(config: [tree.configDir, extra.path])
        let patterns = try kmod.configAliases().map(\.pattern)
        #expect(patterns.first == "early")
        #expect(!patterns.contains("shadowed"))
        #expect(try kmod.lookup("early") == ["acme_lib"])

        // A single file works as well as a directory (like modprobe -C).
        let single = try context(config: [tree.configDir + "/30-policy.conf"])
        #expect(try single.configAliases() == [])
        #expect(try single.configBlacklist().prefix(2) == ["zz_netclass", "foo_bar"])
    }

    // MARK: context lifecycle and errors

    @Test func resourcesAndDirectory() throws {
        let kmod = try context()
        #expect(kmod.modulesDirectory == tree.modulesDir)
        // #expect cannot decompose a call on a noncopyable receiver.
        let current = kmod.resourcesAreCurrent()
        #expect(current)
        kmod.unloadResources()
        // Lookups still work without the mmapped indexes, just slower.
        #expect(try kmod.lookup("acme:core") == ["acme_dup", "acme_core"])
        try kmod.loadResources()
        #expect(try kmod.lookup("acme:core") == ["acme_dup", "acme_core"])
    }

    /// A missing or empty modules directory is an error from init (not an
    /// empty lookup result): kmod_load_resources needs modules.dep.bin &co.
    @Test func missingIndexesFailInit() throws {
        let missing = "/nonexistent/lib/modules/0.0.0"
        #expect(throws: KmodError(function: "kmod_load_resources", code: ENOENT, subject: missing)) {
            _ = try KmodContext(modulesDirectory: missing, configPaths: [])
        }
        let empty = FileManager.default.temporaryDirectory
            .appendingPathComponent("autoload-kmod-empty-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: KmodError(function: "kmod_load_resources", code: ENOENT, subject: empty.path)) {
            _ = try KmodContext(modulesDirectory: empty.path, configPaths: [])
        }
    }

    /// kmod_load_resources needs modules.{dep,alias,symbols,builtin}.bin;
    /// only modules.builtin.alias.bin may be missing.
    @Test(arguments: [
        ("modules.builtin.alias.bin", true),
        ("modules.builtin.bin", false),
        ("modules.symbols.bin", false),
        ("modules.alias.bin", false),
        ("modules.dep.bin", false),
    ])
    func requiredIndexFiles(removed: String, stillLoads: Bool) throws {
        let copy = FileManager.default.temporaryDirectory
            .appendingPathComponent("autoload-kmod-partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.copyItem(atPath: tree.modulesDir, toPath: copy.path)
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.removeItem(at: copy.appendingPathComponent(removed))
        if stillLoads {
            let kmod = try KmodContext(modulesDirectory: copy.path, configPaths: [])
            #expect(try kmod.lookup("acme:core") == ["acme_dup", "acme_core"])
            // Without the builtin alias index, builtin aliases just vanish.
            #expect(try kmod.lookup("acme:builtin-3") == [])
        } else {
            #expect(throws: KmodError(function: "kmod_load_resources", code: ENOENT, subject: copy.path)) {
                _ = try KmodContext(modulesDirectory: copy.path, configPaths: [])
            }
        }
    }

    @Test func errorDescription() {
        #expect(KmodError(function: "kmod_module_new_from_lookup", code: -EINVAL, subject: "pci:v1").description
            == "kmod_module_new_from_lookup(pci:v1): Invalid argument")
        #expect(KmodError(function: "kmod_new", code: ENOMEM).description == "kmod_new: Cannot allocate memory")
    }
}

@Suite struct SoftdepValueTests {
    @Test(arguments: [
        // libkmod's own formatting: no space before "post:".
        ("pre: a bpost: c d", ["a", "b"], ["c", "d"]),
        ("pre: a", ["a"], []),
        ("post: c", [], ["c"]),
        ("pre: xpost_ypost: z", ["xpost_y"], ["z"]),
        ("", [], []),
    ] as [(String, [String], [String])])
    func parse(value: String, pre: [String], post: [String]) {
        #expect(SoftdepValue.parse(module: "m", value) == ConfigSoftdep(module: "m", pre: pre, post: post))
    }
}
