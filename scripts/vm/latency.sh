# Hotplug reaction latency in the guest (busybox sh; sourced by the latency-* scenarios after
# their loader is ready): the time from the kernel sending a device's `add` uevent to the
# loader's finit_module(2) call for the device's driver, both read from tracefs in the kernel's
# one trace clock, so neither the shell nor the host's QMP is in the figure. The uevent is the
# one a write to the device's sysfs `uevent` file makes the kernel send (a probe on its return).
#
# Trials: a loaded leaf driver (one bound device, no users, no driver bound below its device) is
# removed with rmmod and its device re-announced with `echo add > uevent`; the loader loads it
# again. Serial trials (one device at a time, round robin over the candidates) and bursts (every
# candidate removed, then all re-announced at once). tracefs marks each trial; the host
# (scripts/vm/latency-table.py) pairs each mark with its kobject_uevent_env hit and the
# finit_module whose thread then logs module_load for the driver.
#   autoload.latency_serial=N   serial trials (default 60)
#   autoload.latency_bursts=N   bursts (default 3)

TRACEFS=/sys/kernel/tracing

latency_trace_start() {
    [ -e "$TRACEFS/trace" ] || mount -t tracefs tracefs "$TRACEFS" || return 1
    echo 0 >"$TRACEFS/tracing_on"
    echo 8192 >"$TRACEFS/buffer_size_kb"
    # kobject_uevent_env cannot be probed (notrace) and uevent_store is not one symbol, so the
    # probes sit on dev_attr_store, the sysfs write of a device attribute that calls it: its
    # first argument is the kobject, whose first field is the name; its return is the time the
    # uevent has been broadcast.
    echo 'p:autoload/uevent dev_attr_store name=+0(+0(%di)):string' >"$TRACEFS/kprobe_events" || return 1
    echo 'r:autoload/uevent_sent dev_attr_store' >>"$TRACEFS/kprobe_events" || return 1
    for e in autoload/uevent autoload/uevent_sent syscalls/sys_enter_finit_module module/module_load; do
        echo 1 >"$TRACEFS/events/$e/enable" || return 1
    done
    echo >"$TRACEFS/trace"
    echo 1 >"$TRACEFS/tracing_on"
}

latency_mark() { echo "latency $*" >"$TRACEFS/trace_marker"; }

# "module devpath" of each loaded leaf driver with exactly one bound device.
latency_candidates() {
    for _drv in /sys/bus/*/drivers/*; do
        [ -L "$_drv/module" ] || continue
        _m=$(readlink "$_drv/module"); _m=${_m##*/}
        for _d in "$_drv"/*; do
            [ -L "$_d" ] && [ "${_d##*/}" != module ] && [ -e "$_d/uevent" ] || continue
            echo "$_m $(readlink -f "$_d")"
        done
    done | awk '{ n[$1]++; p[$1] = $2 } END { for (m in n) if (n[m] == 1) print m, p[m] }' | sort |
    while read -r _m _p; do
        grep -q "^$_m [0-9]* 0 - Live " /proc/modules || continue
        [ -z "$(ls "/sys/module/$_m/holders" 2>/dev/null)" ] || continue
        grep -q '^MODALIAS=' "$_p/uevent" || continue
        [ -z "$(find "$_p" -mindepth 2 -name driver 2>/dev/null | head -n 1)" ] || continue
        echo "$_m $_p"
    done
}

# latency_wait_live MODULE SECONDS: 0 once MODULE is live again, 1 at the deadline.
latency_wait_live() {
    _deadline=$(( $(uptime_ms) + $2 * 1000 ))
    while :; do
        read -r _s <"/sys/module/$1/initstate" 2>/dev/null && [ "$_s" = live ] && return 0
        [ "$(uptime_ms)" -ge "$_deadline" ] && return 1
        sleep 0.02
    done
}

# latency_remove MODULE DEVPATH: 0 when the module is gone and its device stayed.
latency_remove() {
    rmmod "$1" 2>/dev/null || return 1
    [ -e "$2/uevent" ]
}

latency_run() {
    latency_trace_start || { echo "latency: no tracefs kprobes in this kernel"; return 1; }
    latency_candidates >/run/latency-candidates
    section latency-candidates cat /run/latency-candidates
    _serial=${AUTOLOAD_LATENCY_SERIAL:-60} _bursts=${AUTOLOAD_LATENCY_BURSTS:-3}
    _missed=0 _done=0
    : >/run/latency-usable
    while read -r _m _p; do
        latency_remove "$_m" "$_p" || continue
        sleep 0.3
        latency_mark probe "$_m" "${_p##*/}"
        echo add >"$_p/uevent"
        if latency_wait_live "$_m" 20; then echo "$_m $_p" >>/run/latency-usable; else _missed=$((_missed + 1)); fi
    done </run/latency-candidates
    _n=$(wc -l </run/latency-usable)
    echo "latency_candidates=$(wc -l </run/latency-candidates) usable=$_n"
    [ "$_n" -gt 0 ] || return 1
    while [ "$_done" -lt "$_serial" ]; do
        while read -r _m _p; do
            [ "$_done" -lt "$_serial" ] || break
            latency_remove "$_m" "$_p" || continue
            sleep 0.3
            latency_mark serial "$_m" "${_p##*/}"
            echo add >"$_p/uevent"
            latency_wait_live "$_m" 20 || _missed=$((_missed + 1))
            _done=$((_done + 1))
        done </run/latency-usable
    done
    _b=0
    while [ "$_b" -lt "$_bursts" ]; do
        : >/run/latency-burst
        while read -r _m _p; do latency_remove "$_m" "$_p" && echo "$_m $_p" >>/run/latency-burst; done </run/latency-usable
        sleep 1
        while read -r _m _p; do latency_mark "burst$_b" "$_m" "${_p##*/}"; done </run/latency-burst
        while read -r _m _p; do echo add >"$_p/uevent"; done </run/latency-burst
        while read -r _m _p; do latency_wait_live "$_m" 30 || _missed=$((_missed + 1)); done </run/latency-burst
        echo "latency_burst=$_b devices=$(wc -l </run/latency-burst)"
        _b=$((_b + 1))
    done
    echo 0 >"$TRACEFS/tracing_on"
    echo "latency_serial=$_done latency_missed=$_missed"
    section latency-trace grep -E 'tracing_mark_write: latency|uevent(_sent)?:|sys_finit_module|module_load:' "$TRACEFS/trace"
    [ "$_missed" = 0 ]
}
