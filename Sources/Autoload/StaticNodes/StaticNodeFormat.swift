/// The output formats of `kmod static-nodes` (tools/static-nodes.c), byte for byte as the
/// kmod this project targets (Debian 12, kmod 30) writes them.
public enum StaticNodeFormat: String, CaseIterable, Sendable {
    case human, tmpfiles, devname

    /// The lines for one entry; names are copied as bytes, as kmod's printf("%s") does.
    public func render(_ e: DeviceNameEntry, into out: inout [UInt8]) {
        let type = e.kind.rawValue
        switch self {
        case .human:
            out += Array("Module: ".utf8) + e.module + Array("\n\tDevice node: /dev/".utf8) + e.node
            out += Array("\n\t\tType: \(e.kind == .character ? "character" : "block") device\n".utf8)
            out += Array("\t\tMajor: \(e.major)\n\t\tMinor: \(e.minor)\n".utf8)
        case .tmpfiles:
            // The parent directory first, for nodes below /dev (net/tun).
            if let slash = e.node.lastIndex(of: UInt8(ascii: "/")) {
                out += Array("d /dev/".utf8) + e.node[..<slash] + Array(" 0755 - - -\n".utf8)
            }
            // `!`: only at boot, as kmod 30 writes it.
            out += [type] + Array("! /dev/".utf8) + e.node + Array(" 0600 - - - \(e.major):\(e.minor)\n".utf8)
        case .devname:
            out += e.module + [32] + e.node + [32, type] + Array("\(e.major):\(e.minor)\n".utf8)
        }
    }
}
