import CKmod

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension KmodContext {
    /// Wraps `kmod_module_new_from_lookup`: the modules modprobe would
    /// consider for `alias` (a MODALIAS string, a module name, or
    /// `symbol:...`), before blacklist filtering.
    ///
    /// libkmod normalizes `alias` first ('-' becomes '_' outside brackets)
    /// and stops at the first source with any match, in this order:
    /// modprobe.d aliases (file order), modules.dep (module names),
    /// modules.symbols, install/remove commands, modules.alias,
    /// modules.builtin (names), modules.builtin.alias. Index matches come out
    /// ordered by modules.order, except builtin aliases, which all share one
    /// priority.
    ///
    /// - Returns: module names in libkmod's order with repeats removed (a
    ///   module matching through several patterns is listed once per
    ///   pattern); empty when nothing matches.
    /// - Throws: `EINVAL` when `alias` has an unmatched `]` (or `[`) or
    ///   contains NUL, or `ENOMEM`.
    public func lookup(_ alias: String) throws(KmodError) -> [String] {
        try lookup(Array(alias.utf8))
    }

    /// Same as the `String` overload, for a MODALIAS that may not be UTF-8
    /// (uevents carry arbitrary bytes). `alias` must not contain NUL; it is
    /// rejected with `EINVAL` since libkmod would silently truncate at it.
    public func lookup(_ alias: [UInt8]) throws(KmodError) -> [String] {
        guard !alias.contains(0) else { throw Self.lookupError(EINVAL, alias) }
        var head: OpaquePointer? = nil
        let result = (alias + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                kmod_module_new_from_lookup(handle, $0.baseAddress, &head)
            }
        }
        // libkmod frees the list itself on failure; owning it regardless is
        // harmless because it resets `head` to NULL then.
        let list = KmodModuleList(head)
        if result < 0 { throw Self.lookupError(result, alias) }
        var seen = Set<String>()
        return list.names().filter { seen.insert($0).inserted }
    }

    /// Built only on failure, so the hot path never decodes `alias`.
    private static func lookupError(_ code: Int32, _ alias: [UInt8]) -> KmodError {
        KmodError(function: "kmod_module_new_from_lookup", code: code,
                  subject: String(decoding: alias, as: UTF8.self))
    }
}
