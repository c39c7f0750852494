/// One step of a compiled glob.
public enum GlobElement: Hashable, Sendable {
    case byte(UInt8)
    case any
    case set(ByteSet)
    case star
}

/// A modules.alias pattern compiled the way libkmod's index search treats it
/// (`index_mm_searchwild_node()` in libkmod-index.c): the bytes before the first `*`, `?` or `[`
/// are compared literally (a backslash there is an ordinary byte), and the rest is matched with
/// fnmatch(3), flags 0, in the C locale.
public enum GlobPattern: Equatable, Sendable {
    /// Expressible as elements: the fast automaton handles it.
    case elements([GlobElement])
    /// Can never match anything (a trailing backslash: fnmatch rejects it).
    case never
    /// Uses glibc corners the automaton does not model (`[:class:]`, `[=x=]`, `[.x.]`,
    /// a bracket glibc sees as unterminated): matched by fnmatch(3) itself, see `GlobFallback`.
    case irregular(literalPrefixLength: Int)

    public static func isWildcard(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "*") || c == UInt8(ascii: "?") || c == UInt8(ascii: "[")
    }

    /// How a source's patterns are read.
    public enum Syntax: UInt8, Sendable {
        /// Index keys (modules.alias, modules.symbols, builtin aliases): literal bytes up to the
        /// first wildcard, fnmatch(3) after it.
        case kmodIndex = 0
        /// modprobe.d `alias` names: fnmatch(3) on the whole pattern (libkmod-config.c).
        case fnmatch = 1
        /// Exact names (modules.dep, modules.builtin): every byte literal.
        case literal = 2
    }

    /// Compiles a pattern that has already been through `AliasNormalizer`. With `.kmodIndex`,
    /// `literalPrefix` says how many leading bytes libkmod's trie walk compares literally
    /// (default: up to the first wildcard; see `KeyTrieShape` for why it can be longer).
    public static func compile(_ p: [UInt8], syntax: Syntax = .kmodIndex, literalPrefix: Int? = nil) -> GlobPattern {
        if syntax == .literal { return .elements(p.map { .byte($0) }) }
        var out = [GlobElement]()
        out.reserveCapacity(p.count)
        let prefix = syntax == .fnmatch ? 0 : min(literalPrefix ?? (p.firstIndex(where: isWildcard) ?? p.count), p.count)
        for b in p[..<prefix] { out.append(.byte(b)) }
        var i = prefix
        while i < p.count {
            let c = p[i]
            switch c {
            case UInt8(ascii: "*"):
                if out.last != .star { out.append(.star) }
                i += 1
            case UInt8(ascii: "?"):
                out.append(.any)
                i += 1
            case UInt8(ascii: "\\"):
                guard i + 1 < p.count else { return .never }
                out.append(.byte(p[i + 1]))
                i += 2
            case UInt8(ascii: "["):
                guard let (set, next) = parseBracket(p, from: i + 1) else {
                    return .irregular(literalPrefixLength: prefix)
                }
                out.append(.set(set))
                i = next
            default:
                out.append(.byte(c))
                i += 1
            }
        }
        return .elements(out)
    }

    /// Parses a bracket body starting just after `[`, following glibc's scan order: an optional
    /// `!` or `^`, a first `]` that is a member, `\x` escapes, and ranges `a-b` by byte value
    /// (a `-` before the closing `]` is a member). Returns nil for anything glibc treats
    /// specially, so that pattern goes to fnmatch(3) instead.
    static func parseBracket(_ p: [UInt8], from start: Int) -> (ByteSet, Int)? {
        let close = UInt8(ascii: "]"), dash = UInt8(ascii: "-"), backslash = UInt8(ascii: "\\")
        var j = start
        var negate = false
        if j < p.count, p[j] == UInt8(ascii: "!") || p[j] == UInt8(ascii: "^") {
            negate = true
            j += 1
        }
        var set = ByteSet()
        var first = true
        while true {
            guard j < p.count else { return nil }  // unterminated: glibc's own rules apply
            var c = p[j]
            j += 1
            if c == close, !first { break }
            first = false
            if c == backslash {
                guard j < p.count else { return nil }
                c = p[j]
                j += 1
            } else if c == UInt8(ascii: "["), j < p.count,
                      p[j] == UInt8(ascii: ":") || p[j] == UInt8(ascii: "=") || p[j] == UInt8(ascii: ".") {
                return nil
            }
            if j + 1 < p.count, p[j] == dash, p[j + 1] != close {
                j += 1
                var end = p[j]
                j += 1
                if end == backslash {
                    guard j < p.count else { return nil }
                    end = p[j]
                    j += 1
                } else if end == UInt8(ascii: "["), j < p.count, p[j] == UInt8(ascii: ".") {
                    return nil
                }
                if c <= end { set.insert(c...end) }
            } else if j + 1 == p.count, j < p.count, p[j] == dash {
                // glibc reads a range whose end is the terminating NUL: leave it to glibc.
                return nil
            } else {
                set.insert(c)
            }
        }
        set.w0 &= ~1  // NUL ends every C string: never a member
        return (negate ? set.inverted : set, j)
    }
}
