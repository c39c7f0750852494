import CKmod
import CLinux

#if canImport(Glibc)
import Glibc
#endif

extension KmodContext {
    /// What the kernel says of a module (`kmod_module_get_initstate`).
    public enum InitState: Sendable, Equatable {
        case builtin, live, coming, going, absent
    }

    /// Wraps `kmod_module_new_from_name` + `kmod_module_get_initstate`.
    public func initState(of name: String) -> InitState {
        var mod: OpaquePointer? = nil
        guard kmod_module_new_from_name(handle, name, &mod) == 0, let mod else { return .absent }
        defer { kmod_module_unref(mod) }
        switch kmod_module_get_initstate(mod) {
        case Int32(KMOD_MODULE_BUILTIN.rawValue): return .builtin
        case Int32(KMOD_MODULE_LIVE.rawValue): return .live
        case Int32(KMOD_MODULE_COMING.rawValue): return .coming
        case Int32(KMOD_MODULE_GOING.rawValue): return .going
        default: return .absent
        }
    }

    /// What one probe-insert ended in, short of an error.
    public enum ProbeAnswer: Sendable, Equatable {
        /// Inserted, or already there (EEXIST: loaded meanwhile by someone else).
        case inserted
        /// libkmod refused it: a modprobe.d `blacklist` line (KMOD_PROBE_APPLY_BLACKLIST).
        case blacklisted
    }

    /// An install command that did not exit 0 (its wait status), for the report.
    public struct InstallCommandFailure: Error, Sendable, Equatable {
        public var command: String
        public var status: Int32
    }

    /// Loads `name` the way udev's kmod builtin does (`module_load_and_warn`): dependencies
    /// first, softdeps, modprobe.d and kernel command line options, install commands, and the
    /// blacklist applied to the module itself (`kmod_module_new_from_name` +
    /// `kmod_module_probe_insert_module` with KMOD_PROBE_APPLY_BLACKLIST). Install commands
    /// run through `clinux_run_install_command`, not libkmod's system(3).
    /// - Parameter installFailure: set when an install command failed (the thrown error is
    ///   then libkmod's view of it).
    public func probeInsert(_ name: String, applyBlacklist: Bool = true, dryRun: Bool = false,
                            installFailure: inout InstallCommandFailure?) throws(KmodError) -> ProbeAnswer {
        var mod: OpaquePointer? = nil
        let created = kmod_module_new_from_name(handle, name, &mod)
        guard created == 0, let mod else {
            throw KmodError(function: "kmod_module_new_from_name", code: created, subject: name)
        }
        defer { kmod_module_unref(mod) }
        var flags: UInt32 = dryRun ? UInt32(KMOD_PROBE_DRY_RUN.rawValue) : 0
        if applyBlacklist { flags |= UInt32(KMOD_PROBE_APPLY_BLACKLIST.rawValue) }
        let box = InstallCommandBox()
        let err = withExtendedLifetime(box) {
            kmod_module_probe_insert_module(mod, flags, nil, { module, command, data in
                let box = Unmanaged<InstallCommandBox>.fromOpaque(data!).takeUnretainedValue()
                let name = String(cString: kmod_module_get_name(module))
                let status = clinux_run_install_command(command, name)
                if status < 0 { return status }
                let exited = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                if exited != 0 {
                    box.failure = InstallCommandFailure(command: String(cString: command!), status: exited)
                    return -exited
                }
                return 0
            }, Unmanaged.passUnretained(box).toOpaque(), nil)
        }
        installFailure = box.failure
        if err > 0 { return .blacklisted }
        if err < 0, err != -EEXIST {
            throw KmodError(function: "kmod_module_probe_insert_module", code: err, subject: name)
        }
        return .inserted
    }

    /// `probeInsert` without the install-command detail.
    public func probeInsert(_ name: String, applyBlacklist: Bool = true, dryRun: Bool = false) throws(KmodError) -> ProbeAnswer {
        var ignored: InstallCommandFailure?
        return try probeInsert(name, applyBlacklist: applyBlacklist, dryRun: dryRun, installFailure: &ignored)
    }

    /// The files a load of `name` opens that do not exist: its own and its dependencies'
    /// (`kmod_module_get_path`, `kmod_module_get_dependencies`); `nil` when modules.dep does
    /// not list the module at all.
    public func missingFiles(of name: String) -> [String]? {
        var mod: OpaquePointer? = nil
        guard kmod_module_new_from_name(handle, name, &mod) == 0, let mod else { return nil }
        defer { kmod_module_unref(mod) }
        guard let own = kmod_module_get_path(mod) else { return nil }
        let deps = KmodModuleList(kmod_module_get_dependencies(mod))
        let paths = [String(cString: own)] + deps.map { kmod_module_get_path($0).map { String(cString: $0) } }
        return paths.filter { access($0, F_OK) != 0 }
    }
}

/// Where the install-command callback leaves what failed (a C callback captures nothing).
private final class InstallCommandBox {
    var failure: KmodContext.InstallCommandFailure?
}
