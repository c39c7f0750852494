import CLinux
import Testing
import Foundation
@testable import Autoload

/// This machine's kernel as a uevent source for tests: root, a real /sys, netlink uevents.
/// Writing `add` / `change` into a device's `uevent` file makes the kernel broadcast one.
enum UeventHost {
    /// Whether the tests that need real kernel uevents can run here. With
    /// `AUTOLOAD_REQUIRE_UEVENTS=1` (set by scripts/test.sh) a missing capability is a failure,
    /// not a skip.
    static let available: Bool = {
        guard getuid() == 0, triggerDevice != nil else { return false }
        return (try? UeventListener(receiveBuffer: 1 << 20)) != nil
    }()

    static var required: Bool { ProcessInfo.processInfo.environment["AUTOLOAD_REQUIRE_UEVENTS"] == "1" }

    /// A device with a MODALIAS whose uevent file we can write: pcspkr if present.
    static let triggerDevice: String? = {
        let preferred = "/sys/devices/platform/pcspkr"
        if modalias(ofDevice: preferred) != nil, access(preferred + "/uevent", W_OK) == 0 { return preferred }
        return devicesWithModalias().first { access($0 + "/uevent", W_OK) == 0 }
    }()

    /// `/devices/...`: the DEVPATH the kernel reports for a /sys/devices directory.
    static func devpath(_ sysPath: String) -> String { String(sysPath.dropFirst("/sys".count)) }

    /// MODALIAS= from the device's uevent file, read here, independently of SysfsWalker.
    static func modalias(ofDevice dir: String) -> String? {
        guard let text = try? String(contentsOfFile: dir + "/uevent", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MODALIAS=") {
            let v = String(line.dropFirst("MODALIAS=".count))
            return v.isEmpty ? nil : v
        }
        return nil
    }

    /// Every /sys/devices directory whose uevent has a MODALIAS (FileManager's walk, no symlinks).
    static func devicesWithModalias() -> [String] {
        var out = [String]()
        let root = URL(fileURLWithPath: "/sys/devices")
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isSymbolicLinkKey]) else { return [] }
        while let url = e.nextObject() as? URL {
            guard url.lastPathComponent == "uevent" else { continue }
            let dir = url.deletingLastPathComponent().path
            if modalias(ofDevice: dir) != nil { out.append(dir) }
        }
        return out
    }

    /// echo ACTION > DIR/uevent
    static func trigger(_ action: String, _ dir: String) throws {
        try Data((action + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/uevent"))
    }
}

/// A userspace process playing the kernel: a NETLINK_KOBJECT_UEVENT socket that sends to
/// multicast group 1 (root may), optionally with uid 0 SCM_CREDENTIALS.
struct SpoofSender: ~Copyable {
    let fd: Int32

    init() throws {
        fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_KOBJECT_UEVENT)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit { close(fd) }

    /// A well-formed kernel-style message: `add@DEVPATH` then NUL-terminated fields.
    static func message(devpath: String, modalias: String, seqnum: Int) -> [UInt8] {
        var m = Array("add@\(devpath)".utf8) + [0]
        for f in ["ACTION=add", "DEVPATH=\(devpath)", "SUBSYSTEM=platform", "MODALIAS=\(modalias)", "SEQNUM=\(seqnum)"] {
            m += Array(f.utf8) + [0]
        }
        return m
    }

    /// sendmsg(2) to group 1 (or to one port); returns errno or 0.
    @discardableResult
    func send(_ bytes: [UInt8], credentials: Bool = true, toPort port: UInt32 = 0, group: UInt32 = 1) -> Int32 {
        var destination = sockaddr_nl()
        destination.nl_family = sa_family_t(AF_NETLINK)
        destination.nl_pid = port
        destination.nl_groups = port == 0 ? group : 0
        var control = [UInt8](repeating: 0, count: clinux_netlink_credentials_space())
        var payload = bytes
        return payload.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { ctl in
                withUnsafeMutablePointer(to: &destination) { dst in
                    var iov = iovec(iov_base: data.baseAddress, iov_len: data.count)
                    return withUnsafeMutablePointer(to: &iov) { iovp in
                        var msg = msghdr()
                        msg.msg_name = UnsafeMutableRawPointer(dst)
                        msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_nl>.size)
                        msg.msg_iov = iovp
                        msg.msg_iovlen = 1
                        if credentials {
                            msg.msg_control = ctl.baseAddress
                            msg.msg_controllen = ctl.count
                            clinux_netlink_put_credentials(&msg, 0, 0, getpid())
                        }
                        return sendmsg(fd, &msg, 0) < 0 ? errno : 0
                    }
                }
            }
        }
    }
}

/// Every suite that makes or listens to real kernel uevents is nested here: one at a time,
/// because each one's events reach every other one's listener (a storm in one would retry
/// another's failed loads, as a new kernel event should).
@Suite(.serialized) enum RealKernelUevents {}
