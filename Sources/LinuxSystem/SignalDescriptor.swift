import CLinux
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Owner of a signalfd(2) for SIGTERM, SIGINT and SIGHUP, so signals arrive as readable
/// data in the same poll(2) as uevents instead of interrupting a load or a lookup.
///
/// The signals are blocked (pthread_sigmask) for the calling thread before the descriptor
/// is made; threads started afterwards inherit the mask, so create this first.
public struct SignalDescriptor: ~Copyable {
    public let descriptor: Int32
    public static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Wraps pthread_sigmask(SIG_BLOCK) + signalfd(2).
    public init() throws(Errno) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in Self.handled { sigaddset(&set, s) }
        let rc = pthread_sigmask(SIG_BLOCK, &set, nil)
        guard rc == 0 else { throw Errno(rawValue: rc) }
        descriptor = try syscallRetrying { signalfd(-1, &set, Int32(SFD_CLOEXEC | SFD_NONBLOCK)) }
    }

    deinit { close(descriptor) }

    /// The next pending signal number, or nil (read(2) of one signalfd_siginfo).
    public func next() throws(Errno) -> Int32? {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        do {
            let n = try syscallRetrying { read(descriptor, &info, size) }
            return n == size ? Int32(info.ssi_signo) : nil
        } catch .resourceTemporarilyUnavailable {
            return nil
        }
    }
}

@available(*, unavailable)
extension SignalDescriptor: Sendable {}
