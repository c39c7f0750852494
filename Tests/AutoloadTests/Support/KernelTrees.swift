import Foundation

/// Real module trees from Debian's kernel packages, prepared by scripts/kernel-tree.sh.
/// `AUTOLOAD_KERNEL_TREES` (colon-separated modules directories) names them; otherwise every
/// tree in the script's cache is used. `.ci/run` sets `AUTOLOAD_REQUIRE_KERNEL_TREES=1`, so a
/// missing tree fails there instead of being skipped.
enum KernelTrees {
    static var required: Bool { ProcessInfo.processInfo.environment["AUTOLOAD_REQUIRE_KERNEL_TREES"] == "1" }

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

    /// A short label for test names: the cache entry's name.
    static func label(_ dir: String) -> String {
        let parts = dir.split(separator: "/")
        return parts.count >= 4 ? String(parts[parts.count - 4]) : dir
    }
}
