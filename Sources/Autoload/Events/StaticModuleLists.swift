import LinuxSystem

/// One module name a static list asks for, and where: `FILE:LINE` (the path as the system
/// sees it, without --root) or `kernel command line`.
public struct StaticModuleEntry: Sendable, Equatable {
    public var name: String
    public var source: String
    public init(name: String, source: String) { self.name = name; self.source = source }
}

/// The lists systemd-modules-load reads (src/modules-load/modules-load.c), read the same way:
/// first `modules_load=` (and, inside the initramfs, `rd.modules_load=`) from the kernel
/// command line, comma-separated; then every `*.conf` of the modules-load.d directories in
/// name order, a name in an earlier directory hiding it in later ones, a symlink to
/// /dev/null or an empty file masking it (src/basic/conf-files.c); in each, a line is its
/// stripped text, blank lines and those starting with `#` or `;` skipped. Debian's
/// /etc/modules comes last unless a list file already is it (Debian's
/// modules-load.d/modules.conf symlink).
public enum StaticModuleLists {
    /// systemd's CONF_PATHS order, split-usr /lib last as Debian 12's systemd is built.
    public static let directories = ["/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d",
                                     "/usr/lib/modules-load.d", "/lib/modules-load.d"]

    public struct Read: Sendable {
        public var entries: [StaticModuleEntry] = []
        /// Files that could not be read, with why.
        public var errors: [String] = []
    }

    /// Everything under `root`; the kernel command line is `root`/proc/cmdline (the live one
    /// for `/`), "inside the initramfs" is `root`/etc/initrd-release existing (systemd's test).
    public static func read(root: String) -> Read {
        let base = root == "/" ? "" : root
        var out = Read()
        let initrd = (try? FileStamp.of(base + "/etc/initrd-release")).map { $0 != .missing } ?? false
        if let cmdline = try? SourceFile.readIfPresent(base + "/proc/cmdline") {
            for name in commandLineModules(cmdline, inInitrd: initrd ? .inside : .outside) {
                out.entries.append(StaticModuleEntry(name: name, source: "kernel command line"))
            }
        }
        var files: [String: String] = [:]
        for dir in directories {
            guard let names = try? Directory.entries(base + dir) else { continue }
            for raw in names where raw.first != UInt8(ascii: ".") {
                let name = String(decoding: raw, as: UTF8.self)
                guard name.hasSuffix(".conf"), files[name] == nil else { continue }
                files[name] = dir + "/" + name
            }
        }
        var readTargets = Set<String>()
        for name in files.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let path = files[name]!
            guard let target = resolved(path, base: base) else { continue }  // masked
            readTargets.insert(target)
            apply(base + target, shownAs: path, into: &out)
        }
        if !readTargets.contains("/etc/modules") { apply(base + "/etc/modules", shownAs: "/etc/modules", into: &out) }
        return out
    }

    /// The path a list file's symlinks end at (inside root), nil for a /dev/null mask.
    static func resolved(_ path: String, base: String) -> String? {
        var current = path
        for _ in 0..<32 {
            guard let target = try? Directory.linkTarget(base + current) else { return current }
            let t = String(decoding: target, as: UTF8.self)
            if t == "/dev/null" { return nil }
            current = normalized(t.hasPrefix("/") ? t : String(current[..<current.lastIndex(of: "/")!]) + "/" + t)
        }
        return current
    }

    /// An absolute path without `.`, `..` and empty components (`..` at / stays at /).
    static func normalized(_ path: String) -> String {
        var parts = [Substring]()
        for p in path.split(separator: "/") where p != "." {
            if p == ".." { _ = parts.popLast() } else { parts.append(p) }
        }
        return "/" + parts.joined(separator: "/")
    }

    static func apply(_ file: String, shownAs path: String, into out: inout Read) {
        let bytes: [UInt8]
        do {
            guard let b = try SourceFile.readIfPresent(file) else { return }
            bytes = b
        } catch {
            out.errors.append("\(path): \(error)")
            return
        }
        var number = 0
        for line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
            number += 1
            let text = strip(line)
            guard let first = text.first, first != UInt8(ascii: "#"), first != UInt8(ascii: ";") else { continue }
            out.entries.append(StaticModuleEntry(name: String(decoding: text, as: UTF8.self), source: "\(path):\(number)"))
        }
    }

    /// systemd's strstrip: WHITESPACE is space, tab, newline, carriage return.
    static func strip(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let ws: (UInt8) -> Bool = { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }
        guard let start = s.firstIndex(where: { !ws($0) }), let end = s.lastIndex(where: { !ws($0) }) else { return [] }
        return s[start...end]
    }

    public enum Initrd: Sendable { case inside, outside }

    /// `modules_load=a,b` words of a kernel command line (`-` and `_` alike in the key, as
    /// proc_cmdline_key_streq); `rd.modules_load=` only `inside` the initramfs, where the
    /// plain key counts too. Double quotes group, as the kernel's own parser.
    public static func commandLineModules(_ cmdline: [UInt8], inInitrd: Initrd) -> [String] {
        var out = [String]()
        for word in words(cmdline) {
            guard let eq = word.firstIndex(of: UInt8(ascii: "=")) else { continue }
            var key = String(decoding: word[..<eq], as: UTF8.self).replacingUnderscores()
            if key.hasPrefix("rd.") {
                guard inInitrd == .inside else { continue }
                key.removeFirst(3)
            }
            guard key == "modules-load" else { continue }
            for name in word[(eq + 1)...].split(separator: UInt8(ascii: ",")) where !name.isEmpty {
                out.append(String(decoding: name, as: UTF8.self))
            }
        }
        return out
    }

    static func words(_ s: [UInt8]) -> [[UInt8]] {
        var out = [[UInt8]](), current = [UInt8](), quoted = false, inWord = false
        for c in s {
            if c == UInt8(ascii: "\"") { quoted.toggle(); inWord = true; continue }
            if !quoted, c == 32 || c == 9 || c == 10 {
                if inWord { out.append(current); current = []; inWord = false }
                continue
            }
            current.append(c); inWord = true
        }
        if inWord { out.append(current) }
        return out
    }
}

private extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
