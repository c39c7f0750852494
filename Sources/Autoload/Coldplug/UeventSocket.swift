#if canImport(Glibc)
import Glibc
#endif

/// The kernel's device events (NETLINK_KOBJECT_UEVENT, multicast group 1), for coldplug's
/// fixpoint: once the first walk has been made, a bus driver's new devices are announced here
/// with their MODALIAS, so nothing has to walk sysfs again while modules initialise (under
/// qemu TCG a walk in that time cost 0.1–4 s and competed with the inits for the CPUs).
/// Opened before the first walk, so a device added during or after it is never missed; the
/// MODALIAS dedupe absorbs the ones seen twice. Any user may listen to group 1; where the
/// socket cannot be made, `open()` returns nil and coldplug walks instead.
final class UeventSocket {
    private let fd: Int32

    /// A received kernel event: ACTION, the device's name (last DEVPATH component), and its
    /// KEY=VALUE fields, values as bytes.
    struct Event {
        var action: String
        var kernel: String
        var fields: [String: [UInt8]]
    }

    private static let netlinkKobjectUevent: Int32 = 15   // <linux/netlink.h>

    static func open() -> UeventSocket? {
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                        netlinkKobjectUevent)
        guard fd >= 0 else { return nil }
        // A burst of module loads makes hundreds of events; losing some only costs a re-walk,
        // but a big buffer avoids it (FORCE works as root, the plain size otherwise).
        var size: Int32 = 16 << 20
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid; __u32 nl_groups; }
        var addr = (UInt16(AF_NETLINK), UInt16(0), UInt32(0), UInt32(1))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, 12) }
        }
        guard bound == 0 else { close(fd); return nil }
        return UeventSocket(fd: fd)
    }

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Waits up to `timeout` seconds for the first event, then takes every event queued.
    /// `overflowed` is true when the kernel dropped events (ENOBUFS): the caller must walk.
    func receive(timeout: Double) -> (events: [Event], overflowed: Bool) {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(max(0, timeout * 1000))) > 0 else { return ([], false) }
        var events = [Event]()
        var overflowed = false
        var buf = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ENOBUFS { overflowed = true; continue }
                break   // EAGAIN: drained
            }
            if let e = Self.parse(buf[..<n]) { events.append(e) }
        }
        return (events, overflowed)
    }

    /// "ACTION@DEVPATH\0KEY=VALUE\0...". udevd's own re-broadcasts start with "libudev" and
    /// are not kernel events: skipped.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Event? {
        let parts = bytes.split(separator: 0)
        guard let head = parts.first, let at = head.firstIndex(of: UInt8(ascii: "@")) else { return nil }
        var fields = [String: [UInt8]]()
        for p in parts.dropFirst() {
            guard let eq = p.firstIndex(of: UInt8(ascii: "=")) else { continue }
            fields[String(decoding: p[..<eq], as: UTF8.self)] = Array(p[(eq + 1)...])
        }
        let devpath = head[(at + 1)...]
        let kernel = devpath.split(separator: UInt8(ascii: "/")).last.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return Event(action: String(decoding: head[..<at], as: UTF8.self), kernel: kernel, fields: fields)
    }
}
