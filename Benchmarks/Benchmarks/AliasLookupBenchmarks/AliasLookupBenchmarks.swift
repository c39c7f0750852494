// ordo-one/benchmark suites (supplementary to LookupRatio, which prints the ratios):
//
//   cd Benchmarks && swift package benchmark --target AliasLookupBenchmarks
//   swift package benchmark --target AliasLookupBenchmarks --filter 'lookup.*pci'
//
// lookup/{autoload,libkmod}/FAMILY: 1000 lookups per iteration (scalingFactor .kilo, so the
// starred columns are per lookup), warm: the setup made one pass first. mallocCountTotal
// is the MallocInterposer count, i.e. allocations per lookup.
// lookup/autoload-cold/FAMILY: a fresh AliasLookup (empty lazy DFA) per iteration.
// index/...: compiling the amd64 tree from text, and the ways of opening it.
import AliasMatcher
import Autoload
import BenchCorpus
import Benchmark
import Foundation

/// Shared, built on first use, so `benchmark list` costs nothing.
final class Fixture {
    final class Kmod {
        let context: KmodContext
        init(_ dir: String) throws { context = try KmodContext(modulesDirectory: dir, configPaths: nil) }
    }

    static var indexes = [String: AliasIndex]()
    static var texts = [String: ModuleTreeText]()
    static var corpora = [BenchFamily: [[UInt8]]]()

    static func tree(_ arch: String) -> BenchTree {
        do { return try BenchSetup.tree(arch: arch) } catch { fatalError("\(error)") }
    }

    static func text(_ arch: String) -> ModuleTreeText {
        if let t = texts[arch] { return t }
        do {
            let t = try ModuleTreeText(directory: tree(arch).modulesDirectory)
            texts[arch] = t
            return t
        } catch { fatalError("\(error)") }
    }

    static func index(_ arch: String) -> AliasIndex {
        if let i = indexes[arch] { return i }
        let i = AliasIndex(tree: text(arch))
        indexes[arch] = i
        return i
    }

    /// The first 1000 strings of the family's LookupRatio corpus.
    static func corpus(_ f: BenchFamily) -> [[UInt8]] {
        if let c = corpora[f] { return c }
        do {
            let c = Array(try BenchSetup.corpus(f).prefix(1000))
            precondition(c.count == 1000, "corpus for \(f) has \(c.count) strings")
            corpora[f] = c
            return c
        } catch { fatalError("\(error)") }
    }

    static func config(_ kmod: borrowing KmodContext) -> LookupConfig {
        do { return try LookupConfig(kmod) } catch { fatalError("\(error)") }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 1,
        maxDuration: .seconds(1),
        maxIterations: 100_000
    )
    let perLookup = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(1)
    )

    for family in BenchFamily.allCases {
        var lookup: AliasLookup?
        var corpus = [[UInt8]]()
        Benchmark("lookup/autoload/\(family)", configuration: perLookup) { benchmark in
            let l = lookup!
            for i in benchmark.scaledIterations { blackHole(l.lookup(corpus[i])) }
        } setup: {
            let t = Fixture.tree(for: family)
            corpus = Fixture.corpus(family)
            let kmod = try Fixture.Kmod(t.modulesDirectory)
            let l = AliasLookup(index: Fixture.index(t.arch), config: Fixture.config(kmod.context))
            for s in corpus { blackHole(l.lookup(s)) }  // warm the DFA
            lookup = l
        } teardown: {
            lookup = nil
        }

        var kmod: Fixture.Kmod?
        Benchmark("lookup/libkmod/\(family)", configuration: perLookup) { benchmark in
            let k = kmod!
            for i in benchmark.scaledIterations { blackHole(try? k.context.lookup(corpus[i])) }
        } setup: {
            corpus = Fixture.corpus(family)
            let k = try Fixture.Kmod(Fixture.tree(for: family).modulesDirectory)
            for s in corpus { blackHole(try? k.context.lookup(s)) }
            kmod = k
        } teardown: {
            kmod = nil
        }

        var config: LookupConfig?
        var index: AliasIndex?
        Benchmark("lookup/autoload-cold/\(family)", configuration: perLookup) { benchmark in
            let l = AliasLookup(index: index!, config: config!)
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations { blackHole(l.lookup(corpus[i])) }
            benchmark.stopMeasurement()
        } setup: {
            let t = Fixture.tree(for: family)
            corpus = Fixture.corpus(family)
            config = Fixture.config(try Fixture.Kmod(t.modulesDirectory).context)
            index = Fixture.index(t.arch)
        } teardown: {
            config = nil
            index = nil
        }
    }

    let indexConfig = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(8),
        maxIterations: 20
    )
    let arch = "amd64"
    Benchmark("index/ModuleTreeText(directory:)", configuration: indexConfig) { _ in
        blackHole(try? ModuleTreeText(directory: Fixture.tree(arch).modulesDirectory))
    }
    Benchmark("index/AliasIndex(tree:)", configuration: indexConfig) { _ in
        blackHole(AliasIndex(tree: Fixture.text(arch)))
    } setup: {
        _ = Fixture.text(arch)
    }
    Benchmark("index/text+compile", configuration: indexConfig) { _ in
        blackHole(try? AliasIndex(tree: ModuleTreeText(directory: Fixture.tree(arch).modulesDirectory)))
    }
    var encoded = [UInt8]()
    Benchmark("index/IndexFile.encode", configuration: indexConfig) { _ in
        blackHole(IndexFile.encode(Fixture.index(arch)))
    } setup: {
        _ = Fixture.index(arch)
    }
    Benchmark("index/IndexFile.decode", configuration: indexConfig) { _ in
        blackHole(try? encoded.withUnsafeBytes { b throws(IndexFile.Failure) in try IndexFile.decode(b) })
    } setup: {
        encoded = IndexFile.encode(Fixture.index(arch))
    }
    let cacheDir = NSTemporaryDirectory() + "autoload-benchmark-\(getpid())"
    Benchmark("index/IndexCache.open (reused file)", configuration: indexConfig) { _ in
        let dir = Fixture.tree(arch).modulesDirectory
        let o = try? IndexCache.open(modulesDirectory: dir, cacheFile: IndexCache.path(for: dir, in: cacheDir))
        precondition(o?.reused == true, "the cache file was not reused")
        blackHole(o)
    } setup: {
        let dir = Fixture.tree(arch).modulesDirectory
        _ = try IndexCache.open(modulesDirectory: dir, cacheFile: IndexCache.path(for: dir, in: cacheDir))
    } teardown: {
        try? FileManager.default.removeItem(atPath: cacheDir)
    }
    Benchmark("index/libkmod KmodContext+LookupConfig", configuration: indexConfig) { _ in
        let k = try? Fixture.Kmod(Fixture.tree(arch).modulesDirectory)
        blackHole(k.map { Fixture.config($0.context) })
    }
}

extension Fixture {
    static func tree(for f: BenchFamily) -> BenchTree { tree(f.arch) }
}
