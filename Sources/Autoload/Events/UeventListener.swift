import LinuxSystem
import AliasMatcher
import CLinux
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Owner of a NETLINK_KOBJECT_UEVENT socket bound to the kernel's multicast group 1, as
/// udevd's monitor is. Non-blocking: `receive` answers nil when nothing is queued, so the
/// caller can poll it next to a signalfd.
///
/// Only messages the kernel sent are accepted: sender port id 0 *and* SCM_CREDENTIALS with uid
/// 0, not truncated, well formed. A root process can send to group 1 with uid 0 credentials;
/// the port id is what it cannot forge.
///
/// Not `Sendable`: one thread receives.
public struct UeventListener: ~Copyable {
    public let descriptor: Int32
    /// What the kernel granted (it doubles the request; SO_RCVBUF is capped by rmem_max).
    public let receiveBufferBytes: Int
    /// Whether SO_RCVBUFFORCE (CAP_NET_ADMIN) worked, or the capped SO_RCVBUF was used.
    public let forcedBuffer: Bool
    /// Owned here, freed in deinit (raw memory: recvmsg writes into it, nothing copies it).
    private let buffer: UnsafeMutableRawBufferPointer
    private let control: UnsafeMutableRawBufferPointer

    /// Wraps socket(2) + setsockopt(2) (SO_RCVBUFFORCE, else SO_RCVBUF; SO_PASSCRED) + bind(2).
    public init(group: UInt32 = 1, receiveBuffer: Int = 128 << 20) throws(Errno) {
        let fd = try syscallRetrying {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                   NETLINK_KOBJECT_UEVENT)
        }
        do throws(Errno) {
            var size = Int32(clamping: receiveBuffer)
            let len = socklen_t(MemoryLayout<Int32>.size)
            var forced = true
            if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, len) != 0 {
                forced = false
                _ = try syscallRetrying { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, len) }
            }
            var on: Int32 = 1
            _ = try syscallRetrying { setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, len) }
            var address = sockaddr_nl()
            address.nl_family = sa_family_t(AF_NETLINK)
            address.nl_groups = group
            _ = try syscallRetrying {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
            var granted: Int32 = 0
            var glen = len
            _ = try syscallRetrying { getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &glen) }
            descriptor = fd
            receiveBufferBytes = Int(granted)
            forcedBuffer = forced
        } catch {
            close(fd)
            throw error
        }
        // The kernel's messages fit in UEVENT_BUFFER_SIZE (2048) plus the header; anything
        // bigger is not the kernel's and shows up as MSG_TRUNC.
        buffer = .allocate(byteCount: 8192, alignment: 8)
        control = .allocate(byteCount: clinux_netlink_credentials_space(), alignment: 8)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
        control.deallocate()
    }

    public enum Received: Sendable {
        case accepted(UeventMessage)
        case rejected(UeventRejection)
    }

    /// One datagram (recvmsg(2)), checked and parsed; nil when none is queued (EAGAIN).
    /// Throws ENOBUFS when the kernel dropped messages for this socket: the caller resyncs.
    public func receive() throws(Errno) -> Received? {
        let raw: Datagram
        do throws(Errno) {
            raw = try Self.receive(descriptor, buffer, control)
        } catch .resourceTemporarilyUnavailable {
            return nil
        }
        if raw.truncated { return .rejected(.truncated(bytes: raw.count)) }
        if raw.senderPort != 0 { return .rejected(.notFromKernel(portID: raw.senderPort)) }
        guard let uid = raw.uid else { return .rejected(.noCredentials) }
        if uid != 0 { return .rejected(.notRoot(uid: uid)) }
        let parsed = UeventMessage.parse(UnsafeRawBufferPointer(rebasing: buffer[..<raw.count]))
        switch parsed {
        case .success(let m): return .accepted(m)
        case .failure(let why): return .rejected(why)
        }
    }

    /// What recvmsg(2) said about one datagram, before any checks.
    private struct Datagram {
        var count: Int
        var truncated: Bool
        var senderPort: UInt32
        var uid: UInt32?
    }

    private static func receive(_ fd: Int32, _ data: UnsafeMutableRawBufferPointer,
                                _ control: UnsafeMutableRawBufferPointer) throws(Errno) -> Datagram {
        var sender = sockaddr_nl()
        var iov = iovec(iov_base: data.baseAddress, iov_len: data.count)
        var msg = msghdr()
        msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_nl>.size)
        msg.msg_iovlen = 1
        msg.msg_control = control.baseAddress
        msg.msg_controllen = control.count
        let n = try withUnsafeMutablePointer(to: &sender) { senderPointer throws(Errno) in
            try withUnsafeMutablePointer(to: &iov) { iovPointer throws(Errno) in
                msg.msg_name = UnsafeMutableRawPointer(senderPointer)
                msg.msg_iov = iovPointer
                return try syscallRetrying { recvmsg(fd, &msg, 0) }
            }
        }
        var uid: UInt32 = 0, pid: Int32 = 0
        let hasCredentials = clinux_netlink_find_credentials(&msg, &uid, &pid) != 0
        return Datagram(count: n, truncated: msg.msg_flags & Int32(MSG_TRUNC) != 0,
                        senderPort: sender.nl_pid, uid: hasCredentials ? uid : nil)
    }
}

@available(*, unavailable)
extension UeventListener: Sendable {}
