import LinuxSystem
import AliasMatcher
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The kernel's uevent socket as an event source: only the kernel's own messages become
/// events (`UeventListener` rejects the rest, and says why). Opened before the first walk, so
/// a device added during or after it is never missed; the engine's MODALIAS dedupe absorbs
/// the ones seen twice.
final class KernelUevents {
    private var listener: UeventListener
    private let receiveBuffer: Int
    private let sysfsRoot: String
    /// The highest SEQNUM received, to compare with the kernel's own count.
    private(set) var lastSeqnum: UInt64 = 0

    init(receiveBuffer: Int, sysfsRoot: String) throws(Errno) {
        listener = try UeventListener(receiveBuffer: receiveBuffer)
        self.receiveBuffer = receiveBuffer
        self.sysfsRoot = sysfsRoot
    }

    var descriptor: Int32 { listener.descriptor }
    var receiveBufferBytes: Int { listener.receiveBufferBytes }
    var forcedBuffer: Bool { listener.forcedBuffer }

    struct Batch {
        var events: [DeviceEvent] = []
        var rejected: [UeventRejection] = []
        /// The kernel dropped messages (ENOBUFS), or the socket failed and was reopened:
        /// the engine walks /sys for what they announced.
        var lost: String?
    }

    /// Takes every message queued now (never waits).
    func drain() -> Batch {
        var batch = Batch()
        while true {
            let received: UeventListener.Received?
            do {
                received = try listener.receive()
            } catch .noBufferSpace {
                batch.lost = "ENOBUFS"
                continue
            } catch {
                batch.lost = "receive error (\(error)); socket reopened"
                if let fresh = try? UeventListener(receiveBuffer: receiveBuffer) { listener = fresh }
                break
            }
            guard let received else { break }
            switch received {
            case .rejected(let why): batch.rejected.append(why)
            case .accepted(let m):
                if let s = m.value("SEQNUM").flatMap({ UInt64(String(decoding: $0, as: UTF8.self)) }), s > lastSeqnum {
                    lastSeqnum = s
                }
                batch.events.append(DeviceEvent(m))
            }
        }
        return batch
    }

    /// Whether the kernel has sent no event we have not received: its counter
    /// (/sys/kernel/uevent_seqnum) is not past the last SEQNUM here. The kernel counts an
    /// event and queues it on our socket under one lock, so after a drain a higher count
    /// means a message arrived since. (Events of other network namespaces are counted but
    /// never reach this socket: the engine gives up on the count after a while.)
    func kernelCountIsReceived() -> Bool {
        guard let bytes = try? SourceFile.readIfPresent(sysfsRoot + "/kernel/uevent_seqnum"),
              let count = UInt64(String(decoding: bytes.prefix { $0 >= 48 && $0 <= 57 }, as: UTF8.self)) else { return true }
        return count <= lastSeqnum
    }
}
