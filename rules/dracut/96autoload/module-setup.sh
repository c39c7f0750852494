#!/bin/bash
# dracut module: autoloadd in the initramfs, started before udev replays the
# kernel's "add" events (pre-trigger hook; the same hook runs in systemd
# initrds through dracut-pre-trigger.service): one coldplug where udev in the
# image loads modules itself, else `autoloadd daemon` from pre-trigger until
# the cleanup hook (root mounted) so devices that appear late still get
# their drivers. Numbered 96 so it is installed after 95udev-rules and can
# replace its 80-drivers.rules.
#
# Setting (dracut.conf.d, e.g. /etc/dracut.conf.d/autoload.conf):
#   autoload_initramfs=yes  (default) include the module wherever autoloadd is
#                           installed
#   autoload_initramfs=no   include it only when asked for (--add autoload,
#                           add_dracutmodules+=" autoload "); the Debian package
#                           ships its dracut.conf.d file with this
#   autoload_udev=host      (default) keep what 95udev-rules installed: the
#                           stock rule, plus in hostonly images the host's
#                           /etc/udev/rules.d/80-drivers.rules override
#   autoload_udev=autoload  udev in the initramfs runs `autoloadd modalias`
#   autoload_udev=none      udev in the initramfs loads nothing
#   autoload_mode=auto      (default) `autoloadd daemon` (pre-trigger until
#                           cleanup) when udev in the image loads nothing (its
#                           80-drivers.rules, /etc's override first, has no
#                           `kmod load` / `autoloadd modalias` line, or is a
#                           /dev/null mask), else one `autoloadd coldplug`
#   autoload_mode=daemon|coldplug   force one of them
#   autoload_timeout=120    seconds the pre-trigger hook waits for READY

# Include the module whenever autoloadd is installed (return 0), or only when
# asked for with autoload_initramfs=no (255); 1 without autoloadd.
# moddir and initdir are set by dracut when it sources this file.
# shellcheck disable=SC2154
check() {
    require_binaries /usr/sbin/autoloadd || return 1
    [ "${autoload_initramfs:-yes}" = no ] && return 255
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
    inst_hook cleanup 10 "$moddir/autoload-stop.sh"

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

    # Does udev in the image load modules? Only 80-drivers.rules does (the
    # kmod builtin, or autoload's helper rule; comment lines aside, autoload's
    # rule quotes the lines it replaces). /etc's file hides the other.
    local mode=${autoload_mode:-auto} f
    case $mode in
        auto)
            mode=daemon
            for f in "$initdir$rules" "$initdir${udevdir:-/lib/udev}/rules.d/80-drivers.rules" \
                "$initdir/usr/lib/udev/rules.d/80-drivers.rules" "$initdir/lib/udev/rules.d/80-drivers.rules"; do
                [[ -e $f || -L $f ]] || continue
                if [[ $(readlink "$f") != /dev/null ]] && grep -v '^[[:space:]]*#' "$f" | grep -qE 'kmod load|autoloadd modalias'; then
                    mode=coldplug
                fi
                break
            done ;;
        daemon|coldplug) ;;
        *) derror "autoload: autoload_mode must be auto, daemon or coldplug (got '$mode')"; return 1 ;;
    esac
    case ${autoload_timeout:-120} in
        ''|*[!0-9]*) derror "autoload: autoload_timeout must be whole seconds (got '$autoload_timeout')"; return 1 ;;
    esac
    mkdir -p "$initdir/etc/autoload"
    {
        echo "# written by dracut's 96autoload (autoload_udev=${autoload_udev:-host} autoload_mode=${autoload_mode:-auto})"
        echo "AUTOLOAD_MODE=$mode"
        echo "AUTOLOAD_TIMEOUT=${autoload_timeout:-120}"
    } >"$initdir/etc/autoload/initramfs.conf"
}
