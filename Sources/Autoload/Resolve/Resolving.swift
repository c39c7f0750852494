import AliasMatcher

/// What the engine resolves with: the lookup, libkmod's blacklist, and a way to pick up a new
/// tree or configuration.
public protocol Resolving: AnyObject {
    var lookup: AliasLookup { get }
    var blacklist: Set<String> { get }
    /// Reopens when the tree or configuration changed (always with `force`).
    func refresh(force: Bool) -> ResolverRefresh
}

public enum ResolverRefresh {
    case current
    case reloaded(notes: [String])
    /// The new data could not be opened; the previous resolver stays in use.
    case keptPrevious(reason: String)
}

/// A one-shot command's resolver: opened once, never reloaded.
public final class FixedResolver: Resolving {
    public let opened: ResolverSetup.Opened
    public init(_ opened: ResolverSetup.Opened) { self.opened = opened }
    public var lookup: AliasLookup { opened.lookup }
    public var blacklist: Set<String> { opened.blacklist }
    public func refresh(force: Bool) -> ResolverRefresh { .current }
}
