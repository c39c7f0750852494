import LinuxSystem
import AliasMatcher
#if canImport(Glibc)
import Glibc
#endif

/// What became of one load, classified once for every mode from what libkmod and the kernel
/// answered.
public enum LoadOutcome: Sendable, Equatable {
    case loaded
    /// ENODEV / ENOENT from the module's init, its files all present: the driver found no
    /// device it handles. Not a failure (udev says nothing either).
    case noDevice(Int32)
    /// A modprobe.d `blacklist` line (libkmod refused it, as udev's KMOD_PROBE_APPLY_BLACKLIST).
    case blacklisted
    /// EPERM from the kernel for a name in `module_blacklist=` on the kernel command line.
    case blacklistedByKernel
    /// ENOENT because a file modules.dep names is gone (a module deleted after depmod).
    case missingFile(String)
    case installCommandFailed(command: String, status: Int32)
    case failed(String)

    /// Whether the module did not load for a reason the administrator must see: a broken
    /// tree, a failing init or install command. (No device, and either blacklist, are
    /// answers, not failures.)
    public var isFailure: Bool {
        switch self {
        case .loaded, .noDevice, .blacklisted, .blacklistedByKernel: return false
        case .missingFile, .installCommandFailed, .failed: return true
        }
    }

    /// Short stable names for JSON.
    public var kind: String {
        switch self {
        case .loaded: "loaded"
        case .noDevice: "no-device"
        case .blacklisted: "blacklisted"
        case .blacklistedByKernel: "blacklisted-by-kernel"
        case .missingFile: "missing-file"
        case .installCommandFailed: "install-command-failed"
        case .failed: "failed"
        }
    }

    /// For people: why it did not load (empty when it did).
    public var detail: String {
        switch self {
        case .loaded: ""
        case .noDevice(let code): "no device (\(String(cString: strerror(code))))"
        case .blacklisted: "blacklisted (modprobe.d)"
        case .blacklistedByKernel: "blacklisted by the kernel command line (module_blacklist=)"
        case .missingFile(let path): "\(path): module file missing (deleted after depmod?)"
        case .installCommandFailed(let command, let status): "install command exited \(status): \(command)"
        case .failed(let why): why
        }
    }

    /// Classifies one `probeInsert`'s error: `missingFiles` (the module's and its
    /// dependencies' files that are gone; nil: not in modules.dep) matters for ENOENT, the
    /// kernel command line for EPERM.
    static func classify(_ error: KmodError, module: String, install: KmodContext.InstallCommandFailure?,
                         missingFiles: [String]?, commandLine: [UInt8]?) -> LoadOutcome {
        if let install { return .installCommandFailed(command: install.command, status: install.status) }
        switch error.code {
        case ENOENT:
            guard let missing = missingFiles else { return .failed("\(module): not in modules.dep") }
            if let path = missing.first { return .missingFile(path) }
            return .noDevice(ENOENT)
        case ENODEV:
            return .noDevice(ENODEV)
        case EPERM where commandLine.map { KernelCommandLine.moduleBlacklist($0).contains(module) } == true:
            return .blacklistedByKernel
        default:
            return .failed("\(error)")
        }
    }
}

/// The kernel command line's module words, as the kernel reads them.
enum KernelCommandLine {
    static func read(_ path: String = "/proc/cmdline") -> [UInt8]? { try? SourceFile.readIfPresent(path) }

    /// `module_blacklist=a,b` (every occurrence; '-' is '_' as in module names).
    static func moduleBlacklist(_ line: [UInt8]) -> Set<String> {
        var out = Set<String>()
        let key = Array("module_blacklist=".utf8)
        for word in line.split(whereSeparator: { $0 == 32 || $0 == 10 || $0 == 9 }) where word.starts(with: key) {
            for name in word.dropFirst(key.count).split(separator: UInt8(ascii: ",")) {
                out.insert(String(decoding: name.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "_") : $0 }, as: UTF8.self))
            }
        }
        return out
    }
}
