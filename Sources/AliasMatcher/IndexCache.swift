import LinuxSystem
import SystemPackage

/// Opens a module tree's `AliasIndex` through the compiled index file: reused while every
/// source file keeps its stamp, otherwise rebuilt from text and rewritten (atomically, by
/// rename). A cache that cannot be read or written only costs time: it is reported, never fatal.
public enum IndexCache {
    public struct Opened: Sendable {
        public var index: AliasIndex
        /// True when the file was reused as it was.
        public var reused: Bool
        /// Why it was rebuilt, or why it could not be saved.
        public var notes: [String]
        /// True when a reused file was not checked again because its `INDEX.verified`
        /// marker showed it was checked in full earlier in this boot.
        public var verifiedEarlier: Bool
        /// The mapped file a reused index reads from (its pages can be given back when idle).
        public var mapping: MappedFile?

        public init(index: AliasIndex, reused: Bool, notes: [String], verifiedEarlier: Bool = false,
                    mapping: MappedFile? = nil) {
            self.index = index; self.reused = reused; self.notes = notes; self.verifiedEarlier = verifiedEarlier
            self.mapping = mapping
        }
    }

    /// The cache file for a tree: one per modules directory inside `cacheDirectory`.
    public static func path(for modulesDirectory: String, in cacheDirectory: String) -> String {
        // The path's components joined by '_' (empty ones dropped), byte by byte: cheaper
        // than split/joined, whose generic code costs a one-shot process more than the rest.
        var name = [UInt8]()
        var pendingSeparator = false
        for c in modulesDirectory.utf8 {
            if c == UInt8(ascii: "/") { pendingSeparator = !name.isEmpty; continue }
            if pendingSeparator { name.append(UInt8(ascii: "_")); pendingSeparator = false }
            name.append(c)
        }
        return (cacheDirectory.hasSuffix("/") ? cacheDirectory : cacheDirectory + "/") + (name.isEmpty ? "root" : String(decoding: name, as: UTF8.self)) + ".idx"
    }

    public static func open(modulesDirectory: String, cacheFile: String?) throws(TreeError) -> Opened {
        let dir = modulesDirectory.hasSuffix("/") ? modulesDirectory : modulesDirectory + "/"
        var notes = [String]()
        guard let cacheFile else {
            return Opened(index: try AliasIndex(directory: dir), reused: false, notes: [])
        }
        var stamps = [FileStamp]()
        for f in ModuleTreeText.sources { stamps.append(try FileStamp.of(dir + f)) }
        do {
            if let mapped = try MappedFile.open(cacheFile) {
                let markerPath = IndexVerifiedMarker.path(forIndex: cacheFile)
                let marker = IndexVerifiedMarker(for: mapped)
                let verifiedEarlier = marker?.isRecorded(at: markerPath) ?? false
                let decoded = try IndexFile.decode(mapped: mapped, alreadyVerified: verifiedEarlier)
                if decoded.stamps.count == stamps.count, zip(decoded.stamps, stamps).allSatisfy({ $0.sameVersion(as: $1) }) {
                    if !verifiedEarlier {
                        marker?.record(at: markerPath)
                        mapped.dropResidentPages()
                    }
                    return Opened(index: decoded, reused: true, notes: [], verifiedEarlier: verifiedEarlier, mapping: mapped)
                }
                notes.append("\(cacheFile): module tree changed since it was built; rebuilding")
            } else {
                notes.append("\(cacheFile): not built yet")
            }
        } catch let e {
            notes.append("\(cacheFile): \(e); rebuilding")
        }
        let index = try AliasIndex(directory: dir)
        if let failure = save(index, to: cacheFile) { notes.append("\(cacheFile): not saved: \(failure)") }
        return Opened(index: index, reused: false, notes: notes)
    }

    /// Writes to a temporary name beside the target, then renames over it, so a reader never
    /// sees half a file. Returns the reason it failed, if it did.
    public static func save(_ index: AliasIndex, to path: String) -> String? {
        let bytes = IndexFile.encode(index)
        let target = FilePath(path)
        let dir = target.removingLastComponent()
        if (try? Stat(dir)) == nil {
            do { try createDirectories(dir) } catch { return "\(dir): \(errno(of: error))" }
        }
        do { try SourceFile.replace(path, with: bytes) } catch { return "\(error)" }
        return nil
    }
}
