#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the module tree and modprobe.d configuration are, with modprobe's meanings:
/// `--root` is `-d`, `--kernel` is `-S`, `--config` is `-C`, and `--modules-dir` names the
/// tree outright.
public struct ModuleTreeLocation: Sendable, Equatable {
    public var root: String = "/"
    public var kernel: String? = nil
    public var modulesDirectory: String? = nil
    /// nil: libkmod's default modprobe.d directories; otherwise exactly these paths.
    public var configPaths: [String]? = nil

    public init(root: String = "/", kernel: String? = nil, modulesDirectory: String? = nil, configPaths: [String]? = nil) {
        self.root = root; self.kernel = kernel; self.modulesDirectory = modulesDirectory; self.configPaths = configPaths
    }

    /// The running kernel's release, from uname(2).
    public static func runningKernel() -> String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// `ROOT/lib/modules/KERNEL`, unless `--modules-dir` was given.
    public var resolvedModulesDirectory: String {
        if let modulesDirectory { return modulesDirectory }
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        return base + "/lib/modules/" + (kernel ?? Self.runningKernel())
    }
}
