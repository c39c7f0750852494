#if canImport(Glibc)
import LinuxSystem
import Glibc
#endif
import AliasMatcher

/// Where a blacklist entry comes from, for `coldplug --explain`: the first `blacklist NAME`
/// line in the modprobe.d files libkmod reads, in its order (file names sorted across the
/// directories, a name in an earlier directory hiding the same name in a later one), else
/// `modprobe.blacklist=` on the kernel command line. Diagnostics only: what is blacklisted is
/// libkmod's answer (`KmodContext.configBlacklist`); this only finds the line to name.
public enum BlacklistOrigin {
    /// "PATH:LINE", "kernel command line (modprobe.blacklist=)", or nil when neither names it.
    public static func find(_ module: String, configPaths: [String]?, commandLine: String = "/proc/cmdline") -> String? {
        let name = Array(module.utf8)
        for file in configFiles(configPaths ?? ConfigReadability.defaultPaths) {
            guard let bytes = try? SourceFile.readIfPresent(file) else { continue }
            var number = 0
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                number += 1
                let words = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
                if words.count >= 2, words[0].elementsEqual("blacklist".utf8), underscored(words[1]) == name {
                    return "\(file):\(number)"
                }
            }
        }
        guard let cmdline = try? SourceFile.readIfPresent(commandLine) else { return nil }
        let key = Array("modprobe.blacklist=".utf8)
        for word in cmdline.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") })
        where word.starts(with: key) {
            if word.dropFirst(key.count).split(separator: UInt8(ascii: ",")).contains(where: { underscored($0) == name }) {
                return "kernel command line (modprobe.blacklist=)"
            }
        }
        return nil
    }

    /// libkmod's normalization of a blacklist name ('-' → '_' outside brackets); a name with
    /// unbalanced brackets is a syntax error there, so it names nothing here.
    private static func underscored(_ s: some Collection<UInt8>) -> [UInt8]? {
        try? AliasNormalizer.normalize(s).get()
    }

    /// The files libkmod reads, in its order: a path that is a file as given; a directory's
    /// non-hidden *.conf and *.alias files, one per name (the first directory wins), all
    /// sorted by name.
    static func configFiles(_ paths: [String]) -> [String] {
        var byName = [(name: [UInt8], path: String)]()
        var seen = Set<[UInt8]>()
        for path in paths {
            guard let names = try? Directory.entries(path) else {
                if access(path, R_OK) == 0 { byName.append((Array(path.utf8), path)) }
                continue
            }
            for name in ConfigReadability.configNames(names) where seen.insert(name).inserted {
                byName.append((name, path + "/" + String(decoding: name, as: UTF8.self)))
            }
        }
        return byName.sorted { $0.name.lexicographicallyPrecedes($1.name) }.map(\.path)
    }
}
