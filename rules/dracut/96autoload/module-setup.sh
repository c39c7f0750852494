#!/bin/bash
# dracut module: autoloadd in the initramfs, run as one coldplug before udev
# replays the kernel's "add" events (pre-trigger hook; the same hook runs in
# systemd initrds through dracut-pre-trigger.service). Numbered 96 so it is
# installed after 95udev-rules and can replace its 80-drivers.rules.
#
# Setting (dracut.conf.d, e.g. /etc/dracut.conf.d/autoload.conf):
#   autoload_udev=host      (default) keep what 95udev-rules installed: the
#                           stock rule, plus in hostonly images the host's
#                           /etc/udev/rules.d/80-drivers.rules override
#   autoload_udev=autoload  udev in the initramfs runs `autoloadd modalias`
#   autoload_udev=none      udev in the initramfs loads nothing

# Include the module whenever autoloadd is installed (return 0); 1 otherwise.
# moddir and initdir are set by dracut when it sources this file.
# shellcheck disable=SC2154
check() {
    require_binaries /usr/sbin/autoloadd || return 1
    return 0
}

depends() {
    echo udev-rules
    return 0
}

install() {
    # inst_binary resolves the ELF's libraries (RUNPATH included) like ldd:
    # autoloadd plus exactly what it links.
    inst_binary /usr/sbin/autoloadd
    inst_dir /var/cache/autoload
    inst_hook pre-trigger 10 "$moddir/autoload-coldplug.sh"

    # Overrides go to /etc/udev/rules.d, which hides the same-named file of
    # ${udevdir}/rules.d inside the initramfs too; in hostonly images
    # 95udev-rules may already have copied the host's /etc file there (for a
    # /dev/null mask, a symlink: remove it rather than write through it).
    local rules=/etc/udev/rules.d/80-drivers.rules
    case ${autoload_udev:-host} in
        host) ;;
        autoload)
            rm -f "$initdir$rules"
            inst_simple /usr/share/autoload/udev/80-drivers.rules "$rules" ;;
        none)
            rm -f "$initdir$rules"
            mkdir -p "$initdir${rules%/*}"
            printf '# autoload (autoload_udev=none): no module loading from udev\n' >"$initdir$rules" ;;
        *) derror "autoload: autoload_udev must be host, autoload or none (got '$autoload_udev')"; return 1 ;;
    esac
}
