import AliasMatcher
import Autoload

/// `autoloadd index`: build (or refresh) the compiled index for a tree and describe it.
enum IndexCommand {
    static let help = """
    Usage: autoloadd index [OPTIONS]

    Compile the module tree's modules.alias, modules.symbols, modules.dep and builtin
    files into the index file autoloadd reuses, unless it is already current, and print
    what it holds. Run it after depmod (e.g. from an initramfs hook) so the first
    lookup does not pay for compiling.

    Options:
      --root DIR, --kernel VERSION, --modules-dir DIR, --cache-dir DIR   as for resolve;
                          with --root and no --cache-dir (nor AUTOLOAD_CACHE_DIR) the index
                          is written inside DIR, DIR/var/cache/autoload, named as the
                          system booted from DIR looks it up (for image builders)
      --rebuild           compile from text even if the index file is current
      -h, --help          this help

    Exit status: 0 done; 2 usage; 3 the tree could not be read.
    """

    static func run(_ args: ArraySlice<String>) -> Int32 {
        let a: Arguments
        do {
            a = try Arguments(args, flags: ["rebuild", "help"], options: ["root", "kernel", "modules-dir", "cache-dir"])
        } catch {
            warn("index: \(error.message)\n\n\(help)")
            return 2
        }
        if a.flag("help") { print(help); return 0 }
        let dir = a.location.resolvedModulesDirectory
        let file = indexFile(a, modulesDirectory: dir)
        let opened: IndexCache.Opened
        do {
            if a.flag("rebuild") {
                let index = try AliasIndex(directory: dir)
                let failure = IndexCache.save(index, to: file)
                opened = IndexCache.Opened(index: index, reused: false, notes: failure.map { ["\(file): not saved: \($0)"] } ?? [])
            } else {
                opened = try IndexCache.open(modulesDirectory: dir, cacheFile: file)
            }
        } catch {
            warn("index: \(error)")
            return 3
        }
        for n in opened.notes { warn("index: \(n)") }
        let i = opened.index
        print("index file: \(file) (\(opened.reused ? "current, reused" : "compiled"))")
        print("modules: \(i.modules.count) loadable, \(i.builtinModules.count) builtin")
        for (name, set) in [("modules.dep names", i.names), ("modules.alias", i.aliases), ("modules.symbols", i.symbols),
                            ("modules.builtin names", i.builtinNames), ("builtin aliases", i.builtinAliases)] {
            print("\(name): \(set.entries.count) patterns, \(set.nodeCount) trie nodes, \(set.fallback.count) via fnmatch(3)")
        }
        for d in i.diagnostics { print("skipped: \(d)") }
        return 0
    }

    /// Where the index goes. Under `--root R` (without an explicit cache directory) it is R's
    /// own cache, R/var/cache/autoload, under the name the booted R computes for its tree
    /// (from the path inside R), so R starts with a current index instead of the host's cache
    /// holding one R never sees.
    static func indexFile(_ a: Arguments, modulesDirectory dir: String) -> String {
        let root = a.location.root.hasSuffix("/") ? String(a.location.root.dropLast()) : a.location.root
        let explicit = a.last("cache-dir") ?? environment("AUTOLOAD_CACHE_DIR")
        guard !root.isEmpty, explicit == nil else {
            // `index` takes no --no-cache, so this is never nil; the fallback only satisfies the type.
            return IndexCache.path(for: dir, in: a.cacheDirectory ?? ResolverSetup.defaultCacheDirectory)
        }
        let inside = dir.hasPrefix(root + "/") ? String(dir.dropFirst(root.count)) : dir
        return IndexCache.path(for: inside, in: root + ResolverSetup.defaultCacheDirectory)
    }
}
