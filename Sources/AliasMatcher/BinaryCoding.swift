/// Little-endian writer and bounds-checked reader for the compiled index: every read is
/// checked, so a truncated or corrupt file is an error, never a crash.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    mutating func u32s(_ a: [UInt32]) {
        u64(UInt64(a.count))
        a.withUnsafeBytes { bytes.append(contentsOf: $0) }  // little-endian hosts only (checked on read)
    }
    mutating func u8s(_ a: [UInt8]) {
        u64(UInt64(a.count))
        bytes.append(contentsOf: a)
    }
    mutating func u64s(_ a: [UInt64]) {
        u64(UInt64(a.count))
        a.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
    /// Many byte strings as one blob plus end offsets.
    mutating func strings(_ a: [[UInt8]]) {
        var ends = [UInt32](), blob = [UInt8]()
        for s in a { blob += s; ends.append(UInt32(blob.count)) }
        u32s(ends)
        u8s(blob)
    }
}

struct BinaryReader {
    enum Failure: Error { case truncated, invalid(String) }

    let bytes: UnsafeRawBufferPointer
    var offset = 0

    private mutating func take(_ n: Int) throws(Failure) -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - offset else { throw .truncated }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
    }

    mutating func u8() throws(Failure) -> UInt8 { try take(1)[0] }
    mutating func u32() throws(Failure) -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func u64() throws(Failure) -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func i64() throws(Failure) -> Int64 { Int64(bitPattern: try u64()) }

    private mutating func count(_ width: Int) throws(Failure) -> Int {
        let n = try u64()
        guard n <= UInt64(bytes.count - offset) / UInt64(width) else { throw .truncated }
        return Int(n)
    }

    mutating func u32s() throws(Failure) -> [UInt32] {
        let raw = try take(try count(4) * 4)
        return [UInt32](unsafeUninitializedCapacity: raw.count / 4) { buf, n in
            UnsafeMutableRawBufferPointer(buf).copyMemory(from: raw)
            n = raw.count / 4
        }
    }
    mutating func u8s() throws(Failure) -> [UInt8] { Array(try take(try count(1))) }
    mutating func u64s() throws(Failure) -> [UInt64] {
        let raw = try take(try count(8) * 8)
        return [UInt64](unsafeUninitializedCapacity: raw.count / 8) { buf, n in
            UnsafeMutableRawBufferPointer(buf).copyMemory(from: raw)
            n = raw.count / 8
        }
    }
    mutating func strings() throws(Failure) -> [[UInt8]] {
        let ends = try u32s()
        let blob = try u8s()
        var out = [[UInt8]](), start = 0
        out.reserveCapacity(ends.count)
        for e in ends {
            guard Int(e) >= start, Int(e) <= blob.count else { throw .invalid("string offsets") }
            out.append(Array(blob[start..<Int(e)]))
            start = Int(e)
        }
        return out
    }
}

/// A 64-bit checksum over 8-byte words (multiply–xorshift mixing): cheap enough to verify on
/// every open, and any flipped bit changes it.
func indexChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
    var i = 0
    while i + 8 <= bytes.count {
        h = (h ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        i += 8
    }
    while i < bytes.count {
        h = (h ^ UInt64(bytes[i])) &* 0x1000_0000_01B3
        i += 1
    }
    return h ^ (h >> 32)
}
