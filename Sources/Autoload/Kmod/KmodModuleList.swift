import CKmod

/// Owner of a `struct kmod_list *` of `struct kmod_module *`, as returned by
/// `kmod_module_new_from_lookup`; `deinit` calls `kmod_module_unref_list`,
/// which drops the list's reference on every module.
struct KmodModuleList: ~Copyable {
    /// Head of the list; NULL is the empty list.
    let head: OpaquePointer?

    init(_ head: OpaquePointer?) {
        self.head = head
    }

    deinit {
        if let head { kmod_module_unref_list(head) }
    }

    /// Module names in list order (`kmod_module_get_name` on each entry,
    /// walking with `kmod_list_next`).
    func names() -> [String] {
        var names: [String] = []
        var entry = head
        while let current = entry {
            // kmod_module_get_module hands out a new reference.
            if let module = kmod_module_get_module(current) {
                names.append(String(cString: kmod_module_get_name(module)))
                kmod_module_unref(module)
            }
            entry = kmod_list_next(head, current)
        }
        return names
    }
}

@available(*, unavailable)
extension KmodModuleList: Sendable {}
