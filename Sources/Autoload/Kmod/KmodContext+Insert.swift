import CKmod

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

    /// Loads `name` the way `modprobe NAME` does: dependencies first, softdeps, modprobe.d
    /// and kernel command line options, install commands (`kmod_module_new_from_name` +
    /// `kmod_module_probe_insert_module`). The blacklist is the caller's business (it applies
    /// to alias lookups only). A module already loaded (or loaded meanwhile: EEXIST) is success.
    public func probeInsert(_ name: String, dryRun: Bool = false) throws(KmodError) {
        var mod: OpaquePointer? = nil
        let created = kmod_module_new_from_name(handle, name, &mod)
        guard created == 0, let mod else {
            throw KmodError(function: "kmod_module_new_from_name", code: created, subject: name)
        }
        defer { kmod_module_unref(mod) }
        let flags: UInt32 = dryRun ? UInt32(KMOD_PROBE_DRY_RUN.rawValue) : 0
        let err = kmod_module_probe_insert_module(mod, flags, nil, nil, nil, nil)
        if err < 0, err != -EEXIST {
            throw KmodError(function: "kmod_module_probe_insert_module", code: err, subject: name)
        }
    }
}
