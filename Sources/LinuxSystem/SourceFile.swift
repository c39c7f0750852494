import SystemPackage

/// What identifies one version of an input file: the compiled index is valid while every
/// source still has the same stamp.
public struct FileStamp: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeSeconds: Int64
    public var mtimeNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, mtimeSeconds: Int64, mtimeNanoseconds: Int64) {
        self.device = device; self.inode = inode; self.size = size
        self.mtimeSeconds = mtimeSeconds; self.mtimeNanoseconds = mtimeNanoseconds
    }

    /// Same size and modification second: device, inode and nanoseconds are left out so an
    /// index built beside a tree stays valid when both are copied (cpio keeps whole-second
    /// mtimes), e.g. into an initramfs.
    public func sameVersion(as other: FileStamp) -> Bool {
        size == other.size && mtimeSeconds == other.mtimeSeconds
    }

    /// A file that does not exist has this stamp, so its later appearance is noticed too.
    public static let missing = FileStamp(device: 0, inode: 0, size: -1, mtimeSeconds: 0, mtimeNanoseconds: 0)

    /// stat(2) through swift-system; a missing file gives `.missing`.
    public static func of(_ path: String) throws(TreeError) -> FileStamp {
        do {
            return FileStamp(try Stat(FilePath(path)))
        } catch {
            let e = errno(of: error)
            if e == .noSuchFileOrDirectory { return .missing }
            throw TreeError.unreadable(path: path, errno: e.rawValue)
        }
    }
}

extension FileStamp {
    public init(_ st: Stat) {
        self.init(device: UInt64(st.deviceID.rawValue), inode: UInt64(st.inode.rawValue), size: st.size,
                  mtimeSeconds: Int64(st.st_mtim.tv_sec), mtimeNanoseconds: Int64(st.st_mtim.tv_nsec))
    }
}

/// An error about one input file, naming it (and the line, where there is one).
public enum TreeError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(path: String)
    case unreadable(path: String, errno: Int32)
    case malformed(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .missing(let p): return "\(p): no such file"
        case .unreadable(let p, let e): return "\(p): \(Errno(rawValue: e))"
        case .malformed(let p, let l, let r): return "\(p):\(l): \(r)"
        }
    }
}

/// Whole-file reads through swift-system (EINTR is retried there).
public enum SourceFile {
    /// open(2) read-only; nil when the file does not exist, any other failure names the path.
    public static func openIfPresent(_ path: String) throws(TreeError) -> FileDescriptor? {
        do {
            return try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            let e = errno(of: error)
            if e == .noSuchFileOrDirectory { return nil }
            throw .unreadable(path: path, errno: e.rawValue)
        }
    }

    /// The bytes of `path`, or nil when it does not exist.
    public static func readIfPresent(_ path: String) throws(TreeError) -> [UInt8]? {
        guard let fd = try openIfPresent(path) else { return nil }
        defer { try? fd.close() }
        var out = [UInt8]()
        // /proc and /sys files report size 0 and are small: start at a page, not 64 KiB of zeros.
        var chunk = 1 << 12
        do {
            // One allocation of the file's size; the loop still copes with files that grow.
            // Only a plausible size: a directory on ext4 reports LLONG_MAX here, and size + 1
            // trapped; past the bound the chunked loop reads (or read(2) reports EISDIR).
            if let size = try? fd.seek(offset: 0, from: .end) {
                _ = try fd.seek(offset: 0, from: .start)
                if size > 0, size < 1 << 32 { chunk = Int(size) + 1 }
            }
            while true {
                let start = out.count
                out.append(contentsOf: repeatElement(0, count: chunk))
                let n = try out.withUnsafeMutableBytes { buf in
                    try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[start...]))
                }
                out.removeLast(chunk - n)
                if n == 0 { return out }
                chunk = min(chunk * 2, 1 << 24)
            }
        } catch {
            throw .unreadable(path: path, errno: errno(of: error).rawValue)
        }
    }

    /// Writes `bytes` to a temporary name beside `path` (mode 0644), then renames it over
    /// `path`, so a reader sees the old file or the new one, never half of one.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(Errno) {
        let tmp = FilePath(path + ".tmp.\(getpidValue())")
        do {
            let fd = try FileDescriptor.open(tmp, .writeOnly, options: [.create, .truncate, .closeOnExec],
                                             permissions: [.ownerReadWrite, .groupRead, .otherRead])
            try fd.closeAfter { _ = try fd.writeAll(bytes) }
            try rename(tmp, FilePath(path))
        } catch {
            _ = try? unlink(tmp)
            throw errno(of: error)
        }
    }

    public static func read(_ path: String) throws(TreeError) -> [UInt8] {
        guard let bytes = try readIfPresent(path) else { throw .missing(path: path) }
        return bytes
    }

    /// Splits into lines (without the newline) with their 1-based numbers, skipping blank lines.
    public static func lines(_ bytes: [UInt8], _ body: (_ line: ArraySlice<UInt8>, _ number: Int) throws(TreeError) -> Void) throws(TreeError) {
        var start = 0, number = 0
        while start < bytes.count {
            number += 1
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            if end > start { try body(bytes[start..<end], number) }
            start = end + 1
        }
    }
}

/// swift-system throws `Errno`; anything else is reported as EIO.
public func errno(of error: any Error) -> Errno {
    (error as? Errno) ?? .ioError
}
