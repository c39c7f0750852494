#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import AliasMatcher

/// libkmod opens each modprobe.d file and, when open(2) fails, skips it without a word
/// (libkmod-config.c logs that at debug level only), so an unreadable blacklist, options or
/// alias file would silently change what loads. Every file libkmod would read is opened here
/// first: one that cannot be is an error naming it (`autoloadd` exits 3), as documented.
enum ConfigReadability {
    /// libkmod's directories when no --config is given (kmod 30, default_config_paths).
    static let defaultPaths = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d"]

    static func check(_ paths: [String]?) throws(TreeError) {
        for path in paths ?? defaultPaths {
            var st = stat()
            guard stat(path, &st) == 0 else {
                let e = errno
                if e == ENOENT || e == ENOTDIR { continue }   // a missing path means no configuration
                throw .unreadable(path: path, errno: e)
            }
            guard st.st_mode & S_IFMT == S_IFDIR else {
                try open(Array(path.utf8))
                continue
            }
            guard let dir = opendir(path) else { throw .unreadable(path: path, errno: errno) }
            defer { closedir(dir) }
            for name in configNames(dir) { try open(Array(path.utf8) + [UInt8(ascii: "/")] + name) }
        }
    }

    /// The entries of an open directory libkmod reads (conf_files_filter_out): not hidden,
    /// *.conf or *.alias. Names as bytes: a file name need not be UTF-8.
    static func configNames(_ dir: OpaquePointer) -> [[UInt8]] {
        var names = [[UInt8]]()
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            guard name.first != UInt8(ascii: "."), name.ends(with: ".conf") || name.ends(with: ".alias") else { continue }
            names.append(name)
        }
        return names
    }

    private static func open(_ path: [UInt8]) throws(TreeError) {
        let fd = (path + [0]).withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { Glibc.open($0.baseAddress!, O_RDONLY | O_CLOEXEC) }
        }
        if fd >= 0 { close(fd); return }
        let e = errno
        // Gone since the listing, or a dangling symlink: nothing there to lose.
        if e == ENOENT { return }
        throw .unreadable(path: String(decoding: path, as: UTF8.self), errno: e)
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: String) -> Bool {
        let s = Array(suffix.utf8)
        return count >= s.count && self[(count - s.count)...].elementsEqual(s)
    }
}
