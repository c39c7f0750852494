import CKmod

extension KmodContext {
    /// `alias` lines (`kmod_config_get_aliases`), in the order libkmod
    /// consults them: config files sorted by file name, lines in file order.
    public func configAliases() throws(KmodError) -> [ConfigAlias] {
        try KmodConfigIterator(kmod_config_get_aliases(handle), function: "kmod_config_get_aliases")
            .entries().map { ConfigAlias(pattern: $0.key, module: $0.value ?? "") }
    }

    /// `install` lines (`kmod_config_get_install_commands`), in file order.
    /// libkmod uses the first whose module pattern matches, and ignores it
    /// altogether for a module that has softdeps.
    public func configInstallCommands() throws(KmodError) -> [ConfigCommand] {
        try KmodConfigIterator(kmod_config_get_install_commands(handle),
                               function: "kmod_config_get_install_commands")
            .entries().map { ConfigCommand(module: $0.key, command: $0.value ?? "") }
    }

    /// `remove` lines (`kmod_config_get_remove_commands`), in file order.
    public func configRemoveCommands() throws(KmodError) -> [ConfigCommand] {
        try KmodConfigIterator(kmod_config_get_remove_commands(handle),
                               function: "kmod_config_get_remove_commands")
            .entries().map { ConfigCommand(module: $0.key, command: $0.value ?? "") }
    }

    /// Blacklisted module names (`kmod_config_get_blacklists`): `blacklist`
    /// lines in file order, then `modprobe.blacklist=` from /proc/cmdline.
    public func configBlacklist() throws(KmodError) -> [String] {
        try KmodConfigIterator(kmod_config_get_blacklists(handle), function: "kmod_config_get_blacklists")
            .entries().map(\.key)
    }

    /// `options` lines (`kmod_config_get_options`) in file order, then every
    /// `module.param=value` on /proc/cmdline (so expect entries that belong
    /// to no module in this tree).
    public func configOptions() throws(KmodError) -> [ConfigOptions] {
        try KmodConfigIterator(kmod_config_get_options(handle), function: "kmod_config_get_options")
            .entries().map { ConfigOptions(module: $0.key, options: $0.value ?? "") }
    }

    /// `softdep` lines (`kmod_config_get_softdeps`). modules.softdep is read
    /// as if it were a config file named "modules.softdep", so its lines sort
    /// among the modprobe.d files by that name.
    public func configSoftdeps() throws(KmodError) -> [ConfigSoftdep] {
        try KmodConfigIterator(kmod_config_get_softdeps(handle), function: "kmod_config_get_softdeps")
            .entries().map { SoftdepValue.parse(module: $0.key, $0.value ?? "") }
    }
}
