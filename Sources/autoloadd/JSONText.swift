/// Minimal JSON string encoding for output lines. JSON strings are Unicode text, and a
/// MODALIAS or DEVPATH may hold any byte, so byte strings are written losslessly in two parts
/// (`field`): the text, each byte that is not part of valid UTF-8 as U+FFFD (what any JSON
/// reader makes of it anyway), and, only when there was such a byte, `NAME_hex` beside it:
/// every byte of the value in lowercase hex. "ÿ" (C3 BF) and the lone byte FF are then two
/// different objects: `"modalias":"ÿ"` and `"modalias":"\u{FFFD}","modalias_hex":"ff"`.
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
            case 0x80...: out.write(replacementCharacter)
            case 0..<0x20, 0x7f:
                out.write("\\u00")
                out.byte(hex(c >> 4)); out.byte(hex(c & 15))
            default: out.byte(c)
            }
            i += 1
        }
        out.byte(UInt8(ascii: "\""))
    }

    static func string(_ s: String, into out: inout OutputBuffer) { string(s.utf8, into: &out) }

    /// `"name":"text"`, and `,"name_hex":"…"` when `bytes` is not valid UTF-8 (see above).
    static func field(_ name: String, bytes: some Collection<UInt8>, into out: inout OutputBuffer) {
        out.write("\"\(name)\":")
        string(bytes, into: &out)
        if !isUTF8(bytes) {
            out.write(",\"\(name)_hex\":")
            hexString(bytes, into: &out)
        }
    }

    /// `"name":["text",…]` and, when any value is not valid UTF-8, `,"name_hex":[…]` with the
    /// hex of each such value and null for the others, index for index.
    static func fieldArray(_ name: String, values: [[UInt8]], into out: inout OutputBuffer) {
        out.write("\"\(name)\":[")
        for (i, v) in values.enumerated() { if i > 0 { out.write(",") }; string(v, into: &out) }
        out.write("]")
        guard values.contains(where: { !isUTF8($0) }) else { return }
        out.write(",\"\(name)_hex\":[")
        for (i, v) in values.enumerated() {
            if i > 0 { out.write(",") }
            if isUTF8(v) { out.write("null") } else { hexString(v, into: &out) }
        }
        out.write("]")
    }

    static func isUTF8(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.allSatisfy { $0 < 0x80 } || String(validating: bytes, as: UTF8.self) != nil
    }

    private static func hexString(_ bytes: some Sequence<UInt8>, into out: inout OutputBuffer) {
        out.byte(UInt8(ascii: "\""))
        for b in bytes { out.byte(hex(b >> 4)); out.byte(hex(b & 15)) }
        out.byte(UInt8(ascii: "\""))
    }

    private static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

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
