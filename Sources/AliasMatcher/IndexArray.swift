/// A read-only array of plain values for the compiled index: either memory of its own or a
/// view straight into the mapped index file, so opening the index copies nothing (copying
/// 7 MB out of the mapping into fresh pages was most of a one-shot process's time).
/// `owner` keeps whichever memory alive; the elements never change.
public struct IndexArray<Element: BitwiseCopyable>: RandomAccessCollection, @unchecked Sendable {
    let base: UnsafePointer<Element>?
    public let count: Int
    private let owner: AnyObject?

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inline(__always)
    public subscript(i: Int) -> Element {
        precondition(i >= 0 && i < count, "index out of range")
        return base.unsafelyUnwrapped[i]
    }

    public init() { base = nil; count = 0; owner = nil }

    /// Its own copy of `elements`.
    public init(_ elements: some Collection<Element>) {
        let n = elements.count
        let storage = IndexArrayStorage(bytes: n * MemoryLayout<Element>.stride, alignment: MemoryLayout<Element>.alignment)
        let typed = storage.pointer.bindMemory(to: Element.self, capacity: n)
        _ = UnsafeMutableBufferPointer(start: typed, count: n).initialize(from: elements)
        base = UnsafePointer(typed)
        count = n
        owner = storage
    }

    /// Its own copy of `count` elements stored (maybe unaligned) in `raw`.
    init(copying raw: UnsafeRawBufferPointer, count: Int) {
        let bytes = count * MemoryLayout<Element>.stride
        let storage = IndexArrayStorage(bytes: bytes, alignment: MemoryLayout<Element>.alignment)
        if bytes > 0 { storage.pointer.copyMemory(from: raw.baseAddress!, byteCount: bytes) }
        base = UnsafePointer(storage.pointer.bindMemory(to: Element.self, capacity: count))
        self.count = count
        owner = storage
    }

    /// A view of `buffer`, which `owner` keeps mapped for as long as this array lives.
    init(viewing buffer: UnsafeBufferPointer<Element>, owner: AnyObject) {
        base = buffer.baseAddress
        count = buffer.count
        self.owner = owner
    }

    public func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R? {
        try body(buffer)
    }
}

extension IndexArray where Element == UInt32 {
    /// True when these are end offsets into `total` bytes: never decreasing, none past the end
    /// (the index file's check for its name tables and pattern tables).
    func areEndOffsets(within total: Int) -> Bool {
        var previous: UInt32 = 0
        for e in buffer {
            if e < previous || Int(e) > total { return false }
            previous = e
        }
        return true
    }
}

extension IndexArray: Equatable where Element: Equatable {
    public static func == (a: Self, b: Self) -> Bool { a.buffer.elementsEqual(b.buffer) }
}

/// Heap memory owned by `IndexArray`s made in this process (built from text, or decoded from a
/// buffer that does not outlive the call). Raw bytes, not generic: a generic class's metadata
/// is instantiated at run time, which showed up in a one-shot process's profile.
final class IndexArrayStorage {
    let pointer: UnsafeMutableRawPointer

    init(bytes: Int, alignment: Int) {
        pointer = .allocate(byteCount: max(bytes, 1), alignment: max(alignment, 8))
    }

    deinit { pointer.deallocate() }
}
