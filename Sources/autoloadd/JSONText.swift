/// Minimal JSON string encoding for output lines. Bytes that are not valid UTF-8 (a MODALIAS
/// may hold any byte) are written as `\u00XX` escapes of the byte value, so nothing is lost.
enum JSONText {
    static func string(_ bytes: some Sequence<UInt8>, into out: inout OutputBuffer) {
        out.byte(UInt8(ascii: "\""))
        let a = Array(bytes)
        var i = 0
        while i < a.count {
            let c = a[i]
            let seq = c < 0x80 ? 1 : utf8Length(a, i)
            if seq > 1 {
                out.write(a[i..<(i + seq)])
                i += seq
                continue
            }
            switch c {
            case UInt8(ascii: "\""): out.write("\\\"")
            case UInt8(ascii: "\\"): out.write("\\\\")
            case UInt8(ascii: "\n"): out.write("\\n")
            case UInt8(ascii: "\t"): out.write("\\t")
            case 0..<0x20, 0x7f...:
                out.write("\\u00")
                out.byte(hex(c >> 4)); out.byte(hex(c & 15))
            default: out.byte(c)
            }
            i += 1
        }
        out.byte(UInt8(ascii: "\""))
    }

    static func string(_ s: String, into out: inout OutputBuffer) { string(s.utf8, into: &out) }

    private static func hex(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }

    /// Length of a well-formed UTF-8 sequence at `i`, or 1 when it is not one.
    private static func utf8Length(_ a: [UInt8], _ i: Int) -> Int {
        let c = a[i]
        let n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0
        guard n > 1, i + n <= a.count else { return 1 }
        for k in 1..<n where a[i + k] & 0xC0 != 0x80 { return 1 }
        let scalarOK = String(validating: a[i..<(i + n)], as: UTF8.self) != nil
        return scalarOK ? n : 1
    }
}
