/// One modprobe.d `alias PATTERN MODULE` line. Both fields are as libkmod
/// stored them: '-' turned into '_' outside brackets.
public struct ConfigAlias: Sendable, Equatable, Hashable {
    /// fnmatch(3) pattern matched against the normalized lookup string.
    public let pattern: String
    public let module: String

    public init(pattern: String, module: String) {
        self.pattern = pattern
        self.module = module
    }
}

/// One `install MODULE COMMAND...` or `remove MODULE COMMAND...` line.
public struct ConfigCommand: Sendable, Equatable, Hashable {
    /// Module name, '-' normalized to '_'. libkmod matches it with fnmatch(3)
    /// against module names, so it may be a pattern.
    public let module: String
    /// The rest of the line, verbatim (a shell command).
    public let command: String

    public init(module: String, command: String) {
        self.module = module
        self.command = command
    }
}

/// One `options MODULE OPTIONS...` line, or a `module.param=value` from the
/// kernel command line (libkmod merges those in).
public struct ConfigOptions: Sendable, Equatable, Hashable {
    public let module: String
    /// The rest of the line, verbatim, e.g. `debug=1 mtu=9000`.
    public let options: String

    public init(module: String, options: String) {
        self.module = module
        self.options = options
    }
}

/// One `softdep MODULE pre: A B post: C` line, from modprobe.d or from
/// modules.softdep (which depmod writes from the modules' own `softdep=`).
public struct ConfigSoftdep: Sendable, Equatable, Hashable {
    public let module: String
    /// Modules to load before `module`, in line order.
    public let pre: [String]
    /// Modules to load after `module`, in line order.
    public let post: [String]

    public init(module: String, pre: [String], post: [String]) {
        self.module = module
        self.pre = pre
        self.post = post
    }
}
