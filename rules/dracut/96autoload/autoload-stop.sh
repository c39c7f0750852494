#!/bin/sh
# dracut cleanup hook (sourced by dracut's init after pre-pivot, or by
# dracut-pre-pivot in systemd initrds): the root is mounted, so stop the
# `autoloadd daemon` the pre-trigger hook started (daemon mode only), before
# dracut stops udevd and switches root; the real system's loader takes over
# and replays every device. SIGTERM, then up to 10 s for the inits already
# running; after that SIGKILL, and the boot goes on regardless. The outcome
# goes to /run/autoload/daemon.status. Sourced: no exit, names unset at the end.

# autoloadd still runs as this PID (not a zombie, not a recycled PID).
_autoload_alive() {
    [ -r "/proc/$1/stat" ] || return 1
    read -r _ _autoload_comm _autoload_st _ <"/proc/$1/stat" 2>/dev/null || return 1
    [ "$_autoload_comm" = "(autoloadd)" ] || return 1
    case $_autoload_st in Z|X) return 1 ;; esac
}
_autoload_uptime() { read -r _autoload_up _ </proc/uptime; echo "${_autoload_up%.*}"; }

if [ -r /run/autoload/daemon.pid ]; then
    read -r _autoload_pid </run/autoload/daemon.pid
    rm -f /run/autoload/daemon.pid
    case $_autoload_pid in ''|*[!0-9]*) _autoload_pid= ;; esac
    if [ -z "$_autoload_pid" ] || ! _autoload_alive "$_autoload_pid"; then
        echo gone >/run/autoload/daemon.status
    else
        kill -TERM "$_autoload_pid" 2>/dev/null
        _autoload_deadline=$(( $(_autoload_uptime) + 10 ))
        while _autoload_alive "$_autoload_pid" && [ "$(_autoload_uptime)" -lt "$_autoload_deadline" ]; do
            sleep 0.1 2>/dev/null || sleep 1
        done
        if _autoload_alive "$_autoload_pid"; then
            warn "autoload: autoloadd daemon ($_autoload_pid) did not stop within 10 s of SIGTERM; killing it"
            kill -KILL "$_autoload_pid" 2>/dev/null
            echo killed >/run/autoload/daemon.status
        else
            echo stopped >/run/autoload/daemon.status
        fi
    fi
fi
unset _autoload_pid _autoload_deadline _autoload_comm _autoload_st _autoload_up
unset -f _autoload_alive _autoload_uptime
