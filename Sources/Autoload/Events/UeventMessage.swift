/// One kernel uevent as it arrives on NETLINK_KOBJECT_UEVENT: an `ACTION@DEVPATH` header,
/// then NUL-terminated `KEY=VALUE` fields (lib/kobject_uevent.c). Everything stays bytes: a
/// MODALIAS may hold any byte and is never handed to a shell.
public struct UeventMessage: Sendable, Equatable {
    public var action: [UInt8]
    public var devpath: [UInt8]
    /// The fields in message order (the kernel repeats ACTION and DEVPATH among them).
    public var fields: [Field]

    public struct Field: Sendable, Equatable {
        public var key: [UInt8]
        public var value: [UInt8]
    }

    /// The value of the first field named `key`.
    public func value(_ key: String) -> [UInt8]? {
        let k = Array(key.utf8)
        return fields.first { $0.key == k }?.value
    }

    public var modalias: [UInt8]? { value("MODALIAS") }
    public var isAdd: Bool { action == Array("add".utf8) }

    /// The device's kernel name: DEVPATH's last component.
    public var kernelName: [UInt8] {
        guard let slash = devpath.lastIndex(of: UInt8(ascii: "/")) else { return devpath }
        return Array(devpath[(slash + 1)...])
    }

    /// Parses one datagram. Strict, because whatever is accepted may load a module: the
    /// header must be `ACTION@/DEVPATH`, every field `KEY=VALUE` with a non-empty key, and
    /// the fields NUL-separated with nothing but one final NUL after the last.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<UeventMessage, UeventRejection> {
        guard !bytes.isEmpty else { return .failure(.malformed("empty message")) }
        let end = bytes.count
        var i = 0
        func segmentEnd(from start: Int) -> Int {
            var j = start
            while j < end, bytes[j] != 0 { j += 1 }
            return j
        }
        let headerEnd = segmentEnd(from: 0)
        let header = Array(bytes[0..<headerEnd])
        // libudev's monitor re-broadcasts start with this magic; they are not the kernel's.
        if header == Array("libudev".utf8) { return .failure(.malformed("libudev monitor message")) }
        guard let at = header.firstIndex(of: UInt8(ascii: "@")), at > 0,
              at + 1 < header.count, header[at + 1] == UInt8(ascii: "/") else {
            return .failure(.malformed("header is not ACTION@DEVPATH"))
        }
        var message = UeventMessage(action: Array(header[..<at]), devpath: Array(header[(at + 1)...]), fields: [])
        guard message.action.allSatisfy(isActionByte) else { return .failure(.malformed("action has odd bytes")) }
        i = headerEnd + 1
        while i < end {
            let fieldEnd = segmentEnd(from: i)
            guard fieldEnd > i else { return .failure(.malformed("empty field \(message.fields.count + 1)")) }
            var eq = i
            while eq < fieldEnd, bytes[eq] != UInt8(ascii: "=") { eq += 1 }
            guard eq < fieldEnd, eq > i else {
                return .failure(.malformed("field \(message.fields.count + 1) is not KEY=VALUE"))
            }
            message.fields.append(Field(key: Array(bytes[i..<eq]), value: Array(bytes[(eq + 1)..<fieldEnd])))
            i = fieldEnd + 1
        }
        return .success(message)
    }

    private static func isActionByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || b == UInt8(ascii: "_")
    }
}

/// Why a datagram was not acted on.
public enum UeventRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The sender's netlink port id is not 0: a userspace process, whatever credentials it sent.
    case notFromKernel(portID: UInt32)
    /// No SCM_CREDENTIALS ancillary data (SO_PASSCRED is set, so the kernel always adds it).
    case noCredentials
    case notRoot(uid: UInt32)
    /// Larger than the receive buffer: MSG_TRUNC.
    case truncated(bytes: Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .notFromKernel(let p): return "sender port id \(p) is not the kernel"
        case .noCredentials: return "no sender credentials"
        case .notRoot(let uid): return "sender uid \(uid) is not 0"
        case .truncated(let n): return "truncated (\(n) bytes)"
        case .malformed(let why): return "malformed: \(why)"
        }
    }

    /// A short stable name for JSON and counters.
    public var kind: String {
        switch self {
        case .notFromKernel: return "not-from-kernel"
        case .noCredentials: return "no-credentials"
        case .notRoot: return "not-root"
        case .truncated: return "truncated"
        case .malformed: return "malformed"
        }
    }
}
