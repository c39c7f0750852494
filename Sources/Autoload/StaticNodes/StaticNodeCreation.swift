import LinuxSystem
import SystemPackage

/// Makes the modules.devname nodes under a /dev directory, as systemd-tmpfiles does with
/// `kmod static-nodes --format=tmpfiles` output: parent directories 0755, nodes 0600, and
/// an existing path is left as it is (never replaced).
public enum StaticNodeCreation {
    public enum Outcome: Equatable, Sendable {
        case created
        case existing
        case failed(String)
    }

    public static func create(_ entries: [DeviceNameEntry], dev: String) -> [(DeviceNameEntry, Outcome)] {
        entries.map { e in
            let path = dev + "/" + String(decoding: e.node, as: UTF8.self)
            if let slash = e.node.lastIndex(of: UInt8(ascii: "/")) {
                let parent = dev + "/" + String(decoding: e.node[..<slash], as: UTF8.self)
                if let error = failure({ () throws(Errno) in try createDirectory(FilePath(parent)) }), error != .fileExists {
                    return (e, .failed("\(parent): mkdir: \(error)"))
                }
            }
            let kind: DeviceNodeKind = e.kind == .character ? .character : .block
            switch failure({ () throws(Errno) in
                try makeDeviceNode(FilePath(path), kind: kind, major: e.major, minor: e.minor, permissions: 0o600)
            }) {
            case nil: return (e, .created)
            case .fileExists?: return (e, .existing)
            case let error?: return (e, .failed("\(path): mknod: \(error)"))
            }
        }
    }

    private static func failure(_ body: () throws(Errno) -> Void) -> Errno? {
        do { try body(); return nil } catch { return error }
    }
}
