import Glibc
import Testing
@_spi(IndexFormat) @testable import AliasMatcher

/// The compiled index: a round trip gives back the same index, any damage is an error (never a
/// crash, never a silently wrong index), and a changed source file makes the cache rebuild.
@Suite struct IndexFileTests {
    /// A small tree written as text, the way depmod lays it out.
    static func makeTree() throws -> String {
        var template = Array("/tmp/autoload-indextest-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        func write(_ name: String, _ text: String) {
            let f = fopen(dir + "/" + name, "w")!
            fputs(text, f)
            fclose(f)
        }
        write("modules.dep", "kernel/a/foo-bar.ko:\nkernel/b/baz.ko: kernel/a/foo-bar.ko\n")
        write("modules.alias", """
            # Aliases extracted from modules themselves.
            alias pci:v00001234d*sv*sd*bc*sc*i* foo_bar
            alias pci:v00001234d00000001sv*sd*bc*sc*i* baz
            alias usb:v1234p[0-9]* baz
            alias broken]pattern baz
            not an alias line

            """)
        write("modules.symbols", "alias symbol:baz_init baz\n")
        write("modules.builtin", "kernel/c/ext4.ko\n")
        return dir
    }

    @Test func roundTripGivesTheSameIndex() throws {
        let index = try AliasIndex(directory: try Self.makeTree())
        let bytes = IndexFile.encode(index)
        let decoded = try bytes.withUnsafeBytes { (b) throws(IndexFile.Failure) in try IndexFile.decode(b) }
        #expect(decoded == index)
        let lookup = AliasLookup(index: decoded)
        #expect(try lookup.lookup("pci:v00001234d00000001sv0sd0bc0sc0i0").get().modules == ["foo_bar", "baz"])
        #expect(try lookup.lookup("symbol:baz_init").get().modules == ["baz"])
        #expect(try lookup.lookup("ext4").get().source == .builtinName)
    }

    @Test func malformedLinesAreReportedWithFileAndLine() throws {
        let dir = try Self.makeTree()
        let index = try AliasIndex(directory: dir)
        #expect(index.diagnostics.contains { $0.hasPrefix(dir + "/modules.alias:5:") && $0.contains("']'") })
        #expect(index.diagnostics.contains { $0.hasPrefix(dir + "/modules.alias:6:") })
        #expect(index.aliases.entries.count >= 3)
    }

    /// Random damage (a flipped byte, a truncation) is rejected, or the index still answers
    /// exactly as the undamaged one; damage behind a forged checksum, where only the
    /// structural checks stand guard, must not crash a decode or a lookup. The seed is fixed
    /// and printed with each failure.
    @Test func everyDamageIsRejectedOrHarmless() throws {
        let original = try AliasIndex(directory: try Self.makeTree())
        let bytes = IndexFile.encode(original)
        let probes = ["pci:v00001234d00000001sv0sd0bc0sc0i0", "pci:v00001234d00000002sv0sd0bc0sc0i0",
                      "usb:v1234p5678", "usb:v1234pX", "symbol:baz_init", "ext4", "foo-bar", "baz", "nothing"]
        let reference = AliasLookup(index: original)
        let expected = probes.map { "\(reference.lookup($0))" }
        let seed: UInt64 = 0x1234_5678
        var rng = seed
        func next() -> Int { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Int(rng >> 33) }
        var rejected = 0, forgedDecoded = 0, changed = [Int]()
        for trial in 0..<2000 {
            var damaged = bytes
            let forged = trial % 3 == 2
            switch trial % 3 {
            case 0: damaged[next() % damaged.count] ^= UInt8(1 + next() % 255)
            case 1: damaged.removeLast(1 + next() % (damaged.count - 1))
            default:
                let at = IndexFile.headerSize + next() % (damaged.count - IndexFile.headerSize)
                damaged[at] ^= UInt8(1 + next() % 255)
                let sum = damaged[IndexFile.headerSize...].withUnsafeBytes { indexChecksum($0) }
                withUnsafeBytes(of: sum.littleEndian) { damaged.replaceSubrange(20..<28, with: $0) }
            }
            let index: AliasIndex
            do {
                index = try damaged.withUnsafeBytes { (b) throws(IndexFile.Failure) in try IndexFile.decode(b) }
            } catch {
                rejected += 1
                continue
            }
            let lookup = AliasLookup(index: index)
            let answers = probes.map { "\(lookup.lookup($0))" }
            if forged {
                forgedDecoded += 1
            } else if answers != expected {
                changed.append(trial)
            }
        }
        #expect(changed.isEmpty, "seed \(seed): damage decoded and changed an answer in \(changed.count) trials, first \(changed.prefix(10))")
        #expect(rejected > 1300, "seed \(seed): flipped bytes and truncation must be caught (\(rejected) rejected)")
        print("index damage, seed \(seed): \(rejected) of 2000 rejected, \(forgedDecoded) decoded behind a forged checksum")
    }

