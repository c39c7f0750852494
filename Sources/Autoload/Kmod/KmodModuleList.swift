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

    /// `body` of each module in list order (walking with `kmod_list_next`;
    /// `kmod_module_get_module` hands out a reference, dropped after `body`).
    func map<T>(_ body: (OpaquePointer) -> T?) -> [T] {
        var out: [T] = []
        var entry = head
        while let current = entry {
            if let module = kmod_module_get_module(current) {
                if let v = body(module) { out.append(v) }
                kmod_module_unref(module)
            }
            entry = kmod_list_next(head, current)
        }
        return out
    }

    /// Module names in list order (`kmod_module_get_name`).
    func names() -> [String] { map { String(cString: kmod_module_get_name($0)) } }
}

@available(*, unavailable)
extension KmodModuleList: Sendable {}
