#if canImport(Glibc)
import Glibc
#endif

/// The kernel's device events (NETLINK_KOBJECT_UEVENT, multicast group 1), for coldplug's
/// fixpoint: once the first walk has been made, a bus driver's new devices are announced here
/// with their MODALIAS, so nothing has to walk sysfs again while modules initialise (under
/// qemu TCG a walk in that time cost 0.1–4 s and competed with the inits for the CPUs).
/// Opened before the first walk, so a device added during or after it is never missed; the
/// MODALIAS dedupe absorbs the ones seen twice. Where the socket cannot be made, `open()`
/// returns nil and coldplug walks instead.
///
/// Received through the daemon's `UeventListener`, so only the kernel's own messages count:
/// a process that sends to group 1 cannot make coldplug load anything.
final class UeventSocket {
    private let listener: UeventListener

    /// A received kernel event: ACTION, the device's name (last DEVPATH component), and its
    /// KEY=VALUE fields, values as bytes.
    struct Event {
        var action: String
        var kernel: String
        var fields: [String: [UInt8]]
    }

    static func open() -> UeventSocket? {
        // A burst of module loads makes hundreds of events; losing some only costs a re-walk,
        // but a big buffer avoids it.
        guard let listener = try? UeventListener(receiveBuffer: 16 << 20) else { return nil }
        return UeventSocket(listener)
    }

    private init(_ listener: consuming UeventListener) { self.listener = listener }

    /// Waits up to `timeout` seconds for the first event, then takes every event queued.
    /// `overflowed` is true when the kernel dropped events (ENOBUFS), or the socket failed:
    /// the caller must walk.
    func receive(timeout: Double) -> (events: [Event], overflowed: Bool) {
        var pfd = pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(max(0, timeout * 1000))) > 0 else { return ([], false) }
        var events = [Event]()
        var overflowed = false
        while true {
            let received: UeventListener.Received?
            do {
                received = try listener.receive()
            } catch .noBufferSpace {
                overflowed = true
                continue
            } catch {
                overflowed = true
                break
            }
            guard let received else { break }   // drained
            // Rejected messages (not from the kernel, truncated, malformed) are never acted on.
            guard case .accepted(let m) = received else { continue }
            var fields = [String: [UInt8]]()
            for f in m.fields { fields[String(decoding: f.key, as: UTF8.self)] = f.value }
            events.append(Event(action: String(decoding: m.action, as: UTF8.self),
                                kernel: String(decoding: m.kernelName, as: UTF8.self), fields: fields))
        }
        return (events, overflowed)
    }
}
