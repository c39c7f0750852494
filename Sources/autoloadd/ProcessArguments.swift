#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// The command line as argv held it. Taken from the C start-up code (CLinux's constructor)
/// rather than from CommandLine, which the Swift runtime fills from /proc/self/cmdline: an
/// image builder's chroot or an early initramfs may have no /proc, and autoloadd must still
/// see its arguments there.
enum ProcessArguments {
    /// Each argument's bytes, unchanged (a MODALIAS operand may hold any byte but NUL).
    static let raw: [[UInt8]] = {
        let argc = Int(clinux_argc())
        guard argc > 0, let argv = clinux_argv() else {
            return CommandLine.arguments.map { Array($0.utf8) }
        }
        return (0..<argc).map { i in
            guard let p = argv[i] else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: strlen(p)))
        }
    }()

    /// The arguments as Strings; bytes that are not UTF-8 become U+FFFD, as in CommandLine.
    static let strings: [String] = raw.map { String(decoding: $0, as: UTF8.self) }
}
