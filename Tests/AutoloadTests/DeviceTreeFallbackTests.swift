import Foundation
import Testing
@testable import Autoload

/// The device-tree fallback on the arm64 trees' real aliases: I2C devices whose `i2c:`
/// MODALIAS matches nothing but whose OF_* fields name a compatible string a driver's `of:`
/// alias carries. The expected modules are libkmod's lookup of the string the kernel would
/// write (drivers/of/device.c: "of:N<name>T<type or (null)>C<compatible>..."), built here
/// from the same fields independently of the code under test.
@Suite struct DeviceTreeFallbackTests {
    static var arm64Trees: [String] { KernelTrees.all.filter { KernelTrees.label($0).hasPrefix("arm64") } }

    /// `alias PATTERN MODULE` lines of a tree's modules.alias with PATTERN's prefix.
    static func aliases(_ tree: String, prefix: String) throws -> [(pattern: String, module: String)] {
        try String(contentsOfFile: tree + "/modules.alias", encoding: .utf8).split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 3, f[0] == "alias", f[1].hasPrefix(prefix) else { return nil }
            return (String(f[1]), String(f[2]))
        }
    }

    struct Device {
        let name: String
        let modalias: String
        let compatible: String
        var waitingForSupplier = false
        var devpath: String { "/devices/platform/soc/i2c-0/\(name)" }
        var kernelForm: String { "of:NdevT(null)C" + compatible.replacingOccurrences(of: " ", with: "_") }
    }

    static func makeSysfs(_ devices: [Device]) throws -> TempDir {
        let dir = try TempDir("autoload-dt-sysfs")
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir.path + "/bus/i2c/devices", withIntermediateDirectories: true)
        for d in devices {
            let path = dir.path + d.devpath
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            try """
                DRIVER=
                OF_NAME=dev
                OF_FULLNAME=/soc/i2c@0/dev@\(d.name)
                OF_COMPATIBLE_0=\(d.compatible)
                OF_COMPATIBLE_N=1
                MODALIAS=\(d.modalias)

                """.write(toFile: path + "/uevent", atomically: true, encoding: .utf8)
            if d.waitingForSupplier { try "1\n".write(toFile: path + "/waiting_for_supplier", atomically: true, encoding: .utf8) }
            try fm.createSymbolicLink(atPath: dir.path + "/bus/i2c/devices/" + d.name,
                                      withDestinationPath: "../../.." + d.devpath)
        }
        return dir
    }

    @Test func unmatchedI2CDevicesLoadWhatTheirCompatibleStringsName() throws {
        let trees = Self.arm64Trees
        try #require(!trees.isEmpty, "no arm64 module tree (scripts/kernel-tree.sh arm64 arm64:6.12)")
        for tree in trees {
            // Plain compatible strings (no glob characters) from the tree's own of: aliases,
            // spread over the file: a fixed choice, so a failure replays.
            let plain = try Self.aliases(tree, prefix: "of:N*T*C").filter { !$0.pattern.dropFirst(8).contains { "*?[]".contains($0) } }
            guard plain.count >= 40 else {
                Issue.record("\(KernelTrees.label(tree)): only \(plain.count) plain of: aliases")
                continue
            }
            let step = plain.count / 8
            var devices = (0..<8).map { i in
                Device(name: "0-00\(10 + i)", modalias: "i2c:autoload-none-\(i)", compatible: String(plain[i * step].pattern.dropFirst(8)))
            }
            devices[0].waitingForSupplier = true
            // A device whose i2c: MODALIAS matches: the fallback must not add its compatible's module.
            let i2c = try #require(Self.aliases(tree, prefix: "i2c:").first { !$0.pattern.contains { "*?[]".contains($0) } })
            let matched = Device(name: "0-0050", modalias: i2c.pattern, compatible: devices[1].compatible)

            let kmod = try KmodContext(modulesDirectory: tree, configPaths: [])
            for d in devices { #expect(try kmod.lookup(d.modalias).isEmpty, "\(d.modalias) should match nothing") }
            let expectedFallback = Set(try devices.flatMap { try kmod.lookup($0.kernelForm) })
            let expectedMatched = Set(try kmod.lookup(matched.modalias))
            #expect(!expectedFallback.isEmpty && !expectedMatched.isEmpty)

            let sysfs = try Self.makeSysfs(devices + [matched])
            defer { sysfs.remove() }
            let config = try TempDir("autoload-dt-config")
            defer { config.remove() }
            func planned(_ extra: [String]) throws -> (modules: Set<String>, lines: [String]) {
                let run = try CLIRun.autoloadd((["coldplug", "--dry-run", "--explain", "--sysfs", sysfs.path, "--modules-dir", tree,
                                                 "--config", config.path, "--cache-dir", config.path + "/cache"] + extra).map { Array($0.utf8) })
                #expect(run.status == 0, "\(run.stderr)")
                let lines = run.lines.map { String(decoding: $0, as: UTF8.self) }
                return (Set(lines.filter { $0.hasPrefix("would load\t") }.map { String($0.dropFirst(11)).split(separator: "\t")[0] }.map(String.init)), lines)
            }
            let on = try planned([])
            #expect(on.modules == expectedFallback.union(expectedMatched), "\(KernelTrees.label(tree))")
            for d in devices where try !kmod.lookup(d.kernelForm).isEmpty {
                #expect(on.lines.contains("of-fallback\t\(d.kernelForm)\t\(d.modalias)"), "\(d.kernelForm) not explained")
            }
            #expect(!on.lines.contains { $0.hasPrefix("of-fallback\t") && $0.hasSuffix("\t" + matched.modalias) })
            #expect(on.lines.contains("waiting-for-supplier\t\(devices[0].devpath)"))
            let off = try planned(["--no-of-fallback"])
            #expect(off.modules == expectedMatched, "\(KernelTrees.label(tree)) --no-of-fallback")
            #expect(!off.lines.contains { $0.hasPrefix("of-fallback\t") })
            print("\(KernelTrees.label(tree)): device-tree fallback planned \(expectedFallback.sorted()) for 8 unmatched i2c: devices")
        }
    }
}
