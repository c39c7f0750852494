/// The pattern lines of a `GlobSet`, stored by column (module, order, literal prefix, pattern
/// bytes in one blob), so the index file loads them with a handful of copies instead of one
/// allocation per pattern.
public struct EntryTable: Sendable, Equatable, RandomAccessCollection {
    var modules: IndexArray<UInt32>
    var orders: IndexArray<UInt32>
    /// `UInt32.max`: no explicit literal prefix.
    var prefixes: IndexArray<UInt32>
    var patternEnds: IndexArray<UInt32>
    var patternBytes: IndexArray<UInt8>

    public var startIndex: Int { 0 }
    public var endIndex: Int { modules.count }

    init(_ entries: [GlobSet.Entry]) {
        var patternEnds = [UInt32](), patternBytes = [UInt8]()
        patternEnds.reserveCapacity(entries.count)
        for e in entries {
            patternBytes += e.pattern
            patternEnds.append(UInt32(patternBytes.count))
        }
        self.init(modules: IndexArray(entries.map(\.module)), orders: IndexArray(entries.map(\.order)),
                  prefixes: IndexArray(entries.map { $0.literalPrefix ?? UInt32.max }),
                  patternEnds: IndexArray(patternEnds), patternBytes: IndexArray(patternBytes))
    }

    init(modules: IndexArray<UInt32>, orders: IndexArray<UInt32>, prefixes: IndexArray<UInt32>,
         patternEnds: IndexArray<UInt32>, patternBytes: IndexArray<UInt8>) {
        self.modules = modules; self.orders = orders; self.prefixes = prefixes
        self.patternEnds = patternEnds; self.patternBytes = patternBytes
    }

    @inline(__always) public func module(_ i: Int) -> UInt32 { modules[i] }
    @inline(__always) public func order(_ i: Int) -> UInt32 { orders[i] }

    public func pattern(_ i: Int) -> Slice<IndexArray<UInt8>> {
        patternBytes[(i == 0 ? 0 : Int(patternEnds[i - 1]))..<Int(patternEnds[i])]
    }

    public subscript(i: Int) -> GlobSet.Entry {
        GlobSet.Entry(module: modules[i], order: orders[i], pattern: Array(pattern(i)),
                      literalPrefix: prefixes[i] == UInt32.max ? nil : prefixes[i])
    }
}
