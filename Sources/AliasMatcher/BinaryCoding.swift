/// Little-endian writer and bounds-checked reader for the compiled index: every read is
/// checked, so a truncated or corrupt file is an error, never a crash.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    /// Zeros up to the next multiple of 8, so an array's elements can be read in place from
    /// the mapped file (the payload itself starts 8-aligned).
    mutating func align() {
        while bytes.count % 8 != 0 { bytes.append(0) }
    }

    /// An array: aligned count, then the elements (little-endian hosts only, checked on read).
    mutating func array<T: BitwiseCopyable>(_ a: some Collection<T>) {
        align()
        u64(UInt64(a.count))
        let copied: Void? = a.withContiguousStorageIfAvailable { bytes.append(contentsOf: UnsafeRawBufferPointer($0)) }
        if copied == nil { for v in a { withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) } } }
    }
    mutating func u32s(_ a: some Collection<UInt32>) { array(a) }
    mutating func u8s(_ a: some Collection<UInt8>) { array(a) }
    mutating func u64s(_ a: some Collection<UInt64>) { array(a) }
    /// A `NameTable`: end offsets, then the blob.
    mutating func names(_ t: NameTable) {
        u32s(t.ends)
        u8s(t.blob)
    }
}

struct BinaryReader {
    enum Failure: Error { case truncated, invalid(String) }

    let bytes: UnsafeRawBufferPointer
    var offset = 0
    /// The mapping `bytes` lies in: arrays read are views into it. Nil: arrays are copied,
    /// since `bytes` may not outlive the read.
    var owner: AnyObject? = nil

    private mutating func take(_ n: Int) throws(Failure) -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - offset else { throw .truncated }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
    }

    mutating func u8() throws(Failure) -> UInt8 { try take(1)[0] }
    mutating func u32() throws(Failure) -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func u64() throws(Failure) -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func i64() throws(Failure) -> Int64 { Int64(bitPattern: try u64()) }

    mutating func array<T: BitwiseCopyable>(_: T.Type) throws(Failure) -> IndexArray<T> {
        let pad = (8 - offset % 8) % 8
        _ = try take(pad)
        let n = try u64()
        let width = MemoryLayout<T>.stride
        guard n <= UInt64(bytes.count - offset) / UInt64(width) else { throw .truncated }
        let raw = try take(Int(n) * width)
        if let owner, let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<T>.alignment == 0 {
            return IndexArray(viewing: raw.bindMemory(to: T.self), owner: owner)
        }
        return IndexArray(copying: raw, count: Int(n))
    }
    mutating func u32s() throws(Failure) -> IndexArray<UInt32> { try array(UInt32.self) }
    mutating func u8s() throws(Failure) -> IndexArray<UInt8> { try array(UInt8.self) }
    mutating func u64s() throws(Failure) -> IndexArray<UInt64> { try array(UInt64.self) }
    /// A `NameTable` of views (offsets checked only when `verify`).
    mutating func nameTable(verify: Bool) throws(Failure) -> NameTable {
        let table = NameTable(ends: try u32s(), blob: try u8s())
        guard !verify || table.isConsistent else { throw .invalid("string offsets") }
        return table
    }
}

/// A 64-bit checksum over 8-byte words (multiply–xorshift mixing in four independent lanes,
/// so the multiplies overlap): cheap enough to verify on every open, and any flipped bit
/// changes it. SPI for FuzzIndexFile and IndexFileTests, which write valid checksums around damage.
@_spi(IndexFormat) public func indexChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    let k: UInt64 = 0x9E37_79B9_7F4A_7C15
    var h0: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count), h1: UInt64 = 0x1319_8A2E_0370_7344
    var h2: UInt64 = 0xA409_3822_299F_31D0, h3: UInt64 = 0x082E_FA98_EC4E_6C89
    @inline(__always) func word(_ i: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) }
    var i = 0
    while i + 32 <= bytes.count {
        h0 = (h0 ^ word(i)) &* k; h0 ^= h0 >> 29
        h1 = (h1 ^ word(i + 8)) &* k; h1 ^= h1 >> 29
        h2 = (h2 ^ word(i + 16)) &* k; h2 ^= h2 >> 29
        h3 = (h3 ^ word(i + 24)) &* k; h3 ^= h3 >> 29
        i += 32
    }
    var h = h0 ^ (h1 &* 3) ^ (h2 &* 5) ^ (h3 &* 7)
    while i + 8 <= bytes.count {
        h = (h ^ word(i)) &* k
        h ^= h >> 29
        i += 8
    }
    while i < bytes.count {
        h = (h ^ UInt64(bytes[i])) &* 0x1000_0000_01B3
        i += 1
    }
    h = (h ^ (h >> 31)) &* k
    return h ^ (h >> 32)
}
