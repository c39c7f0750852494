#!/bin/sh
# dracut pre-trigger hook (sourced by dracut's init): load the drivers of every
# device present before udev replays events and the initqueue waits for root.
# rd.autoload=0 skips it; rd.autoload.explain=1 prints the reasons.
# No `set -e`/exit: the hook is sourced into dracut's init shell.
# The per-module list (stdout) goes to /run/autoload/coldplug.log (kept in the
# real root's /run); the per-round summary and errors stay on the console.
if getargbool 1 rd.autoload && [ -x /usr/sbin/autoloadd ]; then
    mkdir -p /run/autoload
    if getargbool 0 rd.autoload.explain; then
        /usr/sbin/autoloadd coldplug --explain
    else
        /usr/sbin/autoloadd coldplug >/run/autoload/coldplug.log
    fi
    _autoload_rc=$?
    echo "$_autoload_rc" >/run/autoload/coldplug.status
    [ "$_autoload_rc" = 0 ] || warn "autoload: coldplug exited with status $_autoload_rc (a driver failed to load)"
    unset _autoload_rc
fi
