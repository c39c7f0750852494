import Glibc
// indexChecksum (the file checksum) is an SPI of AliasMatcher, not part of its public API.
@_spi(IndexFormat) import AliasMatcher
import LinuxSystem

// IndexFile.decode fed corrupt files: it must throw IndexFile.Failure or return an index
// that survives lookups and re-encoding, never crash. A checksum guards the payload, so raw
// mutations rarely get past it; two of the modes below therefore write a valid header and
// checksum around damaged contents, leaving only the structural checks on guard.
//   mode 0: the input is the whole file
//   mode 1: the input is the payload; magic, version, length and checksum are made valid
//   mode 2: a valid index of a small tree with the input applied as (offset, xor) edits,
//           then the checksum fixed up
//   mode 3: as 2, and cut at an input-chosen length (checksum fixed up)
// With bit 2 of the first byte set, the file is written out and opened the way autoloadd
// opens its cache, mmap(2) and zero-copy views (IndexFile.decode(mapped:)); otherwise it is
// decoded from a heap buffer, where ASan sees any read past the end.

/// Header layout: magic (8), version (4), payload length (8) at 12, checksum (8) at 20, then
/// whatever the format adds; its size is taken from a real index, not assumed.
private let lengthOffset = 12, checksumOffset = 20
private let headerSize: Int = {
    let length = validIndex[lengthOffset..<(lengthOffset + 8)].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    let size = validIndex.count - Int(length)
    let stored = validIndex[checksumOffset..<(checksumOffset + 8)].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    precondition(validIndex[size...].withUnsafeBytes(indexChecksum) == stored,
                 "FuzzIndexFile's header layout (checksum at \(checksumOffset), over the bytes after the header) no longer fits the index format: update it")
    return size
}()

private func wrap(payload: ArraySlice<UInt8>) -> [UInt8] {
    var out = Array(validIndex[..<headerSize])
    withUnsafeBytes(of: UInt64(payload.count).littleEndian) { out.replaceSubrange(lengthOffset..<(lengthOffset + 8), with: $0) }
    withUnsafeBytes(of: payload.withUnsafeBytes(indexChecksum).littleEndian) {
        out.replaceSubrange(checksumOffset..<(checksumOffset + 8), with: $0)
    }
    return out + payload
}

/// A valid index of a small tree with every kind of entry (wildcards, brackets, symbols,
/// builtin names and aliases), encoded once per process.
private let validIndex: [UInt8] = {
    var template = Array("/tmp/autoload-fuzz-index-XXXXXX".utf8CString)
    let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    let files = [
        "modules.dep": "kernel/a/foo-bar.ko:\nkernel/b/baz.ko: kernel/a/foo-bar.ko\nkernel/c/qux.ko:\n",
        "modules.alias": "alias pci:v00001234d*sv*sd*bc*sc*i* foo_bar\nalias pci:v00001234d00000001sv*sd*bc*sc*i* baz\n"
            + "alias usb:v1234p[0-9]*d?[!a-c]* baz\nalias acpi*:PNP0[ABC]??:* qux\nalias of:N*T*Cfoo,bar qux\n",
        "modules.symbols": "alias symbol:baz_init baz\nalias symbol:qux_* qux\n",
        "modules.builtin": "kernel/c/ext4.ko\nkernel/d/crc32c.ko\n",
        "modules.builtin.modinfo": "ext4.alias=fs-ext4\0ext4.alias=fs-ext[23]\0crc32c.alias=crypto-crc32c*\0",
    ]
    for (name, text) in files {
        let f = fopen(dir + "/" + name, "w")!
        fwrite(text, 1, text.utf8.count, f)
        fclose(f)
    }
    let index = try! AliasIndex(directory: dir)
    for name in files.keys { unlink(dir + "/" + name) }
    rmdir(dir)
    return IndexFile.encode(index)
}()

/// Where mode-bit-2 files go: memory (/dev/shm) when there is one; removed at exit.
private let scratchPath: String = {
    let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    let path = "\(base)/autoload-fuzz-index-\(getpid()).idx"
    atexit { unlink(scratchPath) }
    return path
}()

private func writeScratch(_ bytes: [UInt8]) {
    let fd = open(scratchPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(fd >= 0, "open \(scratchPath): \(errno)")
    bytes.withUnsafeBytes { b in
        var done = 0
        while done < b.count {
            let n = write(fd, b.baseAddress! + done, b.count - done)
            precondition(n > 0)
            done += n
        }
    }
    close(fd)
}

private let probes = ["pci:v00001234d00000001sv0sd0bc0sc0i0", "usb:v1234p9d0x", "acpiX:PNP0A12:y", "of:NaTbCfoo,bar",
                      "symbol:baz_init", "symbol:qux_z", "baz", "ext4", "fs-ext3", "crypto-crc32c-intel", "x[", "*"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndexFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let rest = input[1...]
    var file: [UInt8]
    switch input[0] % 4 {
    case 0: file = Array(rest)
    case 1: file = wrap(payload: ArraySlice(rest))
    default:
        var payload = Array(validIndex[headerSize...])
        var i = rest.startIndex
        if input[0] % 4 == 3, rest.count >= 2 {
            payload.removeLast(Int(UInt16(rest[i]) << 8 | UInt16(rest[i + 1])) % (payload.count + 1))
            i += 2
        }
        // Three bytes per edit: a 16-bit offset (the test index is smaller than 64 KiB) and an xor.
        while i + 3 <= rest.endIndex, !payload.isEmpty {
            let at = Int(UInt16(rest[i]) << 8 | UInt16(rest[i + 1])) % payload.count
            payload[at] ^= rest[i + 2]
            i += 3
        }
        file = wrap(payload: payload[...])
    }
    let result: Result<AliasIndex, IndexFile.Failure>
    if input[0] & 4 != 0 {
        writeScratch(file)
        guard let mapped = try? MappedFile.open(scratchPath) else { fatalError("cannot map \(scratchPath)") }
        result = Result { () throws(IndexFile.Failure) in try IndexFile.decode(mapped: mapped) }
    } else {
        result = file.withUnsafeBytes { b in Result { () throws(IndexFile.Failure) in try IndexFile.decode(b) } }
    }
    guard case .success(let index) = result else { return 0 }
    // Accepted: it must be usable and mean the same after another write and read.
    let again = IndexFile.encode(index).withUnsafeBytes { b in Result { () throws(IndexFile.Failure) in try IndexFile.decode(b) } }
    guard case .success(let reopened) = again, reopened == index else { fatalError("re-encoded index differs: \(again)") }
    let lookup = AliasLookup(index: index, maxStates: 8)
    for p in probes { _ = lookup.lookup(p) }
    for m in Array(index.modules.prefix(4)) + Array(index.builtinModules.prefix(4)) { _ = lookup.lookup(m) }
    return 0
}
