#if canImport(Glibc)
import Glibc
#endif
import CLinux

// Before anything can start a child process (install commands run through /bin/sh).
clinux_restore_environment()

let version = "0.1.0"

let usage = """
Usage: autoloadd COMMAND [OPTIONS] [ARGS]

Load the kernel modules a machine's devices need, as modprobe and systemd-udevd would.

Commands:
  resolve    print the modules a MODALIAS resolves to (libkmod's lookup, faster)
  coldplug   load the drivers of every device present (walks /sys until no new device)
  modalias   load the modules one device needs (udev RUN helper; default $MODALIAS)
  daemon     coldplug, then load drivers for every device the kernel announces
  index      compile (or refresh) the index file for a module tree
  static-nodes  print (or make) the device nodes of modules.devname, as kmod static-nodes

Run 'autoloadd COMMAND --help' for a command's options.
  --version   print the version
  --help      this help
"""

let args = ProcessArguments.strings
guard args.count >= 2 else {
    warn("no command given\n\n" + usage)
    exit(2)
}
switch args[1] {
case "resolve":
    exit(ResolveCommand.run(args[2...]))
case "coldplug":
    exit(ColdplugCommand.run(args[2...]))
case "modalias":
    exit(ModaliasCommand.run(args[2...]))
case "index":
    exit(IndexCommand.run(args[2...]))
case "static-nodes":
    exit(StaticNodesCommand.run(args[2...]))
case "daemon":
    exit(DaemonCommand.run(args[2...]))
case "--version", "version":
    print("autoloadd \(version)")
case "--help", "-h", "help":
    print(usage)
default:
    warn("unknown command '\(args[1])'\n\n" + usage)
    exit(2)
}
