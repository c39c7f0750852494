#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// The one place raw syscalls go through: retries EINTR, turns -1/errno into a thrown `Errno`.
/// (swift-system's own calls already do the same; these are the ones it lacks.)
@inline(__always)
public func syscallRetrying<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = Errno(rawValue: Glibc.errno)
        if e != .interrupted { throw e }
    }
}

/// mkdir(2) with mode 0755.
func createDirectory(_ path: FilePath) throws(Errno) {
    _ = try syscallRetrying { path.withPlatformString { mkdir($0, 0o755) } }
}

/// rename(2).
func rename(_ from: FilePath, _ to: FilePath) throws(Errno) {
    _ = try syscallRetrying { from.withPlatformString { f in to.withPlatformString { t in Glibc.rename(f, t) } } }
}

/// unlink(2).
func unlink(_ path: FilePath) throws(Errno) {
    _ = try syscallRetrying { path.withPlatformString { Glibc.unlink($0) } }
}

func getpidValue() -> Int32 { getpid() }
