import LinuxSystem
import AliasMatcher
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's resolver, kept current: before events are resolved it checks (a few stat(2)
/// calls) whether depmod rewrote the tree or modprobe.d changed, and if so opens the new data
/// before the next lookup, so there is no stale window (udevd re-checks every 3 s). A new tree
/// that cannot be opened keeps the last good resolver and says why, once per change.
///
/// Not `Sendable`: the lookup's lazy automaton belongs to the receive thread.
public final class FreshResolver: Resolving {
    public let setup: ResolverSetup
    public private(set) var opened: ResolverSetup.Opened
    /// libkmod's own view of the tree and modprobe.d, kept only for `kmod_validate_resources`.
    private var watcher: KmodContext
    /// The sources' stamps when the last rebuild failed: not retried until they change again.
    private var failedStamps: [FileStamp]?

    public init(setup: ResolverSetup) throws(SetupError) {
        self.setup = setup
        opened = try setup.open()
        do {
            watcher = try KmodContext(modulesDirectory: setup.location.resolvedModulesDirectory,
                                      configPaths: setup.location.configPaths)
        } catch { throw .kmod(error) }
    }

    public var lookup: AliasLookup { opened.lookup }

    /// Gives back the index file's resident pages (MADV_DONTNEED): an idle daemon keeps only
    /// what it allocated; the next lookup faults in what it touches from the page cache.
    public func releaseIndexPages() { opened.indexMapping?.dropResidentPages() }
    public var blacklist: Set<String> { opened.blacklist }

    /// Reopens when the tree or the configuration changed since the last open (or always,
    /// with `force`, for SIGHUP).
    public func refresh(force: Bool = false) -> ResolverRefresh {
        let stamps = currentStamps()
        let changed = force || !watcher.resourcesAreCurrent()
            || !zip(stamps, opened.lookup.index.stamps).allSatisfy { $0.sameVersion(as: $1) }
        guard changed else { return .current }
        if !force, let failed = failedStamps, failed.count == stamps.count,
           zip(failed, stamps).allSatisfy({ $0.sameVersion(as: $1) }) {
            return .current
        }
        do {
            let next = try setup.open()
            let nextWatcher: KmodContext
            do {
                nextWatcher = try KmodContext(modulesDirectory: setup.location.resolvedModulesDirectory,
                                              configPaths: setup.location.configPaths)
            } catch { throw SetupError.kmod(error) }
            opened = next
            watcher = nextWatcher
            failedStamps = nil
            return .reloaded(notes: next.notes)
        } catch {
            failedStamps = stamps
            return .keptPrevious(reason: "\(error)")
        }
    }

    private func currentStamps() -> [FileStamp] {
        let dir = setup.location.resolvedModulesDirectory
        let base = dir.hasSuffix("/") ? dir : dir + "/"
        return ModuleTreeText.sources.map { (try? FileStamp.of(base + $0)) ?? .missing }
    }
}

@available(*, unavailable)
extension FreshResolver: Sendable {}
