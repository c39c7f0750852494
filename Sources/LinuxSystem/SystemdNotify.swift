import CLinux
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify(3) protocol without libsystemd: one datagram of `KEY=VALUE` lines to the
/// AF_UNIX socket named by `$NOTIFY_SOCKET` (a leading `@` means the abstract namespace).
public enum SystemdNotify {
    /// Sends `state` (e.g. "READY=1"); does nothing when not run by systemd. Returns the
    /// error, if sending failed (the caller logs it: not being able to notify is not fatal).
    @discardableResult
    public static func send(_ state: String, socketPath: String? = nil) -> Errno? {
        guard let path = socketPath ?? getenv("NOTIFY_SOCKET").map({ String(cString: $0) }), !path.isEmpty else {
            return nil
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return .fileNameTooLong }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        do {
            let fd = try syscallRetrying { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            defer { close(fd) }
            let message = Array(state.utf8)
            _ = try syscallRetrying {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), $0, length)
                    }
                }
            }
            return nil
        } catch {
            return error
        }
    }
}
