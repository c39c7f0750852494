#!/bin/sh
# dracut pre-trigger hook (sourced by dracut's init, or by dracut-pre-trigger
# in systemd initrds): load the drivers of every device present before udev
# replays events and the initqueue waits for the root. Two modes, chosen when
# the image is built (AUTOLOAD_MODE in /etc/autoload/initramfs.conf; see
# module-setup.sh):
#   coldplug  udev in the image loads modules itself, late devices included:
#             one `autoloadd coldplug`.
#   daemon    udev in the image loads nothing (autoload_udev=none, or the
#             host's /dev/null mask in a hostonly image): `autoloadd daemon`
#             starts in the background and this hook waits for its READY
#             (first coldplug done); it keeps loading for devices that appear
#             later (usb-storage disks, slow controllers) while the initqueue
#             waits for the root, and the cleanup hook (autoload-stop.sh)
#             stops it with SIGTERM once the root is mounted, before dracut
#             stops udevd and switches root.
# First the device nodes of modules.devname (/dev/fuse, ...), which a
# non-systemd initrd has no kmod-static-nodes for; existing ones are kept.
# Kernel command line: rd.autoload=0 skips it; rd.autoload.mode=daemon|coldplug
# overrides the mode; rd.autoload.timeout=SECONDS bounds the wait for READY
# (default 120); rd.autoload.explain=1 prints the reasons (coldplug).
# No `set -e`/exit: the hook is sourced into dracut's init shell, so every
# name it sets starts with _autoload and is unset at the end.
# Logs: /run/autoload/coldplug.log and coldplug.status (coldplug), daemon.json
# (one JSON line per decision), daemon.log, daemon.pid (daemon); all kept in
# the real root's /run.

_autoload_uptime() { read -r _autoload_up _ </proc/uptime; echo "${_autoload_up%.*}"; }
# The process exists and is not a zombie.
_autoload_alive() {
    [ -r "/proc/$1/stat" ] || return 1
    read -r _ _ _autoload_st _ <"/proc/$1/stat" 2>/dev/null || return 1
    case $_autoload_st in Z|X) return 1 ;; esac
}
_autoload_ready() {
    [ -r /run/autoload/daemon.json ] || return 1
    while read -r _autoload_line; do
        case $_autoload_line in *'"event":"ready"'*) return 0 ;; esac
    done </run/autoload/daemon.json
    return 1
}
_autoload_coldplug() {
    if getargbool 0 rd.autoload.explain; then
        /usr/sbin/autoloadd coldplug --explain
    else
        /usr/sbin/autoloadd coldplug >/run/autoload/coldplug.log
    fi
    _autoload_rc=$?
    echo "$_autoload_rc" >/run/autoload/coldplug.status
    [ "$_autoload_rc" = 0 ] || warn "autoload: coldplug exited with status $_autoload_rc (a driver failed to load)"
}
# Start the daemon, wait for READY with a deadline; 1 when it could not run.
_autoload_daemon() {
    _autoload_opts=--json
    case $(/usr/sbin/autoloadd daemon --help 2>&1) in
        *--timeout*) _autoload_opts="$_autoload_opts --timeout $_autoload_timeout" ;;
    esac
    # shellcheck disable=SC2086
    (unset NOTIFY_SOCKET; exec /usr/sbin/autoloadd daemon $_autoload_opts) \
        </dev/null >/run/autoload/daemon.json 2>/run/autoload/daemon.log &
    _autoload_pid=$!
    echo "$_autoload_pid" >/run/autoload/daemon.pid
    _autoload_deadline=$(( $(_autoload_uptime) + _autoload_timeout + 10 ))
    while :; do
        _autoload_ready && return 0
        if ! _autoload_alive "$_autoload_pid"; then
            wait "$_autoload_pid"
            warn "autoload: autoloadd daemon exited with status $? before it was ready (/run/autoload/daemon.log); running one coldplug instead"
            rm -f /run/autoload/daemon.pid
            return 1
        fi
        if [ "$(_autoload_uptime)" -ge "$_autoload_deadline" ]; then
            warn "autoload: autoloadd daemon not ready after $((_autoload_timeout + 10)) s; going on while it keeps loading"
            return 0
        fi
        sleep 0.2 2>/dev/null || sleep 1
    done
}

if getargbool 1 rd.autoload && [ -x /usr/sbin/autoloadd ]; then
    mkdir -p /run/autoload
    /usr/sbin/autoloadd static-nodes --create 2>>/run/autoload/static-nodes.log \
        || warn "autoload: static-nodes --create exited with status $? (/run/autoload/static-nodes.log)"
    AUTOLOAD_MODE=coldplug AUTOLOAD_TIMEOUT=120
    [ -r /etc/autoload/initramfs.conf ] && . /etc/autoload/initramfs.conf
    _autoload_mode=$(getarg rd.autoload.mode=) || _autoload_mode=
    case $_autoload_mode in daemon|coldplug) ;; *) _autoload_mode=$AUTOLOAD_MODE ;; esac
    _autoload_timeout=$(getarg rd.autoload.timeout=) || _autoload_timeout=
    case $_autoload_timeout in ''|*[!0-9]*) _autoload_timeout=$AUTOLOAD_TIMEOUT ;; esac
    case $_autoload_timeout in ''|*[!0-9]*) _autoload_timeout=120 ;; esac
    if [ "$_autoload_mode" = daemon ] && _autoload_daemon; then
        echo daemon >/run/autoload/mode
    else
        echo coldplug >/run/autoload/mode
        _autoload_coldplug
    fi
fi
unset _autoload_mode _autoload_timeout _autoload_opts _autoload_pid _autoload_deadline _autoload_rc
unset _autoload_up _autoload_st _autoload_line AUTOLOAD_MODE AUTOLOAD_TIMEOUT
unset -f _autoload_uptime _autoload_alive _autoload_ready _autoload_coldplug _autoload_daemon