    @Test func cacheRebuildsWhenASourceChangesOrTheFileIsCorrupt() throws {
        let dir = try Self.makeTree()
        let cache = dir + "/cache/index.idx"
        let first = try IndexCache.open(modulesDirectory: dir, cacheFile: cache)
        #expect(!first.reused)
        #expect(try IndexCache.open(modulesDirectory: dir, cacheFile: cache).reused)

        // A new alias line changes the size: the index is rebuilt and sees it.
        let f = fopen(dir + "/modules.alias", "a")!
        fputs("alias acpi*:NEW0001:* baz\n", f)
        fclose(f)
        let second = try IndexCache.open(modulesDirectory: dir, cacheFile: cache)
        #expect(!second.reused)
        #expect(try AliasLookup(index: second.index).lookup("acpi:NEW0001:").get().modules == ["baz"])

        // A corrupt cache file is rebuilt, with a note saying why.
        let g = fopen(cache, "r+")!
        fseek(g, 40, SEEK_SET)
        fputc(0x5A, g)
        fclose(g)
        let third = try IndexCache.open(modulesDirectory: dir, cacheFile: cache)
        #expect(!third.reused)
        #expect(third.notes.contains { $0.contains("checksum") })
        #expect(third.index == second.index)
    }

    /// The `.verified` marker lets a later process skip the full check of the same file in
    /// the same boot, and of no other: any write to the file, or a marker that does not
    /// match, sends it back through the checksum.
    @Test func verifiedMarkerCoversOnlyTheFileItWasWrittenFor() throws {
        let dir = try Self.makeTree()
        let cache = dir + "/cache/index.idx"
        let marker = cache + ".verified"
        #expect(!(try IndexCache.open(modulesDirectory: dir, cacheFile: cache)).reused)
        // A file changed within the last second or two gets no marker: its ctime might not move yet.
        #expect(!(try IndexCache.open(modulesDirectory: dir, cacheFile: cache)).verifiedEarlier)
        #expect(!(try IndexCache.open(modulesDirectory: dir, cacheFile: cache)).verifiedEarlier)
        sleep(3)
        let checked = try IndexCache.open(modulesDirectory: dir, cacheFile: cache)
        #expect(checked.reused && !checked.verifiedEarlier)
        let trusted = try IndexCache.open(modulesDirectory: dir, cacheFile: cache)
        #expect(trusted.reused && trusted.verifiedEarlier)
        #expect(trusted.index == checked.index)

        // A marker that is not this file's (another boot, say) is not believed, and is rewritten.
        let f = fopen(marker, "w")!
        fputs("autoload-index-verified v\(IndexFile.formatVersion) 00000000-0000-0000-0000-000000000000 1 2 3\n", f)
        fclose(f)
        #expect(!(try IndexCache.open(modulesDirectory: dir, cacheFile: cache)).verifiedEarlier)
        #expect(try IndexCache.open(modulesDirectory: dir, cacheFile: cache).verifiedEarlier)

        // A byte changed in place after the check: the marker no longer matches (ctime moved),
        // so the checksum runs and the damage is found.
        let g = fopen(cache, "r+")!
        fseek(g, 64, SEEK_SET)
        fputc(0xA5, g)
        fclose(g)
        let damaged = try IndexCache.open(modulesDirectory: dir, cacheFile: cache)
        #expect(!damaged.reused && !damaged.verifiedEarlier)
        #expect(damaged.notes.contains { $0.contains("checksum") })
        #expect(damaged.index == checked.index)
    }

    /// After a full check an open index keeps none of the file's pages resident (the kernel's
    /// own count, /proc/self/smaps, is the oracle); lookups fault back only what they touch.
    @Test func fullyCheckedIndexGivesItsPagesBack() throws {
        let dir = try Self.makeTree()
        let cache = dir + "/cache/index.idx"
        _ = try IndexCache.open(modulesDirectory: dir, cacheFile: cache)
        let opened = try IndexCache.open(modulesDirectory: dir, cacheFile: cache)
        let mapping = try #require(opened.mapping)
        #expect(opened.reused && !opened.verifiedEarlier)
        func residentKB() -> Int? {
            guard let f = fopen("/proc/self/smaps", "r") else { return nil }
            defer { fclose(f) }
            let start = UInt(bitPattern: mapping.bytes.baseAddress!)
            var line: UnsafeMutablePointer<CChar>?, capacity = 0, inside = false
            while getline(&line, &capacity, f) > 0 {
                let text = String(cString: line!)
                if let dash = text.firstIndex(of: "-"), let lo = UInt(text[..<dash], radix: 16) {
                    inside = lo == start
                } else if inside, text.hasPrefix("Rss:") {
                    return text.dropFirst(4).split(separator: " ").first.flatMap { Int($0) }
                }
            }
            return nil
        }
        #expect(residentKB() == 0, "the check's pages were given back")
        _ = indexChecksum(mapping.bytes)  // touch every page
        #expect((residentKB() ?? 0) * 1024 >= mapping.bytes.count - 4096)
        mapping.dropResidentPages()
        #expect(residentKB() == 0)
        #expect(try AliasLookup(index: opened.index).lookup("symbol:baz_init").get().modules == ["baz"])
    }
}
