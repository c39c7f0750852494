import CKmod

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Owner of a `struct kmod_config_iter *` (from `kmod_config_get_*`);
/// `deinit` calls `kmod_config_iter_free_iter`.
struct KmodConfigIterator: ~Copyable {
    private let handle: OpaquePointer

    /// Takes ownership of what a `kmod_config_get_*` call returned; `nil`
    /// (allocation failure) becomes an `ENOMEM` error naming `function`.
    init(_ handle: OpaquePointer?, function: String) throws(KmodError) {
        guard let handle else { throw KmodError(function: function, code: ENOMEM) }
        self.handle = handle
    }

    deinit {
        kmod_config_iter_free_iter(handle)
    }

    /// Every (key, value) pair in libkmod's list order, which is the order
    /// the lines were read: config files sorted by file name across all
    /// directories, then `/proc/cmdline`.
    ///
    /// Wraps `kmod_config_iter_next` (which must be called once before the
    /// first entry), `kmod_config_iter_get_key` and
    /// `kmod_config_iter_get_value` (NULL for blacklists, which have no value).
    func entries() -> [(key: String, value: String?)] {
        var entries: [(key: String, value: String?)] = []
        while kmod_config_iter_next(handle) {
            guard let key = kmod_config_iter_get_key(handle) else { continue }
            // The value pointer is only valid until the next call on the
            // iterator (softdeps are formatted into a per-iterator buffer).
            let value = kmod_config_iter_get_value(handle).map { String(cString: $0) }
            entries.append((String(cString: key), value))
        }
        return entries
    }
}

@available(*, unavailable)
extension KmodConfigIterator: Sendable {}
