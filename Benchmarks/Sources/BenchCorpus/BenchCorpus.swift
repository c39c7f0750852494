import Foundation

/// A real Debian module tree, as `scripts/kernel-tree.sh` prepares it.
public struct BenchTree: Sendable, CustomStringConvertible {
    public var arch: String
    public var kernel: String
    public var root: String
    public var modulesDirectory: String { root + "/lib/modules/" + kernel }
    public var description: String { "\(arch) \(kernel)" }
}

/// The MODALIAS families the benchmarks compare, and which tree each comes from.
public enum BenchFamily: String, CaseIterable, Sendable {
    case pci, usb, of, acpi, dmi, hid, input, cpu, names

    /// `of:` aliases are rare on amd64; arm64 is where device trees live.
    public var arch: String { self == .of ? "arm64" : "amd64" }
}

public enum BenchSetupError: Error, CustomStringConvertible {
    case command(String, Int32, String)
    public var description: String {
        switch self {
        case .command(let c, let s, let e): return "\(c): exit \(s)\n\(e)"
        }
    }
}

/// Finds the trees and makes the corpora, both through the repository's scripts, so every
/// benchmark (and scripts/bench/resolve-process.sh) asks the same strings.
///
/// Environment: AUTOLOAD_BENCH_SERIES `6.12` (default) or `6.1`: which Debian kernel;
/// AUTOLOAD_BENCH_COUNT strings per family (default 4000); AUTOLOAD_REPO the repository
/// (default: found from this source file's path).
public enum BenchSetup {
    public static var repository: String {
        if let r = ProcessInfo.processInfo.environment["AUTOLOAD_REPO"], !r.isEmpty { return r }
        // .../Benchmarks/Sources/BenchCorpus/BenchCorpus.swift
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }

    public static var series: String {
        ProcessInfo.processInfo.environment["AUTOLOAD_BENCH_SERIES"] ?? "6.12"
    }

    public static var countPerFamily: Int {
        ProcessInfo.processInfo.environment["AUTOLOAD_BENCH_COUNT"].flatMap(Int.init) ?? 4000
    }

    /// Runs a command, returning its standard output.
    static func run(_ argv: [String]) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        p.currentDirectoryURL = URL(fileURLWithPath: repository)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read before waiting: a corpus is larger than a pipe's buffer.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw BenchSetupError.command(argv.joined(separator: " "), p.terminationStatus,
                                          String(decoding: errData, as: UTF8.self))
        }
        return data
    }

    nonisolated(unsafe) private static var trees: [String: BenchTree] = [:]

    /// `scripts/kernel-tree.sh ARCH[:6.12]` (cached by the script; instant once prepared).
    public static func tree(arch: String) throws -> BenchTree {
        if let t = trees[arch] { return t }
        let spec = series == "6.1" ? arch : "\(arch):\(series)"
        let line = String(decoding: try run([repository + "/scripts/kernel-tree.sh", spec]), as: UTF8.self)
        let f = line.split(separator: "\n").last.map { $0.split(separator: "\t").map(String.init) } ?? []
        guard f.count == 3 else { throw BenchSetupError.command("kernel-tree.sh \(spec)", 0, "unexpected output: \(line)") }
        // The script echoes the spec (`amd64:6.12`) as the arch; keep the plain arch.
        let t = BenchTree(arch: arch, kernel: f[1], root: f[2])
        trees[arch] = t
        return t
    }

    public static func tree(for family: BenchFamily) throws -> BenchTree { try tree(arch: family.arch) }

    /// `scripts/bench/make-corpus.py --family F`: one MODALIAS per line, as bytes.
    public static func corpus(_ family: BenchFamily, count: Int? = nil) throws -> [[UInt8]] {
        let t = try tree(for: family)
        let data = try run(["python3", repository + "/scripts/bench/make-corpus.py", "--tree", t.modulesDirectory,
                            "--family", family.rawValue, "--count", String(count ?? countPerFamily)])
        return lines(Array(data))
    }

    public static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        var out = [[UInt8]]()
        var start = 0
        for (i, b) in bytes.enumerated() where b == 10 {
            out.append(Array(bytes[start..<i]))
            start = i + 1
        }
        if start < bytes.count { out.append(Array(bytes[start...])) }
        return out
    }
}

/// Nearest-rank statistics over a handful of timed runs.
public enum Stats {
    public static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    public static func minimum(_ xs: [Double]) -> Double { xs.min() ?? .nan }
}

/// Nanoseconds since an arbitrary point (CLOCK_MONOTONIC).
@inline(__always)
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// CPU time this thread has used (CLOCK_THREAD_CPUTIME_ID), in nanoseconds: unlike wall
/// time, not inflated while other processes hold the CPU.
@inline(__always)
public func threadCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
