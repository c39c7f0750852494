#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed libkmod call: which C function, the errno it reported, and the
/// argument it was working on (an alias, a directory), if any.
public struct KmodError: Error, CustomStringConvertible, Equatable {
    /// Name of the libkmod function that failed, e.g. `kmod_load_resources`.
    public let function: String
    /// Positive errno value (libkmod returns `-errno`; we store it flipped).
    public let code: Int32
    /// What the call was about, shown in parentheses in `description`.
    public let subject: String?

    public init(function: String, code: Int32, subject: String? = nil) {
        self.function = function
        // libkmod reports `-errno`; accept either sign so call sites can pass
        // the raw return value.
        self.code = code < 0 ? -code : code
        self.subject = subject
    }

    /// E.g. `kmod_module_new_from_lookup(pci:v...): Invalid argument`.
    public var description: String {
        let message = String(cString: strerror(code))
        guard let subject else { return "\(function): \(message)" }
        return "\(function)(\(subject)): \(message)"
    }
}
