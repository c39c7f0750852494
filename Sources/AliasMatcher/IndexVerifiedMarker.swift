import LinuxSystem

/// Proof, kept beside a compiled index as `INDEX.verified`, that this very file passed the
/// full check (checksum and every bound) during this boot. It names the kernel's boot id,
/// the file's identity (device, inode, size, mtime, ctime) and its checksum. Any write to the
/// file moves its ctime and a reboot changes the boot id, so a marker that still matches
/// means the mapped bytes are the ones verified. A one-shot process (the udev helper) then
/// skips the O(file) check, which was most of its run time; without /proc (no boot id) or
/// without a matching marker, everything is checked as before.
struct IndexVerifiedMarker: Equatable {
    let line: [UInt8]

    static let bootIDPath = "/proc/sys/kernel/random/boot_id"

    static func path(forIndex indexPath: String) -> String { indexPath + ".verified" }

    /// The marker `file` would have now; nil without a boot id or an index header, and for a
    /// file changed in the last two seconds: file times come from a coarse clock, so a write
    /// within the same tick could leave ctime as it was ("racy git"). Past that, any
    /// write moves it.
    init?(for file: MappedFile, bootIDPath: String = IndexVerifiedMarker.bootIDPath) {
        guard realtimeSeconds() - file.identity.ctimeSeconds >= 2 else { return nil }
        guard let sum = IndexFile.headerChecksum(file.bytes),
              var boot = try? SourceFile.readIfPresent(bootIDPath) else { return nil }
        while boot.last == UInt8(ascii: "\n") { boot.removeLast() }
        guard !boot.isEmpty else { return nil }
        let i = file.identity, s = i.stamp
        let fields = [s.device, s.inode, UInt64(bitPattern: s.size),
                      UInt64(bitPattern: s.mtimeSeconds), UInt64(bitPattern: s.mtimeNanoseconds),
                      UInt64(bitPattern: i.ctimeSeconds), UInt64(bitPattern: i.ctimeNanoseconds), sum]
        line = Array("autoload-index-verified v\(IndexFile.formatVersion) ".utf8) + boot
            + Array(fields.map { " \($0)" }.joined().utf8) + [UInt8(ascii: "\n")]
    }

    /// True when the marker at `path` is exactly this one.
    func isRecorded(at path: String) -> Bool {
        (try? SourceFile.readIfPresent(path)) == line
    }

    /// Writes the marker (temporary name, then rename). A failure only means the next
    /// process checks the file in full again.
    func record(at path: String) {
        try? SourceFile.replace(path, with: line)
    }
}
