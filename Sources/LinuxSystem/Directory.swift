#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Directory listings and symlinks, through the same funnel as every other call.
public enum Directory {
    /// The names in `path` (not `.` and `..`), as bytes: a file name need not be UTF-8.
    /// opendir(3) + readdir(3) + closedir(3).
    public static func entries(_ path: String) throws(Errno) -> [[UInt8]] {
        let dir = try syscallRetrying(failure: nil) { path.withCString { UnsafeMutableRawPointer(opendir($0)) } }
        let stream = OpaquePointer(dir)
        defer { closedir(stream) }
        var names = [[UInt8]]()
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { names.append(name) }
        }
        return names
    }

    /// A symlink's target, readlink(2).
    public static func linkTarget(_ path: String) throws(Errno) -> [UInt8] {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = try syscallRetrying { readlink(path, &buf, buf.count - 1) }
        return buf[..<n].map { UInt8(bitPattern: $0) }
    }
}
