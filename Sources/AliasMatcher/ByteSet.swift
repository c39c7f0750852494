/// A set of byte values, 256 bits wide: the member set of one `[...]` bracket expression.
public struct ByteSet: Hashable, Sendable {
    public var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    public init() {}

    @inline(__always)
    public func contains(_ b: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: return w0 & bit != 0
        case 1: return w1 & bit != 0
        case 2: return w2 & bit != 0
        default: return w3 & bit != 0
        }
    }

    public mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        default: w3 |= bit
        }
    }

    public mutating func insert(_ range: ClosedRange<UInt8>) {
        for b in range { insert(b) }
    }

    /// The complement. Byte 0 never occurs in a C string, so it stays out.
    public var inverted: ByteSet {
        var s = ByteSet()
        s.w0 = ~w0 & ~1
        s.w1 = ~w1
        s.w2 = ~w2
        s.w3 = ~w3
        return s
    }

    public var words: [UInt64] { [w0, w1, w2, w3] }

    public init(words: [UInt64]) {
        w0 = words[0]; w1 = words[1]; w2 = words[2]; w3 = words[3]
    }
}
