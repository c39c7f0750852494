import CKmod

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What happens to libkmod's log messages.
///
/// libkmod logs to stderr by default (errors and worse), which is noise for a
/// daemon that reports failures itself through ``KmodError``. We discard it
/// unless `AUTOLOAD_KMOD_DEBUG` is set: then libkmod keeps its stderr logger
/// and the variable's value is the syslog priority to log up to (a number
/// 0...7, or empty/anything else for debug; libkmod only emits debug messages
/// when built with debugging enabled, so info is usually the most you get).
public enum KmodLogging {
    /// Name of the environment variable that keeps libkmod logging on.
    public static let debugVariable = "AUTOLOAD_KMOD_DEBUG"

    /// Applies the policy to a fresh context: `kmod_set_log_fn` with a no-op,
    /// or `kmod_set_log_priority` when debugging.
    static func configure(_ context: OpaquePointer) {
        guard let raw = getenv(debugVariable) else {
            kmod_set_log_fn(context, { _, _, _, _, _, _, _ in }, nil)
            return
        }
        let level = Int32(String(cString: raw)).flatMap { (0...7).contains($0) ? $0 : nil }
        kmod_set_log_priority(context, level ?? LOG_DEBUG)
    }
}
