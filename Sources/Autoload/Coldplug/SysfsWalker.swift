#if canImport(Glibc)
import Glibc
#endif
import AliasMatcher
import SystemPackage

/// Finds every `modalias` file under a sysfs devices tree and returns the distinct MODALIAS
/// strings, in walk order. Symlinks are never followed (sysfs is full of them, and loops), so
/// each device is seen once; no per-device objects are made.
public struct SysfsWalker {
    public var root: String

    public init(root: String = "/sys") { self.root = root }

    public struct Found {
        /// Distinct MODALIAS values, first-seen order.
        public var modaliases: [[UInt8]] = []
        /// The device directory each was first found in (for --explain).
        public var devices: [String] = []
        public var filesRead = 0
        /// Directories or files that could not be read, with errno: reported, never fatal.
        public var errors: [String] = []
    }

    /// Walks `root/devices`.
    public func walk() -> Found {
        var found = Found()
        var seen = Set<[UInt8]>()
        var stack = [(root.hasSuffix("/") ? root : root + "/") + "devices"]
        while let dir = stack.popLast() {
            guard let d = dir.withCString({ opendir($0) }) else {
                found.errors.append("\(dir): \(Errno(rawValue: Glibc.errno))")
                continue
            }
            defer { closedir(d) }
            while let e = readdir(d) {
                let type = e.pointee.d_type
                let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let path = dir + "/" + name
                if type == UInt8(DT_DIR) {
                    stack.append(path)
                } else if type == UInt8(DT_REG), name == "modalias" {
                    found.filesRead += 1
                    switch Self.readValue(path) {
                    case .success(let v):
                        if !v.isEmpty, seen.insert(v).inserted {
                            found.modaliases.append(v)
                            found.devices.append(dir)
                        }
                    case .failure(let err):
                        found.errors.append("\(path): \(err)")
                    }
                } else if type == UInt8(DT_UNKNOWN) {
                    var st = stat()
                    if lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { stack.append(path) }
                }
            }
        }
        return found
    }

    /// A sysfs attribute's first line, as bytes (a MODALIAS may hold any byte but NUL).
    static func readValue(_ path: String) -> Result<[UInt8], Errno> {
        do {
            let fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
            defer { try? fd.close() }
            var buf = [UInt8](repeating: 0, count: 4097)
            let n = try buf.withUnsafeMutableBytes { try fd.read(into: $0) }
            let line = buf[..<n].prefix { $0 != 10 && $0 != 0 }
            return .success(Array(line))
        } catch {
            return .failure((error as? Errno) ?? .ioError)
        }
    }
}
