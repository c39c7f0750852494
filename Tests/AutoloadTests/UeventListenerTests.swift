import Foundation
import Testing
@testable import Autoload

/// The listener against this machine's real kernel: events written into /sys reach it and are
/// accepted with the device's MODALIAS; messages a userspace socket sends to group 1 never are.
extension RealKernelUevents {
    @Suite(.enabled(if: UeventHost.available || UeventHost.required))
    struct UeventListenerTests {
        /// Receives until `match` accepts a kernel message, or `timeout` seconds pass.
        func receive(_ listener: borrowing UeventListener, timeout: Double = 5,
                     until match: (UeventMessage) -> Bool) throws -> UeventMessage? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                var fd = pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&fd, 1, 100)
                while let r = try listener.receive() {
                    if case .accepted(let m) = r, match(m) { return m }
                }
            }
            return nil
        }

        @Test func realKernelEventsAreAcceptedWithTheirModalias() throws {
            let device = try #require(UeventHost.triggerDevice, "no device with a writable uevent file")
            let expected = try #require(UeventHost.modalias(ofDevice: device))
            let listener = try UeventListener(receiveBuffer: 1 << 20)
            for action in ["change", "add"] {
                try UeventHost.trigger(action, device)
                let m = try #require(try receive(listener) {
                    $0.devpath == Array(UeventHost.devpath(device).utf8) && $0.action == Array(action.utf8)
                }, "no \(action) event for \(device)")
                #expect(m.modalias == Array(expected.utf8))
                #expect(m.value("ACTION") == Array(action.utf8))
            }
        }

        @Test func userspaceSendersAreRejectedEvenWithRootCredentials() throws {
            let listener = try UeventListener(receiveBuffer: 8 << 20)
            let spoofer = try SpoofSender()
            let count = 1000
            var sent = 0
            for i in 0..<count {
                let m = SpoofSender.message(devpath: "/devices/autoload-spoof/\(i)", modalias: "platform:pcspkr", seqnum: i)
                if spoofer.send(m, credentials: i % 2 == 0) == 0 { sent += 1 }
            }
            #expect(sent == count, "the kernel refused some spoofed sends")
            var rejected = 0, acceptedSpoofs = 0
            let deadline = Date().addingTimeInterval(10)
            while rejected < sent, Date() < deadline {
                var fd = pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&fd, 1, 100)
                while let r = try listener.receive() {
                    switch r {
                    case .rejected(.notFromKernel): rejected += 1
                    case .rejected: break
                    case .accepted(let m):
                        if String(decoding: m.devpath, as: UTF8.self).hasPrefix("/devices/autoload-spoof/") { acceptedSpoofs += 1 }
                    }
                }
            }
            #expect(rejected == sent)
            #expect(acceptedSpoofs == 0)
        }

        @Test func oversizedMessagesAreRejectedAsTruncated() throws {
            let listener = try UeventListener(receiveBuffer: 1 << 20)
            let spoofer = try SpoofSender()
            let big = SpoofSender.message(devpath: "/devices/autoload-spoof/big", modalias: String(repeating: "a", count: 9000), seqnum: 1)
            #expect(spoofer.send(big) == 0)
            var seen: UeventRejection?
            let deadline = Date().addingTimeInterval(5)
            while seen == nil, Date() < deadline {
                var fd = pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&fd, 1, 100)
                while let r = try listener.receive() { if case .rejected(let why) = r { seen = why } }
            }
            guard case .truncated? = seen else {
                Issue.record("expected a truncation rejection, got \(String(describing: seen))")
                return
            }
        }
    }
}
