import LinuxSystem
import SystemPackage

/// The compiled index on disk: `autoloadd` writes it once per module tree and reopens it, so
/// a short-lived process does not parse 26k patterns again. Layout: magic, format version,
/// payload length, checksum, 4 zero bytes, then the payload (stamps, tables, every `GlobSet`'s
/// arrays, each 8-aligned so that an index opened from a mapping reads them in place).
/// It is invalid, and rebuilt, as soon as any source file's stamp differs.
public enum IndexFile {
    static let magic = Array("AUTOLDX\0".utf8)
    public static let formatVersion: UInt32 = 5
    static let headerSize = 8 + 4 + 8 + 8 + 4

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case badMagic, badVersion(UInt32), truncated, badChecksum, invalid(String)
        public var description: String {
            switch self {
            case .badMagic: return "not an autoload index"
            case .badVersion(let v): return "index format \(v), this autoloadd reads \(IndexFile.formatVersion)"
            case .truncated: return "index file is truncated"
            case .badChecksum: return "index checksum mismatch"
            case .invalid(let what): return "index is inconsistent: \(what)"
            }
        }
    }

    public static func encode(_ index: AliasIndex) -> [UInt8] {
        var w = BinaryWriter()
        w.u32(UInt32(index.stamps.count))
        for s in index.stamps {
            w.u64(s.device); w.u64(s.inode); w.i64(s.size); w.i64(s.mtimeSeconds); w.i64(s.mtimeNanoseconds)
        }
        // The tables' own bytes, not their names as Strings: a name that is not UTF-8 (only a
        // damaged file has one) must write back as it was read.
        w.names(index.modules)
        w.names(index.builtinModules)
        w.names(NameTable(index.diagnostics))
        for set in [index.names, index.aliases, index.symbols, index.builtinNames, index.builtinAliases] {
            encode(set, &w)
        }
        var out = magic
        var h = BinaryWriter()
        h.u32(formatVersion)
        h.u64(UInt64(w.bytes.count))
        h.u64(w.bytes.withUnsafeBytes(indexChecksum))
        h.u32(0)
        out += h.bytes
        out += w.bytes
        return out
    }

    static func encode(_ s: GlobSet, _ w: inout BinaryWriter) {
        w.u8(s.syntax.rawValue)
        let p = s.split
        encode(p.trie, &w)
        encode(p.forest, &w)
        w.u32s(p.slotRoot); w.u32s(p.exactStart); w.u32s(p.exactEntries)
        w.u32s(p.pairStart); w.u32s(p.pairLocal); w.u32s(p.pairEntry)
        let e = s.entries
        w.u32s(e.modules); w.u32s(e.orders); w.u32s(e.prefixes); w.u32s(e.patternEnds); w.u8s(e.patternBytes)
        w.u32s(s.fallback.map(\.entry)); w.u32s(s.fallback.map(\.prefix))
    }

    static func encode(_ n: GlobNFA, _ w: inout BinaryWriter) {
        w.u32s(n.chainStart); w.u8s(n.chainBytes)
        w.u32s(n.litStart); w.u8s(n.litBytes); w.u32s(n.litTargets)
        w.u32s(n.wildStart); w.u32s(n.wildCodes); w.u32s(n.wildTargets)
        w.u32s(n.starChild); w.u8s(n.selfLoop); w.u32s(n.valueStart); w.u32s(n.values)
        w.u64s(n.sets.flatMap(\.words))
        w.u8s(n.classOf); w.u32(UInt32(n.classCount))
    }

    /// Reads an index whose arrays stay views into `file`'s mapping: nothing is copied.
    /// `alreadyVerified` (an `IndexVerifiedMarker` matched this very file) skips the
    /// checksum and the bounds checks of every array, which cost time in proportion to the file.
    public static func decode(mapped file: MappedFile, alreadyVerified: Bool = false) throws(Failure) -> AliasIndex {
        try decode(file.bytes, owner: file, verify: !alreadyVerified)
    }

    /// The checksum the header records, if `bytes` starts with a header of this format.
    static func headerChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count >= headerSize, bytes.prefix(8).elementsEqual(magic) else { return nil }
        var h = BinaryReader(bytes: bytes, offset: 8)
        guard (try? h.u32()) == formatVersion, (try? h.u64()) != nil else { return nil }
        return try? h.u64()
    }

    /// Reads an index out of `bytes`, copying what it keeps.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> AliasIndex {
        try decode(bytes, owner: nil)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, owner: AnyObject?, verify: Bool = true) throws(Failure) -> AliasIndex {
        guard bytes.count >= headerSize else { throw .truncated }
        guard bytes.prefix(8).elementsEqual(magic) else { throw .badMagic }
        do {
            var h = BinaryReader(bytes: bytes, offset: 8)
            let version = try h.u32()
            guard version == formatVersion else { throw Failure.badVersion(version) }
            let length = try h.u64()
            let sum = try h.u64()
            guard UInt64(bytes.count - headerSize) == length else { throw Failure.truncated }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[headerSize...])
            guard !verify || indexChecksum(payload) == sum else { throw Failure.badChecksum }
            var r = BinaryReader(bytes: payload, owner: owner)
            var stamps = [FileStamp]()
            for _ in 0..<Int(min(try r.u32(), 64)) {
                stamps.append(FileStamp(device: try r.u64(), inode: try r.u64(), size: try r.i64(),
                                        mtimeSeconds: try r.i64(), mtimeNanoseconds: try r.i64()))
            }
            let modules = try r.nameTable(verify: verify)
            let builtin = try r.nameTable(verify: verify)
            let diagnostics = Array(try r.nameTable(verify: verify))
            var sets = [GlobSet]()
            for _ in 0..<5 { sets.append(try decodeSet(&r, verify: verify)) }
            guard r.offset == payload.count else { throw Failure.invalid("trailing bytes") }
            let index = AliasIndex(modules: modules, names: sets[0], aliases: sets[1], symbols: sets[2],
                                   builtinModules: builtin, builtinNames: sets[3], builtinAliases: sets[4],
                                   stamps: stamps, diagnostics: diagnostics)
            if verify { try validate(index) }
            return index
        } catch let e as Failure {
            throw e
        } catch let e as BinaryReader.Failure {
            switch e {
            case .truncated: throw .truncated
            case .invalid(let s): throw .invalid(s)
            }
        } catch {
            throw .invalid("\(error)")
        }
    }

    static func decodeSet(_ r: inout BinaryReader, verify: Bool) throws -> GlobSet {
        guard let syntax = GlobPattern.Syntax(rawValue: try r.u8()) else { throw Failure.invalid("pattern syntax") }
        let trie = try decodeNFA(&r), forest = try decodeNFA(&r)
        let split = PrefixSplit(trie: trie, forest: forest, slotRoot: try r.u32s(), exactStart: try r.u32s(),
                                exactEntries: try r.u32s(), pairStart: try r.u32s(), pairLocal: try r.u32s(),
                                pairEntry: try r.u32s())
        let modules = try r.u32s(), orders = try r.u32s(), prefixes = try r.u32s()
        let patternEnds = try r.u32s(), patternBytes = try r.u8s()
        guard modules.count == orders.count, modules.count == prefixes.count, modules.count == patternEnds.count
        else { throw Failure.invalid("entries") }
        guard !verify || patternEnds.areEndOffsets(within: patternBytes.count) else { throw Failure.invalid("pattern offsets") }
        let fbEntries = try r.u32s(), fbPrefix = try r.u32s()
        guard fbEntries.count == fbPrefix.count else { throw Failure.invalid("fallback") }
        let entries = EntryTable(modules: modules, orders: orders, prefixes: prefixes,
                                 patternEnds: patternEnds, patternBytes: patternBytes)
        return GlobSet(split: split, entries: entries, fallback: zip(fbEntries, fbPrefix).map { ($0, $1) }, syntax: syntax)
    }

    static func decodeNFA(_ r: inout BinaryReader) throws -> GlobNFA {
        let chainStart = try r.u32s(), chainBytes = try r.u8s()
        let litStart = try r.u32s(), litBytes = try r.u8s(), litTargets = try r.u32s()
        let wildStart = try r.u32s(), wildCodes = try r.u32s(), wildTargets = try r.u32s()
        let starChild = try r.u32s(), selfLoop = try r.u8s(), valueStart = try r.u32s(), values = try r.u32s()
        let words = try r.u64s()
        guard words.count % 4 == 0 else { throw Failure.invalid("bracket sets") }
        let sets = stride(from: 0, to: words.count, by: 4).map { ByteSet(words: Array(words[$0..<($0 + 4)])) }
        let classOf = try r.u8s(), classCount = Int(try r.u32())
        guard classOf.count == 256, classCount >= 1, classCount <= 256, classOf.allSatisfy({ Int($0) < classCount })
        else { throw Failure.invalid("byte classes") }
        return GlobNFA(chainStart: chainStart, chainBytes: chainBytes, litStart: litStart, litBytes: litBytes, litTargets: litTargets,
                       wildStart: wildStart, wildCodes: wildCodes, wildTargets: wildTargets, starChild: starChild, selfLoop: selfLoop,
                       valueStart: valueStart, values: values, sets: sets, classOf: classOf, classCount: classCount)
    }
}
