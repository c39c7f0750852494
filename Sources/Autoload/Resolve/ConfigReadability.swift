#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import AliasMatcher
import LinuxSystem

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
            do { _ = try syscallRetrying { stat(path, &st) } } catch {
                if error == .noSuchFileOrDirectory || error == .notDirectory { continue }   // a missing path means no configuration
                throw .unreadable(path: path, errno: error.rawValue)
            }
            guard st.st_mode & S_IFMT == S_IFDIR else {
                try open(Array(path.utf8))
                continue
            }
            let names: [[UInt8]]
            do { names = try Directory.entries(path) } catch { throw .unreadable(path: path, errno: error.rawValue) }
            for name in configNames(names) { try open(Array(path.utf8) + [UInt8(ascii: "/")] + name) }
        }
    }

    /// The entries of a directory libkmod reads (conf_files_filter_out): not hidden,
    /// *.conf or *.alias. Names as bytes: a file name need not be UTF-8.
    static func configNames(_ names: [[UInt8]]) -> [[UInt8]] {
        names.filter { $0.first != UInt8(ascii: ".") && ($0.ends(with: ".conf") || $0.ends(with: ".alias")) }
    }

    private static func open(_ path: [UInt8]) throws(TreeError) {
        do {
            let fd = try syscallRetrying {
                (path + [0]).withUnsafeBufferPointer { p in
                    p.withMemoryRebound(to: CChar.self) { Glibc.open($0.baseAddress!, O_RDONLY | O_CLOEXEC) }
                }
            }
            close(fd)
        } catch {
            // Gone since the listing, or a dangling symlink: nothing there to lose.
            if error == .noSuchFileOrDirectory { return }
            throw .unreadable(path: String(decoding: path, as: UTF8.self), errno: error.rawValue)
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: String) -> Bool {
        let s = Array(suffix.utf8)
        return count >= s.count && self[(count - s.count)...].elementsEqual(s)
    }
}
