// LookupRatio: libkmod's lookup and autoload's, timed in one process over the same
// corpus per MODALIAS family, and the cost of building and opening the compiled index.
//
//   swift run -c release LookupRatio [--runs N] [--budget SECONDS] [--families pci,usb,...] [--skip-index]
//
// Per family: a fresh libkmod context and a fresh AliasLookup each time one pass over the
// corpus ("cold": for autoload the lazy DFA starts empty, for libkmod the context's indexes
// are just mmapped), then both must return the same modules for every string, then N warm
// runs, alternating engines; a run repeats the corpus until it lasts at least 20 ms.
// Reported: median ns/lookup over the runs. --runs (default 15) is cut to as few as 3 for a
// family where libkmod's warm runs would take longer than --budget seconds (default 8):
// libkmod needs milliseconds per of: string. Timed with this thread's CPU time by default
// (--clock cpu), so other processes on the machine inflate the numbers less; --clock wall.
//
// libkmod is timed twice: through KmodContext.lookup (the Swift wrapper autoload uses:
// kmod_module_new_from_lookup, names to Strings, duplicates removed) and straight from C
// (CKmodLoop: the same call, kmod_module_get_name on each, unref), which is libkmod's floor.
// Both sides read the system's modprobe.d (libkmod's default), as `autoloadd resolve` does.
import AliasMatcher
import Autoload
import BenchCorpus
import CKmodLoop
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("LookupRatio: \(message)\n".data(using: .utf8)!)
    exit(1)
}

var runs = 15
var budget = 8.0
var families = BenchFamily.allCases
var indexTable = true
var cpuClock = true
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--runs": runs = args.popFirst().flatMap(Int.init) ?? runs
    case "--budget": budget = args.popFirst().flatMap(Double.init) ?? budget
    case "--families":
        families = (args.popFirst() ?? "").split(separator: ",").compactMap { BenchFamily(rawValue: String($0)) }
    case "--skip-index": indexTable = false
    case "--clock":
        switch args.popFirst() {
        case "wall": cpuClock = false
        case "cpu": cpuClock = true
        default: fail("--clock takes wall or cpu")
        }
    case "-h", "--help":
        print("usage: LookupRatio [--runs N] [--budget SECONDS] [--families pci,usb,of,acpi,dmi,hid,input,cpu,names] [--clock cpu|wall] [--skip-index]")
        exit(0)
    default:
        FileHandle.standardError.write("LookupRatio: unknown argument \(a)\n".data(using: .utf8)!)
        exit(2)
    }
}

/// Keeps results observable so no pass is optimized away.
nonisolated(unsafe) var sink = 0

@inline(never)
func passAutoload(_ lookup: AliasLookup, _ corpus: [[UInt8]]) -> Int {
    var n = 0
    for s in corpus {
        switch lookup.lookup(s) {
        case .success(let m): n &+= m.modules.count
        case .failure: n &+= 1
        }
    }
    return n
}

@inline(never)
func passKmod(_ kmod: borrowing KmodContext, _ corpus: [[UInt8]]) -> Int {
    var n = 0
    for s in corpus {
        do { n &+= try kmod.lookup(s).count } catch { n &+= 1 }
    }
    return n
}

@inline(never)
func passC(_ ctx: UnsafeMutableRawPointer, _ corpus: [[CChar]]) -> Int {
    var n = 0
    var bytes = 0
    for s in corpus {
        n &+= Int(s.withUnsafeBufferPointer { bench_kmod_lookup(ctx, $0.baseAddress, &bytes) })
    }
    return n &+ bytes
}

/// The clock lookups are timed with (--clock): this thread's CPU time, or wall time.
nonisolated(unsafe) var useCPUClock = true
@inline(__always) func now() -> UInt64 { useCPUClock ? threadCPUNanoseconds() : monotonicNanoseconds() }

/// ns per lookup of one pass.
func timePass(_ count: Int, _ body: () -> Int) -> Double {
    let t0 = now()
    sink &+= body()
    return Double(now() - t0) / Double(count)
}

/// A warm run: the corpus `reps` times.
func timeRun(_ count: Int, reps: Int, _ body: () -> Int) -> Double {
    let t0 = now()
    for _ in 0..<reps { sink &+= body() }
    return Double(now() - t0) / Double(count * reps)
}

func reps(forNsPerLookup ns: Double, count: Int) -> Int {
    max(1, Int((20_000_000 / max(ns * Double(count), 1)).rounded(.up)))
}

