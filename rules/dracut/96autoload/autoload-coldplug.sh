#!/bin/sh
# dracut pre-trigger hook (sourced by dracut's init): load the drivers of every
# device present before udev replays events and the initqueue waits for root.
# rd.autoload=0 skips it; rd.autoload.explain=1 prints the reasons.
# No `set -e`/exit: the hook is sourced into dracut's init shell.
if getargbool 1 rd.autoload && [ -x /usr/sbin/autoloadd ]; then
    if getargbool 0 rd.autoload.explain; then
        /usr/sbin/autoloadd coldplug --explain
    else
        /usr/sbin/autoloadd coldplug
    fi
    _autoload_rc=$?
    mkdir -p /run/autoload && echo "$_autoload_rc" >/run/autoload/coldplug.status
    [ "$_autoload_rc" = 0 ] || warn "autoload: coldplug exited with status $_autoload_rc (a driver failed to load)"
    unset _autoload_rc
fi
