/// libkmod's `alias_normalize()` (shared/util.c) on bytes: `-` becomes `_` outside `[...]`,
/// a `]` outside brackets or an unclosed `[` is an error (libkmod returns -EINVAL), and the
/// result stops at the first NUL or after PATH_MAX - 1 bytes, as libkmod's fixed buffer does.
public enum AliasNormalizer {
    /// PATH_MAX - 1: the longest alias libkmod keeps.
    public static let maxLength = 4095

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case strayClosingBracket(offset: Int)
        case unclosedBracket(offset: Int)

        public var description: String {
            switch self {
            case .strayClosingBracket(let o): return "']' without '[' at byte \(o)"
            case .unclosedBracket(let o): return "'[' at byte \(o) is never closed"
            }
        }
    }

    public static func normalize(_ input: some Collection<UInt8>) -> Result<[UInt8], Failure> {
        let bytes = Array(input)
        var out = [UInt8]()
        out.reserveCapacity(min(bytes.count, maxLength))
        var i = 0
        // The length bound is checked between items only: a bracket is copied whole, as in C.
        while i < maxLength, i < bytes.count {
            let c = bytes[i]
            switch c {
            case 0:
                return .success(out)
            case UInt8(ascii: "-"):
                out.append(UInt8(ascii: "_"))
            case UInt8(ascii: "]"):
                return .failure(.strayClosingBracket(offset: i))
            case UInt8(ascii: "["):
                let open = i
                while i < bytes.count, bytes[i] != UInt8(ascii: "]"), bytes[i] != 0 {
                    out.append(bytes[i])
                    i += 1
                }
                guard i < bytes.count, bytes[i] == UInt8(ascii: "]") else {
                    return .failure(.unclosedBracket(offset: open))
                }
                out.append(bytes[i])
            default:
                out.append(c)
            }
            i += 1
        }
        return .success(out)
    }

    /// Module names: `-` becomes `_` everywhere, as libkmod's `modname_normalize()`,
    /// stopping at the first `.` (so `foo-bar.ko.xz` gives `foo_bar`).
    public static func moduleName(fromPath path: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(path)
        let base = bytes.lastIndex(of: UInt8(ascii: "/")).map { bytes[($0 + 1)...] } ?? bytes[...]
        var out = [UInt8]()
        for c in base {
            if c == UInt8(ascii: ".") { break }
            out.append(c == UInt8(ascii: "-") ? UInt8(ascii: "_") : c)
        }
        return out
    }
}
