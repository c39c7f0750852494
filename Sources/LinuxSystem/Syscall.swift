#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// The one place raw system calls go through: retries EINTR, turns -1/errno into a thrown
/// `Errno`. (swift-system's own calls already do the same; these are the ones it lacks.)
@inline(__always)
public func syscallRetrying<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = Errno(rawValue: Glibc.errno)
        if e != .interrupted { throw e }
    }
}

/// The same funnel for calls that return a pointer and a sentinel on failure (mmap(2):
/// MAP_FAILED).
@inline(__always)
public func syscallRetrying(failure: UnsafeMutableRawPointer?, _ body: () -> UnsafeMutableRawPointer?) throws(Errno) -> UnsafeMutableRawPointer {
    while true {
        if let r = body(), r != failure { return r }
        let e = Errno(rawValue: Glibc.errno)
        if e != .interrupted { throw e }
    }
}

/// The errno of the call that just failed, for C libraries that report failure their own
/// way and leave the reason in errno (libkmod's kmod_new).
public func lastErrno() -> Errno { Errno(rawValue: Glibc.errno) }

/// mkdir(2) with mode 0755.
public func createDirectory(_ path: FilePath) throws(Errno) {
    _ = try syscallRetrying { path.withPlatformString { mkdir($0, 0o755) } }
}

/// mkdir -p: each missing directory on the way to `path`, mode 0755 (an image root's
/// var/cache/autoload may not exist yet).
public func createDirectories(_ path: FilePath) throws(Errno) {
    var prefix = FilePath(path.root?.string ?? "")
    for component in path.components {
        prefix.append(component)
        do { try createDirectory(prefix) } catch .fileExists { continue }
    }
}

/// rename(2).
public func rename(_ from: FilePath, _ to: FilePath) throws(Errno) {
    _ = try syscallRetrying { from.withPlatformString { f in to.withPlatformString { t in Glibc.rename(f, t) } } }
}

/// unlink(2).
public func unlink(_ path: FilePath) throws(Errno) {
    _ = try syscallRetrying { path.withPlatformString { Glibc.unlink($0) } }
}

public func getpidValue() -> Int32 { getpid() }

/// CLOCK_REALTIME in whole seconds (clock_gettime(2)): what file times are compared with.
public func realtimeSeconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec)
}

/// CLOCK_MONOTONIC in seconds (clock_gettime(2)).
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// What kind of device node mknod(2) makes.
public enum DeviceNodeKind: Sendable {
    case character, block
}

/// mknod(2) with S_IFCHR/S_IFBLK and `permissions` (the process umask still applies);
/// throws EEXIST when anything already has the path: an existing node is never replaced.
public func makeDeviceNode(_ path: FilePath, kind: DeviceNodeKind, major: UInt32, minor: UInt32,
                           permissions: mode_t) throws(Errno) {
    // makedev(3) is a macro Swift does not import; this is glibc's encoding.
    let maj = UInt64(major), min = UInt64(minor)
    let high: UInt64 = ((maj & 0xffff_f000) << 32) | ((min & 0xffff_ff00) << 12)
    let low: UInt64 = ((maj & 0xfff) << 8) | (min & 0xff)
    let dev = dev_t(high | low)
    let type: mode_t = kind == .character ? S_IFCHR : S_IFBLK
    _ = try syscallRetrying { path.withPlatformString { mknod($0, type | permissions, dev) } }
}
