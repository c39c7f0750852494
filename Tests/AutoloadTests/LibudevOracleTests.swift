import CUdev
import Foundation
import Glibc
import Testing
@testable import Autoload

/// libudev, the library udev's own tools use, as the oracle for what autoload reads from the
/// kernel: the /sys walk must find the devices `udev_enumerate_scan_devices` finds, with the
/// MODALIAS `udev_device_get_property_value` reports, and the uevent parser must yield the
/// properties a libudev kernel monitor (`udev_monitor_new_from_netlink(udev, "kernel")`)
/// yields for the same real events.
@Suite struct LibudevOracleTests {
    /// DEVPATH → MODALIAS of every device libudev enumerates (bus and class, as
    /// `udevadm trigger`), where it has a non-empty one.
    static func libudevModaliases() throws -> [String: String] {
        let udev = try #require(udev_new())
        defer { udev_unref(udev) }
        let e = try #require(udev_enumerate_new(udev))
        defer { udev_enumerate_unref(e) }
        #expect(udev_enumerate_scan_devices(e) >= 0)
        var out = [String: String]()
        var entry = udev_enumerate_get_list_entry(e)
        while let current = entry {
            defer { entry = udev_list_entry_get_next(current) }
            guard let syspath = udev_list_entry_get_name(current),
                  let device = udev_device_new_from_syspath(udev, syspath) else { continue }
            defer { udev_device_unref(device) }
            guard let devpath = udev_device_get_devpath(device),
                  let value = udev_device_get_property_value(device, "MODALIAS") else { continue }
            let m = String(cString: value)
            if !m.isEmpty { out[String(cString: devpath)] = m }
        }
        return out
    }

    @Test func walkFindsWhatLibudevEnumerates() throws {
        let theirs = try Self.libudevModaliases()
        var ours = [String: [String]]()
        for e in SysfsWalker(root: "/sys").walk().events where !e.modaliases.isEmpty {
            ours[String(decoding: e.devpath, as: UTF8.self)] = e.modaliases.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(theirs.count >= 10, "libudev found only \(theirs.count) devices with a MODALIAS here")
        let onlyTheirs = Set(theirs.keys).subtracting(ours.keys).sorted()
        let onlyOurs = Set(ours.keys).subtracting(theirs.keys).sorted()
        #expect(onlyTheirs.isEmpty, "libudev enumerates, the walk misses: \(onlyTheirs.prefix(10))")
        #expect(onlyOurs.isEmpty, "the walk finds, libudev does not enumerate: \(onlyOurs.prefix(10))")
        // libudev keeps one value per key, the uevent file's last; the walk keeps every one.
        for (devpath, value) in theirs {
            guard let values = ours[devpath] else { continue }
            #expect(values.last == value, "\(devpath): libudev \(value), walk \(values)")
        }
        print("walk vs libudev: \(theirs.count) devices with a MODALIAS, \(onlyTheirs.count + onlyOurs.count) differences")
    }

    /// One `add` written to a device's uevent file reaches both sockets: libudev's kernel
    /// monitor and ours must report the same action, DEVPATH and KEY=VALUE properties.
    @Test(.enabled(if: UeventHost.available || UeventHost.required))
    func parserYieldsWhatALibudevKernelMonitorReceives() throws {
        try #require(UeventHost.available, "needs root, netlink uevents and a device to trigger")
        let device = try #require(UeventHost.triggerDevice)
        let udev = try #require(udev_new())
        defer { udev_unref(udev) }
        let monitor = try #require(udev_monitor_new_from_netlink(udev, "kernel"))
        defer { udev_monitor_unref(monitor) }
        #expect(udev_monitor_enable_receiving(monitor) == 0)
        let listener = try UeventListener(receiveBuffer: 1 << 20)
        let devpath = UeventHost.devpath(device)

        var compared = 0
        for round in 0..<3 {
            try UeventHost.trigger("add", device)
            let deadline = Date().addingTimeInterval(10)
            var ours: [String: String]?
            var theirs: [String: String]?
            while (ours == nil || theirs == nil) && Date() < deadline {
                var fds = [pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: udev_monitor_get_fd(monitor), events: Int16(POLLIN), revents: 0)]
                _ = poll(&fds, 2, 200)
                while ours == nil, case .accepted(let m)? = try listener.receive() {
                    guard String(decoding: m.devpath, as: UTF8.self) == devpath else { continue }
                    var p = [String: String]()
                    for f in m.fields { p[String(decoding: f.key, as: UTF8.self)] = String(decoding: f.value, as: UTF8.self) }
                    ours = p
                }
                if theirs == nil, fds[1].revents != 0, let d = udev_monitor_receive_device(monitor) {
                    defer { udev_device_unref(d) }
                    if let path = udev_device_get_devpath(d), String(cString: path) == devpath {
                        var p = [String: String]()
                        var entry = udev_device_get_properties_list_entry(d)
                        while let e = entry {
                            if let k = udev_list_entry_get_name(e) {
                                p[String(cString: k)] = udev_list_entry_get_value(e).map { String(cString: $0) } ?? ""
                            }
                            entry = udev_list_entry_get_next(e)
                        }
                        theirs = p
                    }
                }
            }
            let o = try #require(ours, "round \(round): our listener received no event for \(devpath)")
            let t = try #require(theirs, "round \(round): libudev's monitor received no event for \(devpath)")
            #expect(o["SEQNUM"] == t["SEQNUM"], "round \(round): different events")
            #expect(o == t, "round \(round): ours \(o.sorted { $0.key < $1.key }), libudev \(t.sorted { $0.key < $1.key })")
            compared += 1
            if round == 0 { print("uevent parser vs libudev monitor: \(devpath): \(o.keys.sorted().joined(separator: ","))") }
        }
        #expect(compared == 3)
    }
}
