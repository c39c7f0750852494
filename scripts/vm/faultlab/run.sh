#!/usr/bin/env bash
# The real-kernel fault lab (issue 16 item 5): boots Debian's kernel under qemu TCG with small
# out-of-tree modules that misbehave (build-modules.sh: autoload_hang, autoload_slow,
# autoload_eio in lib/modules/$KVER/updates, depmod'ed) and checks that autoloadd copes, with
# systemd-udevd (stock rules) in the same VM as the reference. One boot per scenario and
# contender, from one initramfs:
#   a  fault-hang    edu's init blocks 10 min: `coldplug --timeout T` exits 4 at T naming it,
#                    with udevd's other modules live; `daemon --timeout T` READY at T, a QMP
#                    hot-added e1000e gets its driver, SIGTERM exits within 5 s
#   b  fault-slow    ivshmem's init takes 20 s: everything else live >= 10 s before it
#   c  fault-churn   a usb-kbd added/removed every 0.5 s over QMP during coldplug: it returns
#   e  fault-errors  e1000.ko deleted after depmod: its path on stderr
#   f  fault-errors  (same boot) pci-testdev's init fails -EIO: "autoloadd: coldplug:
#                    autoload_eio: ..." on stderr, exit 0; --strict exits 1
# Prints PASS/FAIL per scenario with the numbers, udevd's behaviour, and "N passed, M failed".
#
# Usage: scripts/vm/faultlab/run.sh [--binary PATH] [--only a,b,c,e,f] [--contender C]
#                                   [--timeout T] [--kernel SPEC] [--out DIR]
#   --binary PATH   autoloadd to test (default: scripts/build-static.sh's build)
#   --only LIST     scenarios to run (default a,b,c,e,f; e and f share a boot)
#   --contender C   both (default), autoloadd or udevd: which boots to run; without the udevd
#                   boot, a's comparison with udevd's module set is skipped
#   --timeout T     autoloadd's --timeout in scenario a, seconds (default 30)
#   --kernel SPEC   kernel-tree.sh spec (default amd64)
#   --out DIR       keep every boot's output there (default: a new /tmp/faultlab.XXXXXX)
# Every boot runs under `flock ${AUTOLOAD_VM_LOCK:-/tmp/autoload-vm.lock}` and `nice -n 10`.
# Exit status: 0 all passed; 1 a scenario failed; 2 usage.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM=$(cd "$HERE/.." && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
LOCK=${AUTOLOAD_VM_LOCK:-/tmp/autoload-vm.lock}
SCRIPT_NAME=faultlab
# shellcheck source=../../lib/common.sh
. "$REPO/scripts/lib/common.sh"

BINARY='' ONLY=a,b,c,e,f CONTENDER=both T=30 KSPEC=amd64 OUT=''
while (($#)); do
    case $1 in
        --binary) BINARY=${2:?}; shift 2 ;;
        --only) ONLY=${2:?}; shift 2 ;;
        --contender) CONTENDER=${2:?}; shift 2 ;;
        --timeout) T=${2:?}; shift 2 ;;
        --kernel) KSPEC=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
case $CONTENDER in both) CONTS=(udevd autoloadd) ;; autoloadd|udevd) CONTS=("$CONTENDER") ;; *) usage_error "--contender must be both, autoloadd or udevd" ;; esac
[[ $T =~ ^[0-9]+$ ]] || usage_error "--timeout needs a number of seconds"
[[ -n $BINARY ]] || BINARY=$("$REPO/scripts/build-static.sh")
[[ -x $BINARY ]] || die "no autoloadd at $BINARY"
BINARY=$(readlink -f "$BINARY")
OUT=${OUT:-$(mktemp -d /tmp/faultlab.XXXXXX)}
mkdir -p "$OUT"

FL=$("$HERE/build-modules.sh" --kernel "$KSPEC" --binary "$BINARY")
KVER=$(cat "$FL/kver")
log "modules: $FL ($KVER); binary: $BINARY ($(sha256sum "$BINARY" | cut -c1-12)); out: $OUT"
COMMON=(--udev --kernel "$KSPEC" --binary "$BINARY:/usr/bin/autoloadd"
    --add "$FL/overlay:/lib/modules/$KVER"
    --add "$FL/lib_modules_$KVER.idx:/var/cache/autoload/lib_modules_$KVER.idx"
    --add "$HERE/guest.sh:/usr/lib/autoload-vm/faultlab.sh"
    --append autoload.kmodprobe=keep --append "autoload.fault_timeout=$T")

