/// Module names as one byte blob plus end offsets, as the index file stores them. Opened from
/// the file, both stay views into its mapping and a name becomes a `String` only when a lookup
/// returns it: decoding all ~4,000 names (and allocating twice for each) at open was a tenth
/// of the udev helper's run.
public struct NameTable: RandomAccessCollection, Equatable, Sendable {
    let ends: IndexArray<UInt32>
    let blob: IndexArray<UInt8>

    public var startIndex: Int { 0 }
    public var endIndex: Int { ends.count }

    /// Offsets are clamped, not trusted: a damaged table gives a wrong name, never a bad read.
    public subscript(i: Int) -> String {
        let hi = Swift.min(Int(ends[i]), blob.count)
        let lo = Swift.min(i == 0 ? 0 : Int(ends[i - 1]), hi)
        return blob.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[lo..<hi]), as: UTF8.self) }
    }

    public init(_ names: [String]) {
        var ends = [UInt32](), blob = [UInt8]()
        ends.reserveCapacity(names.count)
        for n in names { blob += n.utf8; ends.append(UInt32(blob.count)) }
        self.ends = IndexArray(ends)
        self.blob = IndexArray(blob)
    }

    init(ends: IndexArray<UInt32>, blob: IndexArray<UInt8>) {
        self.ends = ends
        self.blob = blob
    }

    /// True when every end offset is in order and inside the blob (the index file's check).
    var isConsistent: Bool { ends.areEndOffsets(within: blob.count) }

    public static func == (a: NameTable, b: NameTable) -> Bool { a.ends == b.ends && a.blob == b.blob }
}
