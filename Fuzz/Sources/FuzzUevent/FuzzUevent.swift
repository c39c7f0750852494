import Autoload

/// `UeventMessage.parse` on any datagram. Besides not crashing, what it accepts must be what
/// its contract says (ACTION of [a-z_], DEVPATH from '/', keys non-empty without '=', no NUL
/// anywhere), and writing an accepted message back out the kernel's way must parse to the
/// same message: nothing accepted is silently changed or dropped.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUevent(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let raw = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    guard case .success(let message) = UeventMessage.parse(raw) else { return 0 }
    precondition(!message.action.isEmpty && message.action.allSatisfy { ($0 >= 97 && $0 <= 122) || $0 == 95 })
    precondition(message.devpath.first == 47 && !message.devpath.contains(0))
    for f in message.fields {
        precondition(!f.key.isEmpty && !f.key.contains(61) && !f.key.contains(0) && !f.value.contains(0))
    }
    var wire = message.action + [64] + message.devpath + [0]
    for f in message.fields { wire += f.key + [61] + f.value + [0] }
    let again = wire.withUnsafeBytes { UeventMessage.parse($0) }
    guard case .success(let reparsed) = again, reparsed == message else {
        fatalError("round trip changed \(message) into \(again)")
    }
    // The accessors the daemon uses must agree with the fields.
    precondition(message.modalias == message.fields.first { $0.key == Array("MODALIAS".utf8) }?.value)
    _ = message.kernelName
    return 0
}