# boot SCEN CONTENDER TIMEOUT [run.sh args...] -> $OUT/SCEN-CONTENDER.{txt,err}, dir, status
boot() {
    local scen=$1 cont=$2 tmo=$3 name=$1-$2 churn=0 rc=0 t0
    shift 3
    local args=("${COMMON[@]}" --scenario "$scen" --append "autoload.contender=$cont" --timeout "$tmo" --out "$OUT/$name")
    if [[ $scen == fault-churn ]]; then
        churn=1
        rm -f "$OUT/$name.ttyS1" "$OUT/$name.qmp"
        args+=(--qemu-arg -serial --qemu-arg "file:$OUT/$name.ttyS1"
               --qemu-arg -qmp --qemu-arg "unix:$OUT/$name.qmp,server=on,wait=off")
    fi
    log "boot $name (timeout ${tmo}s)"
    t0=$(date +%s)
    # The churn helper starts inside the lock, with the boot, and ends with it.
    flock "$LOCK" nice -n 10 bash -c '
        churn=$1 sock=$2 sig=$3 log=$4; shift 4
        if ((churn)); then python3 "'"$HERE"'/usb-churn.py" "$sock" "$sig" --max 900 >"$log" 2>"$log.err" & cpid=$!; fi
        "$@"; rc=$?
        if ((churn)); then kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null; fi
        exit $rc' _ "$churn" "$OUT/$name.qmp" "$OUT/$name.ttyS1" "$OUT/$name.churn" \
        "$VM/run.sh" "${args[@]}" "$@" >"$OUT/$name.txt" 2>"$OUT/$name.err" || rc=$?
    echo "$rc" >"$OUT/$name.status"
    log "boot $name: status $rc in $(( $(date +%s) - t0 )) s"
}

wanted() { [[ ,$ONLY, == *,$1,* ]]; }
for c in "${CONTS[@]}"; do
    wanted a && boot fault-hang "$c" 900 --hotplug=e1000e --append "autoload.hotplug_expect=e1000e autoload.hotplug_wait=60"
    wanted b && boot fault-slow "$c" 420 --qemu-arg -object --qemu-arg memory-backend-ram,id=ivm,size=1M,share=on \
        --qemu-arg -device --qemu-arg ivshmem-plain,memdev=ivm
    wanted c && boot fault-churn "$c" 420
    { wanted e || wanted f; } && boot fault-errors "$c" 420 --qemu-arg -device --qemu-arg pci-testdev
done