func f0(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.0f", x) }
func f1(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.1f", x) }
func f2(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.2f", x) }

struct Row {
    var family: BenchFamily
    var tree: BenchTree
    var strings = 0, matched = 0, mismatches = 0, flushes = 0
    var kmodWarm = Double.nan, cWarm = Double.nan, autoloadWarm = Double.nan
    var kmodCold = Double.nan, cCold = Double.nan, autoloadCold = Double.nan
    var lookupInitMicroseconds = Double.nan
    var runs = 0
}

/// Parsed and compiled once per tree; every family of that tree shares it.
final class TreeIndex {
    let index: AliasIndex
    init(_ t: BenchTree) throws { index = try AliasIndex(directory: t.modulesDirectory) }
}
var indexes = [String: TreeIndex]()

var rows = [Row]()
useCPUClock = cpuClock
let started = monotonicNanoseconds()
@MainActor func measure(_ family: BenchFamily) throws -> Row {
    let tree = try BenchSetup.tree(for: family)
    let corpus = try BenchSetup.corpus(family)
    let dir = tree.modulesDirectory
    let shared: TreeIndex
    if let s = indexes[tree.arch] { shared = s } else {
        shared = try TreeIndex(tree)
        indexes[tree.arch] = shared
    }
    let cCorpus = corpus.map { $0.map { CChar(bitPattern: $0) } + [0] }
    var row = Row(family: family, tree: tree)
    row.strings = corpus.count
    let n = corpus.count

    // Cold: fresh state, one pass each.
    let config: LookupConfig
    do {
        let kmod = try KmodContext(modulesDirectory: dir, configPaths: nil)
        config = try LookupConfig(kmod)
        row.kmodCold = timePass(n) { passKmod(kmod, corpus) }
    }
    guard let cCtx = bench_kmod_new(dir, 0) else { fail("\(dir): kmod_new/kmod_load_resources failed") }
    defer { bench_kmod_free(cCtx) }
    row.cCold = timePass(n) { passC(cCtx, cCorpus) }
    let i0 = monotonicNanoseconds()
    let lookup = AliasLookup(index: shared.index, config: config)
    row.lookupInitMicroseconds = Double(monotonicNanoseconds() - i0) / 1000
    row.autoloadCold = timePass(n) { passAutoload(lookup, corpus) }

    // Same answers for every string (libkmod is the oracle).
    let kmod = try KmodContext(modulesDirectory: dir, configPaths: nil)
    for s in corpus {
        let theirs: [String]?
        do { theirs = try kmod.lookup(s) } catch { theirs = nil }
        let ours: [String]?
        switch lookup.lookup(s) {
        case .success(let m): ours = m.modules
        case .failure: ours = nil
        }
        if let theirs, !theirs.isEmpty { row.matched += 1 }
        if theirs != ours {
            row.mismatches += 1
            if row.mismatches <= 3 {
                print("MISMATCH \(family) \(String(decoding: s, as: UTF8.self)): libkmod \(theirs ?? ["error"]) autoload \(ours ?? ["error"])")
            }
        }
    }

    // Warm: alternate engines each run.
    // Reps per run from the cold passes (libkmod's warm and cold passes cost about the
    // same); autoload's cold pass builds the DFA, so it gets a warm calibration pass.
    let kmodReps = reps(forNsPerLookup: row.kmodCold, count: n)
    let cReps = reps(forNsPerLookup: row.cCold, count: n)
    let autoloadReps = reps(forNsPerLookup: timePass(n) { passAutoload(lookup, corpus) }, count: n)
    // Fewer runs (at least 3) where libkmod is slow enough to blow the per-family budget.
    let perRun = (row.kmodCold * Double(kmodReps) + row.cCold * Double(cReps)) * Double(n) / 1e9
    row.runs = min(runs, max(3, Int(budget / max(perRun, 1e-3))))
    var kw = [Double](), cw = [Double](), aw = [Double]()
    for r in 0..<row.runs {
        for e in [0, 1, 2].map({ ($0 + r) % 3 }) {
            switch e {
            case 0: kw.append(timeRun(n, reps: kmodReps) { passKmod(kmod, corpus) })
            case 1: cw.append(timeRun(n, reps: cReps) { passC(cCtx, cCorpus) })
            default: aw.append(timeRun(n, reps: autoloadReps) { passAutoload(lookup, corpus) })
            }
        }
    }
    row.kmodWarm = Stats.median(kw)
    row.cWarm = Stats.median(cw)
    row.autoloadWarm = Stats.median(aw)
    row.flushes = lookup.cacheFlushes
    return row
}

for family in families {
    do {
        let row = try measure(family)
        rows.append(row)
        FileHandle.standardError.write("LookupRatio: \(family) done (\(row.tree))\n".data(using: .utf8)!)
    } catch { fail("\(family): \(error)") }
}

let trees = Set(rows.map { "\($0.tree)" }).sorted().joined(separator: ", ")
print("")
print("## Per-lookup: libkmod vs autoload (warm, median of up to \(runs) runs, \(cpuClock ? "thread CPU time" : "wall time"))")
print("")
print("Trees: \(trees) (`of` from arm64). Corpus: scripts/bench/make-corpus.py, \(BenchSetup.countPerFamily) strings per family. libkmod = KmodContext.lookup.")
print("")
print("| family | strings | libkmod ns/lookup | autoload ns/lookup | speedup |")
print("|---|---:|---:|---:|---:|")
var totK = 0.0, totA = 0.0, totC = 0.0, totN = 0
for r in rows {
    print("| \(r.family) | \(r.strings) | \(f0(r.kmodWarm)) | \(f0(r.autoloadWarm)) | \(f1(r.kmodWarm / r.autoloadWarm))x |")
    totK += r.kmodWarm * Double(r.strings); totA += r.autoloadWarm * Double(r.strings)
    totC += r.cWarm * Double(r.strings); totN += r.strings
}
if rows.count > 1 {
    print("| all (time summed) | \(totN) | \(f0(totK / Double(totN))) | \(f0(totA / Double(totN))) | \(f1(totK / totA))x |")
    let geo = exp(rows.map { log($0.kmodWarm / $0.autoloadWarm) }.reduce(0, +) / Double(rows.count))
    print("| geometric mean of speedups | | | | \(f2(geo))x |")
}
print("")
print("## Details: libkmod from C, cold first pass, agreement")
print("")
print("libkmod C = kmod_module_new_from_lookup + kmod_module_get_name + unref, no Swift. Cold = one pass with a fresh context / fresh AliasLookup (empty DFA).")
print("")
print("| family | libkmod C ns/lookup | speedup vs C | cold libkmod ns | cold libkmod C ns | cold autoload ns | cold speedup | AliasLookup init µs | matched | mismatches | DFA flushes | runs |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows {
    print("| \(r.family) | \(f0(r.cWarm)) | \(f1(r.cWarm / r.autoloadWarm))x | \(f0(r.kmodCold)) | \(f0(r.cCold)) | \(f0(r.autoloadCold)) | \(f1(r.kmodCold / r.autoloadCold))x | \(f0(r.lookupInitMicroseconds)) | \(r.matched)/\(r.strings) | \(r.mismatches) | \(r.flushes) | \(r.runs) |")
}
if rows.count > 1 {
    print("| all | \(f0(totC / Double(totN))) | \(f1(totC / totA))x | | | | | | | \(rows.reduce(0) { $0 + $1.mismatches }) | | |")
}

// Building and opening the compiled index, against libkmod's own start-up.
if indexTable {
    let tree: BenchTree
    do { tree = try BenchSetup.tree(arch: "amd64") } catch { fail("\(error)") }
    let dir = tree.modulesDirectory
    func ms(_ reps: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
        var xs = [Double]()
        for _ in 0..<reps {
            let t0 = monotonicNanoseconds()
            try body()
            xs.append(Double(monotonicNanoseconds() - t0) / 1e6)
        }
        return (Stats.median(xs), Stats.minimum(xs))
    }
    do {
        var text = ModuleTreeText()
        let parse = try ms(5) { text = try ModuleTreeText(directory: dir) }
        var index = AliasIndex(tree: text)
        let compile = ms(5) { index = AliasIndex(tree: text) }
        var bytes = [UInt8]()
        let encode = ms(5) { bytes = IndexFile.encode(index) }
        let decode = try ms(9) {
            let d = try bytes.withUnsafeBytes { b throws(IndexFile.Failure) in try IndexFile.decode(b) }
            sink &+= d.modules.count
        }
        let cacheDir = NSTemporaryDirectory() + "autoload-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        let cacheFile = IndexCache.path(for: dir, in: cacheDir)
        let first = try ms(1) { _ = try IndexCache.open(modulesDirectory: dir, cacheFile: cacheFile) }
        var reused = true
        let reopen = try ms(9) {
            let o = try IndexCache.open(modulesDirectory: dir, cacheFile: cacheFile)
            reused = reused && o.reused
            sink &+= o.index.modules.count
        }
        let kmodOpen = try ms(9) {
            let k = try KmodContext(modulesDirectory: dir, configPaths: nil)
            sink &+= try LookupConfig(k).aliases.count
        }
        let cOpen = ms(9) {
            if let c = bench_kmod_new(dir, 0) { bench_kmod_free(c) }
        }
        print("")
        print("## Compiled index: build and open (\(tree), \(index.aliases.entries.count) alias patterns, \(index.modules.count) modules)")
        print("")
        print("| step | median ms | min ms |")
        print("|---|---:|---:|")
        print("| ModuleTreeText(directory:) (read + parse text) | \(f2(parse.median)) | \(f2(parse.min)) |")
        print("| AliasIndex(tree:) (compile) | \(f2(compile.median)) | \(f2(compile.min)) |")
        print("| IndexFile.encode (\(bytes.count / 1024) KiB) | \(f2(encode.median)) | \(f2(encode.min)) |")
        print("| IndexFile.decode (in memory) | \(f2(decode.median)) | \(f2(decode.min)) |")
        print("| IndexCache.open, first (build + save) | \(f2(first.median)) | \(f2(first.min)) |")
        print("| IndexCache.open, reused file\(reused ? "" : " (NOT reused!)") | \(f2(reopen.median)) | \(f2(reopen.min)) |")
        print("| libkmod: KmodContext + LookupConfig (kmod_new, load_resources, config) | \(f2(kmodOpen.median)) | \(f2(kmodOpen.min)) |")
        print("| libkmod C: kmod_new + kmod_load_resources + kmod_unref | \(f2(cOpen.median)) | \(f2(cOpen.min)) |")
    } catch { fail("\(dir): \(error)") }
}
print("")
print("(total \(f1(Double(monotonicNanoseconds() - started) / 1e9)) s; sink \(sink & 1))")
