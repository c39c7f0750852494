import AliasMatcher

extension LookupConfig {
    /// The modprobe.d facts the lookup needs, read through libkmod's config API
    /// (`kmod_config_get_aliases`, `kmod_config_get_install_commands`,
    /// `kmod_config_get_remove_commands`), so autoload never parses modprobe.d itself.
    public init(_ kmod: borrowing KmodContext) throws(KmodError) {
        self.init(aliases: try kmod.configAliases().map { .init(pattern: $0.pattern, module: $0.module) },
                  installModules: try kmod.configInstallCommands().map(\.module),
                  removeModules: try kmod.configRemoveCommands().map(\.module))
    }
}
