
/// The names in /proc/modules (the kernel's loaded modules). An unreadable file (no module
/// support, or no /proc) is an empty set.
public enum ProcModules {
    public static func names(path: String = "/proc/modules") -> Set<String> {
        guard let bytes = try? SourceFile.readIfPresent(path) else { return [] }
        var out = Set<String>()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            if let name = line.split(separator: UInt8(ascii: " ")).first {
                out.insert(String(decoding: name, as: UTF8.self))
            }
        }
        return out
    }
}
