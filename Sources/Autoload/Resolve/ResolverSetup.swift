import LinuxSystem
import AliasMatcher

/// Why a resolver could not be made, naming the file or directory at fault.
public enum SetupError: Error, CustomStringConvertible {
    case tree(TreeError)
    case kmod(KmodError)
    case noTree(String)

    public var description: String {
        switch self {
        case .tree(let e): return e.description
        case .kmod(let e): return e.description
        case .noTree(let dir): return "\(dir): no module tree here (modules.dep missing; run depmod?)"
        }
    }
}

/// Opens what a lookup needs: the compiled index (through its cache file) and libkmod's view
/// of modprobe.d.
public struct ResolverSetup: Sendable {
    public var location: ModuleTreeLocation
    /// Where compiled indexes are kept; nil builds in memory every time.
    public var cacheDirectory: String?

    public static let defaultCacheDirectory = "/var/cache/autoload"

    public init(location: ModuleTreeLocation, cacheDirectory: String? = ResolverSetup.defaultCacheDirectory) {
        self.location = location
        self.cacheDirectory = cacheDirectory
    }

    public struct Opened {
        public var lookup: AliasLookup
        public var notes: [String]
        /// modprobe.d `blacklist` names and `modprobe.blacklist=` from the kernel command line.
        public var blacklist: Set<String>
        /// The compiled index file's mapping, when the index was read from it.
        public var indexMapping: MappedFile?
    }

    public func open() throws(SetupError) -> Opened {
        let dir = location.resolvedModulesDirectory
        guard (try? FileStamp.of(dir + "/" + ModuleTreeText.dependencies)) != .missing else { throw .noTree(dir) }
        let opened: IndexCache.Opened
        do {
            opened = try IndexCache.open(modulesDirectory: dir,
                                         cacheFile: cacheDirectory.map { IndexCache.path(for: dir, in: $0) })
        } catch { throw .tree(error) }
        do { try ConfigReadability.check(location.configPaths) } catch { throw .tree(error) }
        let config: LookupConfig
        let blacklist: [String]
        do {
            let kmod = try KmodContext(modulesDirectory: dir, configPaths: location.configPaths)
            config = try LookupConfig(kmod)
            blacklist = try kmod.configBlacklist()
        } catch { throw .kmod(error) }
        return Opened(lookup: AliasLookup(index: opened.index, config: config),
                      notes: opened.notes + opened.index.diagnostics,
                      blacklist: Set(blacklist), indexMapping: opened.mapping)
    }
}
