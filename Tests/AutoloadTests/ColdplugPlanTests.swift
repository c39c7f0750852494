import LinuxSystem
import Foundation
import Testing
import AliasMatcher
import Autoload

/// `coldplug --dry-run` over this machine's real /sys and a real module tree plans exactly
/// the modules libkmod would load for those MODALIAS strings: libkmod's lookup, minus what
/// libkmod reports builtin or live, minus its blacklist (every MODALIAS lookup is an alias
/// lookup). The MODALIAS list comes from an independent walk (Foundation's enumerator over
/// the uevent files).
@Suite struct ColdplugPlanTests {
    @Test(arguments: KernelTrees.all.prefix(1))
    func dryRunPlanEqualsLibkmod(tree: String) throws {
        let kmod = try KmodContext(modulesDirectory: tree, configPaths: [])
        let lookup = AliasLookup(index: try AliasIndex(directory: tree), config: try LookupConfig(kmod))
        let blacklist = Set(try kmod.configBlacklist())

        let found = SysfsWalker(root: "/sys").walk()
        let independent = Set(KernelTreeAgreementTests.machineModaliases(modaliasFiles: false).filter { !$0.isEmpty })
        #expect(Set(found.modaliases) == independent)
        #expect(!found.modaliases.isEmpty)

        var plan = LoadPlan()
        plan.add(found.modaliases, lookup: lookup, blacklist: blacklist, loaded: ProcModules.names())

        var expected = Set<String>()
        for alias in independent {
            for name in (try? kmod.lookup(alias)) ?? [] where !blacklist.contains(name) {
                let state = kmod.initState(of: name)
                if state != .builtin && state != .live { expected.insert(name) }
            }
        }
        #expect(Set(plan.toLoad) == expected)
        #expect(plan.toLoad.count == Set(plan.toLoad).count, "each module planned once")
    }

    /// udev applies the blacklist to every load (`module_load_and_warn` passes
    /// KMOD_PROBE_APPLY_BLACKLIST), whether an alias or the module's name asked for it:
    /// libkmod's own dry-run probe with that flag is the oracle.
    @Test func blacklistAppliesToEveryLoadAsUdevs() throws {
        let tree = try FixtureTree.build("basic")
        let kmod = try KmodContext(modulesDirectory: tree.modulesDir, configPaths: [tree.configDir])
        let lookup = AliasLookup(index: try AliasIndex(directory: tree.modulesDir), config: try LookupConfig(kmod))
        let blacklist = Set(try kmod.configBlacklist())
        #expect(blacklist.contains("zz_netclass"))
        func oracle(_ name: String) throws -> PlannedModule.Decision {
            try kmod.probeInsert(name, applyBlacklist: true, dryRun: true) == .blacklisted ? .blacklisted : .load
        }
        var byAlias = LoadPlan()
        byAlias.add([Array("pci:v00001234d00001000sv00000000sd00000000bc02sc00i00".utf8)],
                    lookup: lookup, blacklist: blacklist, loaded: [])
        #expect(!byAlias.modules.isEmpty)
        for m in byAlias.modules { #expect(m.decision == (try oracle(m.name)), "\(m.name)") }
        #expect(byAlias.toLoad.contains("acme_generic"))
        var byName = LoadPlan()
        byName.add([Array("zz_netclass".utf8), Array("acme_generic".utf8)], lookup: lookup, blacklist: blacklist, loaded: [])
        #expect(try oracle("zz_netclass") == .blacklisted)
        #expect(byName.modules.first { $0.name == "zz_netclass" }?.decision == .blacklisted)
        #expect(byName.toLoad == ["acme_generic"])
    }
}

/// `--explain`'s "blacklisted by FILE:LINE": the fixture's own lines are the expected answer,
/// and every name libkmod reports as blacklisted must have an origin.
@Suite struct BlacklistOriginTests {
    @Test func namesTheFileAndLineOrTheCommandLine() throws {
        let tree = try FixtureTree.build("basic")
        let policy = tree.configDir + "/30-policy.conf"
        let noCmdline = "/nonexistent/cmdline"
        #expect(BlacklistOrigin.find("zz_netclass", configPaths: [tree.configDir], commandLine: noCmdline) == policy + ":1")
        // Written `foo-bar` in the file: libkmod's name is foo_bar.
        #expect(BlacklistOrigin.find("foo_bar", configPaths: [tree.configDir], commandLine: noCmdline) == policy + ":2")
        #expect(BlacklistOrigin.find("acme_generic", configPaths: [tree.configDir], commandLine: noCmdline) == nil)

        let cmdline = tree.configDir + "/../cmdline-\(getpid())"
        let f = fopen(cmdline, "w")!
        fputs("quiet modprobe.blacklist=acme-eth,other root=/dev/vda\n", f)
        fclose(f)
        defer { unlink(cmdline) }
        #expect(BlacklistOrigin.find("acme_eth", configPaths: [tree.configDir], commandLine: cmdline)
                == "kernel command line (modprobe.blacklist=)")

