import AliasMatcher
import Autoload
import Foundation
import Testing

/// `autoloadd index --root R`: an image builder's call must leave R's index inside R, where the
/// system booted from R looks for it, and nothing in the host's cache.
@Suite struct IndexRootTests {
    @Test func indexUnderRootLandsInsideRootUnderTheBootedName() throws {
        let fixture = try FixtureTree.build("basic")
        let dir = try TempDir("autoload-index-root")
        defer { dir.remove() }
        let root = dir.path + "/image"
        let tree = root + "/lib/modules/" + fixture.version
        try FileManager.default.createDirectory(atPath: root + "/lib/modules", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.modulesDir, toPath: tree)
        let run = try CLIRun.autoloadd(["index", "--root", root + "/", "--kernel", fixture.version].map { Array($0.utf8) })
        #expect(run.status == 0, "index: \(run.stderr)")
        // The name the booted system computes for /lib/modules/VERSION, in R's /var/cache/autoload.
        let expected = IndexCache.path(for: "/lib/modules/" + fixture.version, in: root + ResolverSetup.defaultCacheDirectory)
        #expect(FileManager.default.fileExists(atPath: expected), "no index at \(expected); stdout: \(String(decoding: run.stdout, as: UTF8.self))")
        #expect(String(decoding: run.stdout, as: UTF8.self).hasPrefix("index file: \(expected) (compiled)"))
        // Nothing for this tree in the host's cache (where the index went before).
        let host = IndexCache.path(for: tree, in: ResolverSetup.defaultCacheDirectory)
        #expect(!FileManager.default.fileExists(atPath: host))

        // A second run finds it current: the file R boots with is the one just written.
        let again = try CLIRun.autoloadd(["index", "--root", root, "--kernel", fixture.version].map { Array($0.utf8) })
        #expect(String(decoding: again.stdout, as: UTF8.self).hasPrefix("index file: \(expected) (current, reused)"))
    }

    @Test func explicitCacheDirStillWins() throws {
        let fixture = try FixtureTree.build("basic")
        let dir = try TempDir("autoload-index-root")
        defer { dir.remove() }
        let cache = dir.path + "/cache"
        let run = try CLIRun.autoloadd(["index", "--root", fixture.root, "--kernel", fixture.version, "--cache-dir", cache]
            .map { Array($0.utf8) })
        #expect(run.status == 0, "index: \(run.stderr)")
        let expected = IndexCache.path(for: fixture.root + "/lib/modules/" + fixture.version, in: cache)
        #expect(FileManager.default.fileExists(atPath: expected))
    }
}
