import LinuxSystem

/// One line of modules.devname: the node whose first open(2) makes the kernel call
/// request_module("char-major-M-N") (or block-major) and so load `module`.
public struct DeviceNameEntry: Equatable, Sendable {
    public enum Kind: UInt8, Sendable { case character = 0x63, block = 0x62 }  // 'c', 'b'
    public var module: [UInt8]
    /// Relative to /dev, e.g. `net/tun`.
    public var node: [UInt8]
    public var kind: Kind
    public var major: UInt32
    public var minor: UInt32

    public init(module: [UInt8], node: [UInt8], kind: Kind, major: UInt32, minor: UInt32) {
        self.module = module; self.node = node; self.kind = kind; self.major = major; self.minor = minor
    }
}

/// modules.devname as kmod's static-nodes reads it: lines starting with `#` are skipped,
/// every other line is `MODULE NODE TYPEMAJOR:MINOR` (TYPE `c` or `b`). A line that is not
/// is reported with its number and skipped, as kmod does (it exits 1 at the end).
public struct DeviceNameList: Sendable {
    public var entries: [DeviceNameEntry] = []
    /// `FILE:LINE: invalid devname entry: TEXT` for each line kmod would reject.
    public var errors: [String] = []

    public enum Presence: Sendable { case present(DeviceNameList), missing }

    /// `DIR/modules.devname`; `.missing` when the file does not exist (kmod warns and succeeds).
    public static func read(modulesDirectory dir: String) throws(TreeError) -> Presence {
        let path = dir + "/modules.devname"
        guard let bytes = try SourceFile.readIfPresent(path) else { return .missing }
        return .present(DeviceNameList(bytes, path: path))
    }

    public init(_ bytes: [UInt8], path: String) {
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
        // What follows the last newline is no line (split gives one empty piece for it).
        if bytes.isEmpty || bytes.last == 10 { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.first == UInt8(ascii: "#") { continue }
            if let e = Self.parse(line) { entries.append(e) } else {
                errors.append("\(path):\(number): invalid devname entry: \(String(decoding: line, as: UTF8.self))")
            }
        }
    }

    /// sscanf("%s %s %c%u:%u") semantics: whitespace-separated words, the type is the first
    /// character after the node's word, the numbers follow it directly.
    static func parse(_ line: ArraySlice<UInt8>) -> DeviceNameEntry? {
        let words = line.split(whereSeparator: { $0 == 32 || ($0 >= 9 && $0 <= 13) })
        guard words.count >= 3, let t = words[2].first, let kind = DeviceNameEntry.Kind(rawValue: t) else { return nil }
        let numbers = words[2].dropFirst().split(separator: UInt8(ascii: ":"), maxSplits: 1, omittingEmptySubsequences: false)
        guard numbers.count == 2, let major = decimal(numbers[0]), let minor = decimal(numbers[1].prefix { $0 >= 48 && $0 <= 57 })
        else { return nil }
        return DeviceNameEntry(module: Array(words[0]), node: Array(words[1]), kind: kind, major: major, minor: minor)
    }

    private static func decimal(_ digits: ArraySlice<UInt8>) -> UInt32? {
        guard !digits.isEmpty else { return nil }
        var v: UInt32 = 0
        for d in digits {
            guard d >= 48, d <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt32(d - 48))
            guard !o1, !o2 else { return nil }
            v = s
        }
        return v
    }
}
