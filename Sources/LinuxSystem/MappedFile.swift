#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A read-only mmap(2) of a whole file; munmap(2) when the last reference goes. The compiled
/// index is read through it and its arrays stay views into it (`IndexArray`), so opening costs
/// page faults on what is touched, not a copy of the file.
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    /// fstat(2) of the file as it was mapped: which inode, and when it last changed.
    public let identity: FileIdentity

    /// Maps `path`; nil when it does not exist.
    public static func open(_ path: String) throws(TreeError) -> MappedFile? {
        guard let fd = try SourceFile.openIfPresent(path) else { return nil }
        defer { try? fd.close() }
        let identity: FileIdentity
        do { identity = FileIdentity(try fd.stat()) } catch { throw .unreadable(path: path, errno: error.rawValue) }
        let size = identity.stamp.size
        guard size > 0 else { return MappedFile(bytes: UnsafeRawBufferPointer(start: nil, count: 0), identity: identity) }
        let p: UnsafeMutableRawPointer
        do { p = try syscallRetrying(failure: MAP_FAILED) { mmap(nil, Int(size), PROT_READ, MAP_PRIVATE, fd.rawValue, 0) } }
        catch { throw .unreadable(path: path, errno: error.rawValue) }
        return MappedFile(bytes: UnsafeRawBufferPointer(start: p, count: Int(size)), identity: identity)
    }

    private init(bytes: UnsafeRawBufferPointer, identity: FileIdentity) {
        self.bytes = bytes
        self.identity = identity
    }

    /// madvise(MADV_DONTNEED): gives back the pages a full read (the checksum) made resident;
    /// they fault in again from the page cache when a lookup touches them. A long-lived
    /// process otherwise keeps the whole file in its RSS.
    public func dropResidentPages() {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_DONTNEED)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// What stat(2) says identifies one version of a file: its `FileStamp` and its change time,
/// which user space cannot set and which moves on every write, so an equal identity means
/// the same bytes.
public struct FileIdentity: Equatable, Sendable {
    public var stamp: FileStamp
    public var ctimeSeconds: Int64, ctimeNanoseconds: Int64

    public init(_ st: Stat) {
        stamp = FileStamp(st)
        ctimeSeconds = Int64(st.st_ctim.tv_sec); ctimeNanoseconds = Int64(st.st_ctim.tv_nsec)
    }
}