# ---- verdicts ------------------------------------------------------------------------------
PASS=0 FAIL=0
val() { grep -o "\b$1=[^ ]*" "$2" 2>/dev/null | head -n 1 | cut -d= -f2-; }
# verdict LETTER TITLE CHECK-REGEX [HOST-FAILURE]: PASS when the autoloadd boot finished and
# every guest check matching CHECK-REGEX is ok, and HOST-FAILURE is empty.
verdict() {
    local letter=$1 title=$2 re=$3 host=${4:-} f=$OUT/$5-autoloadd.txt why=()
    if [[ ! -f $f ]]; then
        printf 'SKIP %s %s (no autoloadd boot)\n' "$letter" "$title"; return
    fi
    local st; st=$(cat "$OUT/$5-autoloadd.status")
    [[ $st == 0 || $st == 1 ]] || why+=("boot status $st")
    grep -q "^check \($re\)=" "$f" || why+=("no checks in the output")
    while read -r line; do why+=("${line#check }"); done < <(grep "^check \($re\)=FAIL" "$f" || true)
    [[ -z $host ]] || why+=("$host")
    if ((${#why[@]})); then
        FAIL=$((FAIL + 1)); printf 'FAIL %s %s\n' "$letter" "$title"; printf '       %s\n' "${why[@]}"
    else
        PASS=$((PASS + 1)); printf 'PASS %s %s\n' "$letter" "$title"
    fi
    grep "^check \($re\)=ok" "$f" | sed 's/^/       /' || true
}
udevd_note() {  # SCEN KEYS...: udevd's numbers from its boot
    local f=$OUT/$1-udevd.txt st=$OUT/$1-udevd.status k out=''; shift
    [[ -f $f ]] || return 0
    for k in "$@"; do out+=" $k=$(val "$k" "$f")"; done
    printf '       udevd (boot status %s):%s\n' "$(cat "$st")" "$out"
    grep '^udevd [a-z0-9-]*=' "$f" | sed 's/^/         /' || true
}

if wanted a; then
    host=''
    if [[ -f $OUT/fault-hang-udevd.txt && -f $OUT/fault-hang-autoloadd.txt ]]; then
        # udevd's set: what was live at its end, less autoload_hang and the hot-added NIC's modules.
        u=$OUT/fault-hang-udevd/sections
        sort "$u/fault-hang__live-at-end.txt" | comm -23 - <(sort "$u/fault-hang__new-modules.txt") |
            grep -vx autoload_hang >"$OUT/a.udevd-set" || true
        sort "$OUT/fault-hang-autoloadd/sections/fault-hang__live-at-return.txt" >"$OUT/a.autoloadd-live" 2>/dev/null || true
        if [[ ! -s $OUT/a.udevd-set ]]; then host="udevd's boot gave no module set"
        else
            missing=$(comm -23 "$OUT/a.udevd-set" "$OUT/a.autoloadd-live" | paste -sd, -)
            [[ -z $missing ]] || host="not live when coldplug returned but in udevd's set: $missing"
        fi
    fi
    verdict a "one init hangs (autoload_hang on edu; --timeout $T)" \
        'coldplug-[a-z-]*\|json-[a-z-]*\|daemon-[a-z-]*\|hotplug-driver' "$host" fault-hang
    [[ -f $OUT/a.udevd-set ]] && printf '       udevd set: %s modules (without autoload_hang); live at autoloadd coldplug return: %s\n' \
        "$(wc -l <"$OUT/a.udevd-set")" "$(wc -l <"$OUT/a.autoloadd-live" 2>/dev/null || echo 0)"
    f=$OUT/fault-hang-autoloadd.txt
    [[ -f $f ]] && printf '       autoloadd: coldplug_rc=%s coldplug_ms=%s daemon_ready_ms=%s hotplug_live_ms=%s daemon_term_ms=%s\n' \
        "$(val coldplug_rc "$f")" "$(val coldplug_ms "$f")" "$(val daemon_ready_ms "$f")" "$(val hotplug_live_ms "$f")" "$(val daemon_term_ms "$f")"
    udevd_note fault-hang udevd_settle_at_deadline_rc udevd_settle_at_deadline_ms hotplug_live_ms udevd_settle_final_ms autoload_hang
fi
if wanted b; then
    verdict b "one 20 s init (autoload_slow on ivshmem)" 'coldplug-exit-0\|slow-live\|others-long-before\|done-after-slow' '' fault-slow
    f=$OUT/fault-slow-autoloadd.txt
    [[ -f $f ]] && printf '       autoloadd: coldplug_ms=%s last_other_live_ms=%s live_slow_ms=%s\n' "$(val coldplug_ms "$f")" "$(val last_other_live_ms "$f")" "$(val live_slow_ms "$f")"
    udevd_note fault-slow udevd_settle_rc udevd_settle_ms last_other_live_ms live_slow_ms
fi
if wanted c; then
    verdict c "USB churn during coldplug (usb-kbd every 0.5 s)" 'churn-seen\|coldplug-settled\|coldplug-exit-0' '' fault-churn
    f=$OUT/fault-churn-autoloadd.txt
    [[ -f $f ]] && printf '       autoloadd: coldplug_rc=%s coldplug_ms=%s uevents_meanwhile=%s; host: %s\n' "$(val coldplug_rc "$f")" "$(val coldplug_ms "$f")" "$(val uevents_meanwhile "$f")" "$(cat "$OUT/fault-churn-autoloadd.churn" 2>/dev/null)"
    udevd_note fault-churn udevd_settle_rc udevd_settle_ms uevents_meanwhile
    [[ -f $OUT/fault-churn-udevd.churn ]] && printf '       udevd boot host: %s\n' "$(cat "$OUT/fault-churn-udevd.churn")"
fi
if wanted e; then
    verdict e "module file deleted after depmod (e1000.ko)" 'e-path-reported' '' fault-errors
    udevd_note fault-errors udevd_settle_ms e1000
fi
if wanted f; then
    verdict f "init fails with -EIO (autoload_eio on pci-testdev)" 'f-eio-reported\|exit-0-despite-failures\|strict-exit-1' '' fault-errors
    udevd_note fault-errors udevd_settle_ms autoload_eio
fi
log "output in $OUT"
echo "$PASS passed, $FAIL failed"
((FAIL == 0))
