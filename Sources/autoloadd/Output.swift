#if canImport(Glibc)
import LinuxSystem
import Glibc
#endif
import AliasMatcher

/// Buffered writes to a file descriptor with write(2) through the EINTR-safe helper; no
/// Foundation on this path.
struct OutputBuffer {
    let fd: Int32
    var bytes: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        bytes.reserveCapacity(1 << 16)
    }

    mutating func write(_ s: String) { bytes.append(contentsOf: s.utf8) }
    mutating func write(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }
    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func flushIfLarge() { if bytes.count >= 1 << 16 { flush() } }

    mutating func flush() {
        var done = 0
        bytes.withUnsafeBytes { raw in
            while done < raw.count {
                guard let n = try? syscallRetrying({ Glibc.write(fd, raw.baseAddress! + done, raw.count - done) }) else { return }
                done += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Messages for people go to stderr, prefixed with the program name.
func warn(_ message: String) {
    var e = OutputBuffer(fd: 2)
    e.write("autoloadd: " + message + "\n")
    e.flush()
}

/// Line-by-line reads of a file descriptor (stdin), as raw bytes.
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false

    init(fd: Int32) { self.fd = fd }

    mutating func next() -> [UInt8]? {
        while true {
            if let nl = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                defer { start = nl + 1 }
                return Array(buffer[start..<nl])
            }
            if eof {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                return Array(buffer[start...])
            }
            buffer.removeSubrange(..<start)
            start = 0
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: 1 << 16))
            let n = (try? buffer.withUnsafeMutableBytes { raw in
                try syscallRetrying { Glibc.read(fd, raw.baseAddress! + old, 1 << 16) }
            }) ?? 0
            buffer.removeLast((1 << 16) - n)
            if n == 0 { eof = true }
        }
    }
}

/// What a one-shot command hands over at its end: exit(3) follows, so releasing it (thousands
/// of frees, a 7 MB munmap: a tenth of the udev helper's run) would be work for nothing.
nonisolated(unsafe) var keptUntilExit: [AnyObject] = []
