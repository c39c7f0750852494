import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// Levels as syslog(3) numbers them, so journald reads the `<N>` prefixes (sd-daemon(3)).
public enum LogLevel: Int32, Sendable, Comparable, CaseIterable {
    case err = 3, warning = 4, notice = 5, info = 6, debug = 7

    public init?(name: String) {
        switch name {
        case "err", "error": self = .err
        case "warning", "warn": self = .warning
        case "notice": self = .notice
        case "info": self = .info
        case "debug": self = .debug
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .err: "err"
        case .warning: "warning"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Writes one line per message to stderr with a single write(2), so lines from the loader
/// threads never interleave. Under systemd (`$JOURNAL_STREAM` set) each line starts with
/// `<N>`; otherwise with `autoloadd: LEVEL: `.
public struct DaemonLog: Sendable {
    public var level: LogLevel
    public var journal: Bool

    public init(level: LogLevel = .info, journal: Bool = getenv("JOURNAL_STREAM") != nil) {
        self.level = level
        self.journal = journal
    }

    public func enabled(_ l: LogLevel) -> Bool { l <= level }

    public func callAsFunction(_ l: LogLevel, _ message: @autoclosure () -> String) {
        guard l <= level else { return }
        let line = (journal ? "<\(l.rawValue)>" : "autoloadd: \(l.name): ") + message() + "\n"
        // One write(2) per line; a short write (a full pipe) goes on from where it stopped.
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            guard let n = try? syscallRetrying({ bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) } })
            else { return }
            offset += n
        }
    }
}
