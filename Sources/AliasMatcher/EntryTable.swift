/// The pattern lines of a `GlobSet`, stored by column (module, order, literal prefix, pattern
/// bytes in one blob), so the index file loads them with a handful of copies instead of one
/// allocation per pattern.
public struct EntryTable: Sendable, Equatable, RandomAccessCollection {
    var modules: [UInt32] = []
    var orders: [UInt32] = []
    /// `UInt32.max`: no explicit literal prefix.
    var prefixes: [UInt32] = []
    var patternEnds: [UInt32] = []
    var patternBytes: [UInt8] = []

    public var startIndex: Int { 0 }
    public var endIndex: Int { modules.count }

    init(_ entries: [GlobSet.Entry]) {
        modules.reserveCapacity(entries.count)
        for e in entries {
            modules.append(e.module)
            orders.append(e.order)
            prefixes.append(e.literalPrefix ?? UInt32.max)
            patternBytes += e.pattern
            patternEnds.append(UInt32(patternBytes.count))
        }
    }

    init(modules: [UInt32], orders: [UInt32], prefixes: [UInt32], patternEnds: [UInt32], patternBytes: [UInt8]) {
        self.modules = modules; self.orders = orders; self.prefixes = prefixes
        self.patternEnds = patternEnds; self.patternBytes = patternBytes
    }

    @inline(__always) public func module(_ i: Int) -> UInt32 { modules[i] }
    @inline(__always) public func order(_ i: Int) -> UInt32 { orders[i] }

    public func pattern(_ i: Int) -> ArraySlice<UInt8> {
        patternBytes[(i == 0 ? 0 : Int(patternEnds[i - 1]))..<Int(patternEnds[i])]
    }

    public subscript(i: Int) -> GlobSet.Entry {
        GlobSet.Entry(module: modules[i], order: orders[i], pattern: Array(pattern(i)),
                      literalPrefix: prefixes[i] == UInt32.max ? nil : prefixes[i])
    }
}
