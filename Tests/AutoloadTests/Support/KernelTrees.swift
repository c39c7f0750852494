import Foundation

/// Real module trees from Debian's kernel packages, prepared by scripts/kernel-tree.sh.
/// `AUTOLOAD_KERNEL_TREES` (colon-separated modules directories) names them; otherwise every
/// tree in the script's cache is used; none at all is a test failure.
enum KernelTrees {

    static let all: [String] = {
        let env = ProcessInfo.processInfo.environment
        if let list = env["AUTOLOAD_KERNEL_TREES"], !list.isEmpty {
            return list.split(separator: ":").map(String.init)
        }
        let cache = env["AUTOLOAD_CACHE"] ?? (NSHomeDirectory() + "/.cache/autoload")
        let kernels = cache + "/kernels"
        let fm = FileManager.default
        var out = [String]()
        for entry in (try? fm.contentsOfDirectory(atPath: kernels))?.sorted() ?? [] where !entry.hasPrefix(".") {
            let modules = kernels + "/" + entry + "/lib/modules"
            for version in (try? fm.contentsOfDirectory(atPath: modules))?.sorted() ?? []
            where fm.fileExists(atPath: modules + "/" + version + "/modules.alias.bin") {
                out.append(modules + "/" + version)
            }
        }
        return out
    }()

    /// The corpus seed for a tree: FNV-1a of its label, stable across processes and machines.
    static func seed(_ dir: String) -> UInt64 {
        label(dir).utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// A short label for test names: the cache entry's name.
    static func label(_ dir: String) -> String {
        let parts = dir.split(separator: "/")
        return parts.count >= 4 ? String(parts[parts.count - 4]) : dir
    }
}
