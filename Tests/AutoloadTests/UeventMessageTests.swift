import Testing
@testable import Autoload

/// The uevent parser on hand-made datagrams in the kernel's format (lib/kobject_uevent.c:
/// `ACTION@DEVPATH\0KEY=VALUE\0...`).
@Suite struct UeventMessageTests {
    func parse(_ bytes: [UInt8]) -> Result<UeventMessage, UeventRejection> {
        bytes.withUnsafeBytes { UeventMessage.parse($0) }
    }

    func datagram(_ header: String, _ fields: [String]) -> [UInt8] {
        (Array(header.utf8) + [0]) + fields.flatMap { Array($0.utf8) + [0] }
    }

    @Test func kernelMessageParses() throws {
        let m = try parse(datagram("add@/devices/pci0000:00/0000:00:02.0",
                                   ["ACTION=add", "DEVPATH=/devices/pci0000:00/0000:00:02.0", "SUBSYSTEM=pci",
                                    "MODALIAS=pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00", "SEQNUM=1234"])).get()
        #expect(m.isAdd)
        #expect(m.devpath == Array("/devices/pci0000:00/0000:00:02.0".utf8))
        #expect(m.kernelName == Array("0000:00:02.0".utf8))
        #expect(m.modalias == Array("pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00".utf8))
        #expect(m.value("SEQNUM") == Array("1234".utf8))
        #expect(m.fields.count == 5)
    }

    @Test func valuesKeepEveryByte() throws {
        // A MODALIAS may hold any byte but NUL; shell metacharacters and non-UTF-8 stay as they are.
        let odd: [UInt8] = Array("MODALIAS=x:$(reboot);`id`*?[".utf8) + [0xff, 0xfe, 0x80, 0x0a]
        let m = try parse(Array("add@/devices/x".utf8) + [0] + odd + [0]).get()
        #expect(m.modalias == Array(odd.dropFirst("MODALIAS=".count)))
    }

    @Test func lastFieldNeedsNoTerminator() throws {
        var d = datagram("remove@/devices/x", ["ACTION=remove"])
        d.removeLast()
        #expect(try parse(d).get().fields.count == 1)
    }

    @Test(arguments: [
        ("", "empty"),
        ("add", "no @"),
        ("@/devices/x", "no action"),
        ("add@", "no devpath"),
        ("add@devices/x", "devpath not absolute"),
        ("ADD@/devices/x", "action not lower case"),
        ("libudev", "libudev monitor magic"),
    ])
    func badHeadersAreRejected(header: String, why: String) {
        let r = parse(header.isEmpty ? [] : datagram(header, ["ACTION=add"]))
        guard case .failure(.malformed) = r else {
            Issue.record("accepted a header with \(why): \(r)")
            return
        }
    }

    @Test func badFieldsAreRejected() {
        for fields in [["ACTION=add", "NOEQUALS"], ["=value"], ["ACTION=add", ""]] {
            guard case .failure(.malformed) = parse(datagram("add@/devices/x", fields)) else {
                Issue.record("accepted fields \(fields)")
                continue
            }
        }
        // Two NULs after the last field: an empty field.
        guard case .failure(.malformed) = parse(datagram("add@/devices/x", ["A=b"]) + [0]) else {
            Issue.record("accepted a trailing empty field")
            return
        }
    }
}
