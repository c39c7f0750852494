import CKmod
import LinuxSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Owner of one libkmod context (`struct kmod_ctx *`): the modules directory,
/// its mmapped indexes and the parsed modprobe.d configuration.
///
/// Not `Sendable`: libkmod contexts are not thread-safe, so each thread (or
/// actor) that needs lookups creates its own.
public struct KmodContext: ~Copyable {
    /// The `struct kmod_ctx *`; released by `kmod_unref` in `deinit`.
    let handle: OpaquePointer

    /// Wraps `kmod_new` and then `kmod_load_resources`.
    ///
    /// - Parameters:
    ///   - modulesDirectory: e.g. `/lib/modules/6.1.0-18-amd64`; `nil` lets
    ///     libkmod use `/lib/modules/$(uname -r)`.
    ///   - configPaths: modprobe.d files or directories, like `modprobe -C`;
    ///     `nil` means libkmod's defaults (/etc, /run, /usr/local/lib, /lib
    ///     `modprobe.d`). A path that does not exist contributes nothing, and
    ///     `[]` means no configuration at all. libkmod always adds
    ///     `<modulesDirectory>/modules.softdep` and options/blacklists from
    ///     `/proc/cmdline` on top.
    /// - Throws: `kmod_new` failing (out of memory), or `kmod_load_resources`
    ///   failing, typically `ENOENT` because the directory or one of
    ///   modules.{dep,alias,symbols,builtin}.bin is missing.
    ///
    /// libkmod's own log output is discarded unless `AUTOLOAD_KMOD_DEBUG` is
    /// set (see ``KmodLogging``). Messages emitted while `kmod_new` parses the
    /// configuration cannot be intercepted and still go to stderr at libkmod's
    /// default level (errors only; `KMOD_LOG` in the environment changes it).
    public init(modulesDirectory: String? = nil, configPaths: [String]? = nil) throws(KmodError) {
        let created: OpaquePointer? = Self.create(modulesDirectory, configPaths)
        guard let created else {
            // kmod_new only fails on allocation; errno may not be set.
            let e = lastErrno().rawValue
            throw KmodError(function: "kmod_new", code: e == 0 ? ENOMEM : e,
                            subject: modulesDirectory)
        }
        KmodLogging.configure(created)
        // Map the indexes now, or every lookup reopens and re-reads the index
        // files. Done before `handle` is set: a noncopyable initializer
        // cannot throw once `self` is complete, so we release by hand.
        let loaded = kmod_load_resources(created)
        if loaded < 0 {
            let error = KmodError(function: "kmod_load_resources", code: loaded,
                                  subject: String(cString: kmod_get_dirname(created)))
            kmod_unref(created)
            throw error
        }
        handle = created
    }

    deinit {
        kmod_unref(handle)
    }

    /// Calls `kmod_new` with optional C strings.
    private static func create(_ directory: String?, _ configPaths: [String]?) -> OpaquePointer? {
        errno = 0
        func new(_ directory: UnsafePointer<CChar>?) -> OpaquePointer? {
            guard let configPaths else { return kmod_new(directory, nil) }
            return withCStringArray(configPaths) { kmod_new(directory, $0) }
        }
        guard let directory else { return new(nil) }
        return directory.withCString { new($0) }
    }

    /// The modules directory libkmod resolved (`kmod_get_dirname`).
    public var modulesDirectory: String {
        // Never NULL for a live context.
        String(cString: kmod_get_dirname(handle))
    }

    /// Wraps `kmod_load_resources`: mmaps modules.dep.bin, modules.alias.bin,
    /// modules.symbols.bin, modules.builtin.bin and (optionally)
    /// modules.builtin.alias.bin. Already-loaded indexes are kept, so calling
    /// it again is cheap (e.g. after ``unloadResources()``). `init` already
    /// does this.
    public func loadResources() throws(KmodError) {
        let result = kmod_load_resources(handle)
        if result < 0 {
            throw KmodError(function: "kmod_load_resources", code: result,
                            subject: modulesDirectory)
        }
    }

    /// Wraps `kmod_unload_resources`: unmaps the indexes. Lookups keep
    /// working, reopening the index files each time.
    public func unloadResources() {
        kmod_unload_resources(handle)
    }

    /// Wraps `kmod_validate_resources`: whether depmod or modprobe.d changed
    /// since this context was created.
    public func resourcesAreCurrent() -> Bool {
        kmod_validate_resources(handle) == Int32(KMOD_RESOURCES_OK.rawValue)
    }
}

@available(*, unavailable)
extension KmodContext: Sendable {}
