# Shared helpers for guest scenarios (busybox sh). Sourced by /init and by
# each scenario as /usr/lib/autoload-vm/lib.sh.

# Debian's busybox-static ash (and its xargs) run busybox's own applets in
# preference to $PATH, so a bare `modprobe` would be busybox's, not kmod's.
# These functions make the plain names mean kmod; outside scenario shells
# (xargs, timeout, ...) use the absolute paths /sbin/modprobe etc.
modprobe() { /sbin/modprobe "$@"; }
insmod() { /sbin/insmod "$@"; }
lsmod() { /sbin/lsmod "$@"; }
rmmod() { /sbin/rmmod "$@"; }
modinfo() { /sbin/modinfo "$@"; }
depmod() { /sbin/depmod "$@"; }

# Guest uptime in milliseconds (/proc/uptime has 10 ms resolution).
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# Every distinct modalias currently exposed in sysfs, sorted.
# Default (autoload.scan=glob): read the modalias attribute of every bus
# device, every class device (input, dmi, ...) and the system subsystems (the
# cpu modalias lives at /sys/devices/system/cpu/modalias) - ~0.2 s.
# autoload.scan=find: the literal `find /sys -name modalias` (walks every
# sysfs entry, ~4 s under TCG once all drivers are loaded); the modaliases
# scenario checks that both give the same set.
# autoload.scan=uevent: also the MODALIAS= values of uevent files, which
# is what udev uses; some buses (mmc: "mmc:block") have no modalias file.
modaliases() {
    case ${AUTOLOAD_SCAN:-glob} in
        find) modaliases_find ;;
        uevent) { modaliases_glob; uevent_modaliases; } | sort -u ;;
        *) modaliases_glob ;;
    esac
}
modaliases_glob() {
    cat /sys/bus/*/devices/*/modalias /sys/class/*/*/modalias /sys/devices/system/*/modalias 2>/dev/null | sort -u
}
modaliases_find() { find /sys -name modalias -type f -exec cat {} + 2>/dev/null | sort -u; }
uevent_modaliases() {
    cat /sys/bus/*/devices/*/uevent /sys/class/*/*/uevent /sys/devices/system/*/uevent 2>/dev/null |
        sed -n 's/^MODALIAS=//p' | sort -u
}

# Lines of file $2 that are not in file $1.
setdiff() { awk 'FILENAME == ARGV[1] { seen[$0] = 1; next } !($0 in seen)' "$1" "$2"; }

# Loaded module names, sorted.
loaded_modules() { cut -d' ' -f1 /proc/modules | sort; }

# Nested marked section: section NAME CMD... (markers are "=== BEGIN/END ===",
# names are prefixed with the running scenario, e.g. oracle-modprobe/modules).
section() {
    _n="${SCENARIO:-scenario}/$1"; shift
    echo "=== BEGIN $_n ==="
    "$@"
    echo "=== END $_n ==="
}

# Wait until the kernel is quiet: no new uevent (/sys/kernel/uevent_seqnum
# counts every device add/bind/module load) and no module list change for
# $2 ms (default 2000), polling every 0.5 s, at most $1 s (default 20).
# Much cheaper than rescanning sysfs under TCG.
settle() {
    _max=$(( ${1:-20} * 1000 )) _quiet=${2:-2000} _st0=$(uptime_ms) _prev='' _since=''
    while :; do
        _cur="$(cat /sys/kernel/uevent_seqnum) $(wc -l </proc/modules)"
        _now=$(uptime_ms)
        if [ "$_cur" != "$_prev" ]; then _prev=$_cur _since=$_now
        elif [ $((_now - _since)) -ge "$_quiet" ]; then return 0
        fi
        [ $((_now - _st0)) -ge "$_max" ] && return 1
        sleep 0.5
    done
}

# modprobe every alias read on stdin (one per line), like the brief's
# `xargs modprobe -a -b -q`, NUL-delimited so no alias is ever split.
# modprobe's complaints (e.g. "No such device" from probe failures) are
# appended to /run/modprobe.err rather than cluttering the console.
modprobe_aliases() { tr '\n' '\0' | xargs -0 -r /sbin/modprobe -a -b -q 2>>/run/modprobe.err; }

# The oracle: modprobe all modaliases, settle, repeat until neither the
# modalias set nor the module list changes (at most $1 rounds, default 10).
# Prints one stats line per round; sets ORACLE_ROUNDS, ORACLE_MS and leaves
# /run/oracle/{aliases,modules}.{0,final}.
oracle_loop() {
    _max=${1:-10}
    mkdir -p /run/oracle
    _t0=$(uptime_ms)
    modaliases >/run/oracle/aliases.0
    loaded_modules >/run/oracle/modules.0
    cp /run/oracle/aliases.0 /run/oracle/aliases.cur
    cp /run/oracle/modules.0 /run/oracle/modules.cur
    ORACLE_ROUNDS=0
    while [ "$ORACLE_ROUNDS" -lt "$_max" ]; do
        ORACLE_ROUNDS=$((ORACLE_ROUNDS + 1))
        _r0=$(uptime_ms)
        modprobe_aliases </run/oracle/aliases.cur
        _r1=$(uptime_ms)
        settle 20 || echo "round=$ORACLE_ROUNDS warning: did not settle within 20 s"
        modaliases >/run/oracle/aliases.new
        loaded_modules >/run/oracle/modules.new
        _na=$(setdiff /run/oracle/aliases.cur /run/oracle/aliases.new | wc -l)
        _nm=$(setdiff /run/oracle/modules.cur /run/oracle/modules.new | wc -l)
        echo "round=$ORACLE_ROUNDS aliases=$(wc -l </run/oracle/aliases.new) new_aliases=$_na modules=$(wc -l </run/oracle/modules.new) new_modules=$_nm modprobe_ms=$((_r1 - _r0)) settle_ms=$(($(uptime_ms) - _r1))"
        _same=0
        cmp -s /run/oracle/aliases.new /run/oracle/aliases.cur && cmp -s /run/oracle/modules.new /run/oracle/modules.cur && _same=1
        mv /run/oracle/aliases.new /run/oracle/aliases.cur
        mv /run/oracle/modules.new /run/oracle/modules.cur
        [ "$_same" = 1 ] && break
    done
    ORACLE_MS=$(($(uptime_ms) - _t0))
    cp /run/oracle/aliases.cur /run/oracle/aliases.final
    cp /run/oracle/modules.cur /run/oracle/modules.final
}

# Kernel-initiated module requests recorded by the kmodprobe wrapper.
kernel_requests() { cat /run/kernel-modprobe.log 2>/dev/null; :; }

# Distinct modprobe error messages so far.
modprobe_errors() { sort -u /run/modprobe.err 2>/dev/null; :; }

# ---- coldplug races (compare-coldplug.sh) -----------------------------------
# race_begin NAME   start modwatch (when each module goes Live), then the clock
# race_done         the contender says it has finished (its command returned)
# race_end          wait until quiet, stop modwatch, print one line
#   race contender=NAME done_ms=D last_live_ms=L modules=M new_modules=N
# (ms since race_begin; L = when the last module that became Live did so) and
# sections live-times ("MS NAME", relative) and modules (names, sorted).
# Quiet = no uevent and no module-count change for 2 s; the wait is not counted,
# and modwatch keeps watching through it, so late loads still move L.
race_begin() {
    RACE_NAME=$1
    /usr/lib/autoload-vm/modwatch /run/race.live 20 &
    RACE_WATCH=$!
    # modwatch's first sample marks what is already live; give it time to take it.
    sleep 0.3
    RACE_T0=$(uptime_ms)
    RACE_DONE=''
}
race_done() { RACE_DONE=$(uptime_ms); }
race_end() {
    [ -n "$RACE_DONE" ] || race_done
    settle "${1:-60}" 2000 || echo "warning: not quiet within ${1:-60} s"
    kill -TERM "$RACE_WATCH"; wait "$RACE_WATCH"
    awk -v t0="$RACE_T0" '$1 > 0 { printf "%d %s\n", $1 - t0, $2 }' /run/race.live | sort -n >/run/race.times
    _last=$(tail -n 1 /run/race.times | cut -d' ' -f1)
    echo "race contender=$RACE_NAME done_ms=$((RACE_DONE - RACE_T0)) last_live_ms=${_last:-0} modules=$(wc -l </proc/modules) new_modules=$(wc -l </run/race.times)"
    section live-times cat /run/race.times
    section modules loaded_modules
}

# hotplug_wait_for_modules: with autoload.hotplug set, print the marker the host waits for
# before its QMP device_add, then wait until every module named in autoload.hotplug_expect
# (comma-separated) is Live. Prints hotplug_live_ms (marker to the last one Live, host QMP time
# included, the same for every contender), the new modules, and sets HOTPLUG_RC (1 = timeout).
hotplug_wait_for_modules() {
    HOTPLUG_RC=0
    [ -n "$AUTOLOAD_HOTPLUG" ] || return 0
    loaded_modules >/run/hp-before
    _want=$(echo "$AUTOLOAD_HOTPLUG_EXPECT" | tr ',' ' ')
    echo "=== READY-FOR-HOTPLUG ==="
    _t0=$(uptime_ms) _wait=${AUTOLOAD_HOTPLUG_WAIT:-60}
    while :; do
        _missing=
        for _m in $_want; do grep -q "^$_m .* Live " /proc/modules || _missing="$_missing $_m"; done
        [ -z "$_missing" ] && break
        [ $(( $(uptime_ms) - _t0 )) -ge $((_wait * 1000)) ] && { HOTPLUG_RC=1; break; }
        sleep 0.05
    done
    echo "hotplug_live_ms=$(( $(uptime_ms) - _t0 )) missing=${_missing:-none}"
    loaded_modules >/run/hp-after
    section new-modules setdiff /run/hp-before /run/hp-after
}

# rss_report NAME: after 5 s idle, memory of the oldest process called NAME and of all of them
# (udevd keeps worker processes), in kB, from /proc/PID/smaps_rollup: Rss; Pss (shared pages
# split among their users: what the machine pays); Private (Private_Clean + Private_Dirty);
# Anonymous (heap, stacks: what no page cache backs).
rss_report() {
    sleep 5
    _minpid='' _n=0 _totals='0 0 0 0' _main='0 0 0 0'
    for _s in /proc/[0-9]*/status; do
        read -r _ _comm <"$_s" 2>/dev/null || continue
        [ "$_comm" = "$1" ] || continue
        _pid=${_s#/proc/}; _pid=${_pid%/status}
        _m=$(awk '$1 == "Rss:" { r = $2 } $1 == "Pss:" { p = $2 } $1 ~ /^Private_(Clean|Dirty):$/ { v += $2 }
            $1 == "Anonymous:" { a = $2 } END { printf "%d %d %d %d", r, p, v, a }' "/proc/$_pid/smaps_rollup" 2>/dev/null) || continue
        if [ -z "$_minpid" ] || [ "$_pid" -lt "$_minpid" ]; then _minpid=$_pid _main=$_m; fi
        _totals=$(echo "$_totals $_m" | awk '{ printf "%d %d %d %d", $1 + $5, $2 + $6, $3 + $7, $4 + $8 }')
        _n=$((_n + 1))
    done
    set -- $_main $_totals
    echo "idle_rss_kb=$1 idle_pss_kb=$2 idle_private_kb=$3 idle_anon_kb=$4 idle_rss_total_kb=$5 idle_pss_total_kb=$6 idle_private_total_kb=$7 idle_anon_total_kb=$8 processes=$_n"
}
