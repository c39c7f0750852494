# Guest helpers of the fault lab (busybox sh), installed as /usr/lib/autoload-vm/faultlab.sh
# by faultlab/run.sh; sourced by scenarios/fault-* after lib.sh.
#   autoload.contender=autoloadd|udevd   which loader the boot runs (default autoloadd)
#   autoload.fault_timeout=S             the --timeout given to autoloadd (default 30)
FL_CONTENDER=${AUTOLOAD_CONTENDER:-autoloadd}
FL_T=${AUTOLOAD_FAULT_TIMEOUT:-30}
FL_FAILS=0
FL_FAULTS="autoload_hang autoload_slow autoload_eio"

# fl_begin MODULE...: every fault module not named is blacklisted (modprobe.d applies to alias
# lookups in udevd's kmod builtin and in autoloadd alike), so e.g. the edu device of run.sh's
# full PC does not make every scenario hang.
fl_begin() {
    mkdir -p /run/fl /etc/modprobe.d /var/cache/autoload
    : >/etc/modprobe.d/faultlab.conf
    for _m in $FL_FAULTS; do
        case " $* " in *" $_m "*) ;; *) echo "blacklist $_m" >>/etc/modprobe.d/faultlab.conf ;; esac
    done
    echo "contender=$FL_CONTENDER fault_timeout=$FL_T faults=$* blacklisted=$(cut -d' ' -f2 /etc/modprobe.d/faultlab.conf | tr '\n' ',')"
}

# fl_check NAME CONDITION-EXIT-STATUS DETAIL...: one "check NAME=ok|FAIL detail" line. In a
# udevd boot the same conditions are measurements of the reference, not requirements:
# "udevd NAME=yes|no detail", never a failure.
fl_check() {
    _name=$1 _ok=$2; shift 2
    if [ "$FL_CONTENDER" = udevd ]; then
        if [ "$_ok" = 0 ]; then echo "udevd $_name=yes $*"; else echo "udevd $_name=no $*"; fi
    elif [ "$_ok" = 0 ]; then echo "check $_name=ok $*"; else echo "check $_name=FAIL $*"; FL_FAILS=$((FL_FAILS + 1)); fi
}
fl_le() { [ "$1" -le "$2" ]; echo $?; }   # "0" when $1 <= $2
fl_ge() { [ "$1" -ge "$2" ]; echo $?; }

# fl_start TAG CMD...: run CMD in the background, stdout /run/fl/TAG.out, stderr TAG.err; its
# pid in FL_PID (and TAG.pid). TAG.rc appears when the whole process is gone: the subshell's
# wait returns only once every thread of it has exited, which a thread stuck in the kernel
# (finit_module) delays.
fl_start() {
    _tag=$1; shift
    rm -f "/run/fl/$_tag.rc"
    ( "$@" >"/run/fl/$_tag.out" 2>"/run/fl/$_tag.err" & echo $! >"/run/fl/$_tag.pid"; wait $!; echo $? >"/run/fl/$_tag.rc" ) &
    while [ ! -s "/run/fl/$_tag.pid" ]; do sleep 0.05; done
    FL_PID=$(cat "/run/fl/$_tag.pid")
    FL_T0=$(uptime_ms)
}
# fl_wait TAG LIMIT_S: wait until TAG exits or LIMIT_S seconds after fl_start; then SIGKILL it
# (FL_KILLED=1; a killable init gives up) and wait until it is gone (at most 60 s more).
# Sets FL_RC (137 when killed), FL_MS (start to exit, or to the kill).
fl_wait() {
    FL_KILLED=0
    while [ ! -f "/run/fl/$1.rc" ]; do
        if [ $(( $(uptime_ms) - FL_T0 )) -ge $(( $2 * 1000 )) ]; then
            FL_KILLED=1; FL_MS=$(( $(uptime_ms) - FL_T0 ))
            kill -KILL "$(cat "/run/fl/$1.pid")" 2>/dev/null
            _k=0
            while [ ! -f "/run/fl/$1.rc" ] && [ $_k -lt 600 ]; do sleep 0.1; _k=$((_k + 1)); done
            FL_RC=$(cat "/run/fl/$1.rc" 2>/dev/null || echo gone-not)
            echo "$1: killed after ${FL_MS} ms (limit ${2} s), gone $((_k * 100)) ms later, rc=$FL_RC"
            return
        fi
        sleep 0.1
    done
    FL_MS=$(( $(uptime_ms) - FL_T0 ))
    FL_RC=$(cat "/run/fl/$1.rc")
}

# fl_has SUBCOMMAND OPTION: does this autoloadd's SUBCOMMAND --help mention OPTION?
fl_has() { autoloadd "$1" --help 2>&1 | grep -q -- "$2"; }

# Module names by /proc/modules state (Live, Loading, Unloading), sorted.
fl_modules_in() { awk -v s="$1" '$5 == s { print $1 }' /proc/modules | sort; }
fl_state() { awk -v m="$1" '$1 == m { print $5; f = 1 } END { if (!f) print "absent" }' /proc/modules; }

# systemd-udevd with stock rules, triggered as udevd-coldplug does, but in the foreground (in
# the background of this shell) with its log on stderr, /run/fl/udevd.log: with --daemon and
# no journal its warnings about a stuck worker go nowhere.
fl_udevd_start() {
    SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=info /lib/systemd/systemd-udevd >/run/fl/udevd.log 2>&1 &
    FL_UDEVD=$!
    _i=0
    until udevadm control --ping 2>/dev/null; do
        _i=$((_i + 1)); [ $_i -lt 100 ] || { echo "systemd-udevd did not start"; cat /run/fl/udevd.log; exit 1; }
        sleep 0.1
    done
    udevadm trigger --type=subsystems --action=add
    udevadm trigger --type=devices --action=add
}
# What udevd logged (less its per-device chatter), and the kernel's lines about our modules.
fl_udevd_log() {
    grep -v -i -e 'Failed to \(get\|read\) .*link' /run/fl/udevd.log 2>/dev/null | tail -n 60
    dmesg | grep -E 'autoload_(hang|slow|eio)' | grep -v 'taints kernel\|verification failed'
}

# The second serial port (ttyS1) is faultlab/run.sh's signal line to the host (scenario c).
fl_signal() { [ -c /dev/ttyS1 ] && echo "=== FAULTLAB $1 ===" >/dev/ttyS1; }

fl_end() {
    echo "checks_failed=$FL_FAILS"
    [ "$FL_FAILS" = 0 ]
}
