#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A read-only mmap(2) of a whole file; munmap(2) when the last reference goes. The compiled
/// index is read through it and its arrays stay views into it (`IndexArray`), so opening costs
/// page faults on what is touched, not a copy of the file.
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer

    /// Maps `path`; nil when it does not exist.
    public static func open(_ path: String) throws(TreeError) -> MappedFile? {
        guard let fd = try SourceFile.openIfPresent(path) else { return nil }
        defer { try? fd.close() }
        let size: Int64
        do { size = try fd.seek(offset: 0, from: .end) } catch { throw .unreadable(path: path, errno: errno(of: error).rawValue) }
        guard size > 0 else { return MappedFile(bytes: UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let p = mmap(nil, Int(size), PROT_READ, MAP_PRIVATE, fd.rawValue, 0), p != MAP_FAILED else {
            throw .unreadable(path: path, errno: Glibc.errno)
        }
        return MappedFile(bytes: UnsafeRawBufferPointer(start: p, count: Int(size)))
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