        let kmod = try KmodContext(modulesDirectory: tree.modulesDir, configPaths: [tree.configDir])
        for name in try kmod.configBlacklist() {
            // libkmod also reads this machine's /proc/cmdline: so does the search here.
            #expect(BlacklistOrigin.find(name, configPaths: [tree.configDir]) != nil, "\(name)")
        }
    }
}

/// 80-drivers.rules' named loads, matched against what systemd's rules say.
@Suite struct DriverLoadRuleTests {
    @Test func rulesMatchAsSystemdWritesThem() {
        let rules = DriverLoadRules.all
        func loads(_ subsystem: String?, _ kernel: String, _ env: [String: String] = [:]) -> [String] {
            rules.filter { (r: DriverLoadRule) in r.matches(subsystem: subsystem, kernel: kernel, environment: env) }.flatMap(\.modules)
        }
        #expect(loads("tifm", "tifm0", ["TIFM_CARD_TYPE": "SD"]) == ["tifm_sd"])
        #expect(loads("tifm", "tifm0", ["TIFM_CARD_TYPE": "MS"]) == ["tifm_ms"])
        #expect(loads("tifm", "tifm0").isEmpty)
        #expect(loads("memstick", "memstick0") == ["ms_block", "mspro_block"])
        #expect(loads("module", "parport_pc") == ["ppdev"])
        #expect(loads("mtd", "mtd3ro", ["MTD_FTL": "smartmedia"]) == ["sm_ftl"])
        #expect(loads("mtd", "mtd3", ["MTD_FTL": "smartmedia"]).isEmpty)
        #expect(loads("pci", "0000:00:01.0", ["MODALIAS": "pci:v1"]).isEmpty)
        #expect(loads("scsi", "0:0:0:0", ["DEVTYPE": "scsi_device"]) == ["sg"])
        #expect(loads("scsi", "host0", ["DEVTYPE": "scsi_host"]).isEmpty)
    }

    /// The installed udev rules are the oracle: every `kmod load NAME...` line of systemd's
    /// 80-drivers.rules and Debian's 80-debian-compat.rules (match keys and module names) is
    /// one of `DriverLoadRules.all`, and there is no rule they lack.
    @Test func rulesEqualTheInstalledUdevRules() throws {
        let files = ["/lib/udev/rules.d/80-drivers.rules", "/lib/udev/rules.d/80-debian-compat.rules"]
        var installed = Set<String>()
        for path in files {
            // The oracle must be there (.ci/run installs udev): without it nothing is compared.
            guard let f = fopen(path, "r") else {
                Issue.record("\(path) is missing: install udev, whose rules are this test's oracle")
                return
            }
            defer { fclose(f) }
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            while getline(&line, &capacity, f) > 0 {
                let text = String(cString: line!)
                guard let run = text.range(of: "RUN{builtin}+=\"kmod load ") else { continue }
                let names = text[run.upperBound...].prefix { $0 != "\"" }.split(separator: " ").map(String.init)
                guard !names.isEmpty else { continue }  // `kmod load` of $env{MODALIAS}
                var subsystem = "-", kernel = "-", env = [String]()
                for field in text[..<run.lowerBound].split(separator: ",") {
                    let f = field.trimmingCharacters(in: .whitespaces)
                    guard let eq = f.range(of: "==") else { continue }
                    let key = String(f[..<eq.lowerBound]), value = f[eq.upperBound...].trimmingCharacters(in: ["\""])
                    if key == "SUBSYSTEM" { subsystem = value }
                    else if key == "KERNEL" { kernel = value }
                    else if key.hasPrefix("ENV{") { env.append("\(key.dropFirst(4).dropLast())=\(value)") }
                }
                installed.insert("\(subsystem) \(kernel) \(env.sorted()) \(names)")
            }
            free(line)
        }
        let ours = Set(DriverLoadRules.all.map { (r: DriverLoadRule) in
            "\(r.subsystem ?? "-") \(r.kernel ?? "-") \(r.environment.map { "\($0.key)=\($0.value)" }.sorted()) \(r.modules)"
        })
        #expect(ours == installed)
    }
}
