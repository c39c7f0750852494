#!/usr/bin/env bash
# Coldplug race in a real kernel: a fresh qemu (TCG) boot per run, same kernel, same emulated
# PC, same initramfs, contenders alternated across runs; medians of "time until the last
# module is live" (modwatch in the guest samples /proc/modules every 20 ms) and the set
# differences against systemd-udevd. Prints a markdown table.
#
# Usage: scripts/vm/compare-coldplug.sh --binary PATH/TO/autoloadd [options]
#   --runs N              boots per contender (default 3)
#   --contenders LIST     comma separated, from: autoloadd udevd alpine mdev floor
#                         autoloadd-b (default the first five)
#     autoloadd  `autoloadd coldplug` (compiled index in the initramfs)
#     autoloadd-b  the same with the --binary-b build (an A/B of two builds, same boots)
#     daemon     `autoloadd daemon`, done at its READY (the first coldplug settled)
#     udevd      systemd-udevd + udevadm trigger (subsystems, devices) + settle, stock rules
#     alpine     find /sys -name modalias | sort -u | xargs modprobe -b -a, to a fixpoint
#     mdev       busybox mdev -d with a $MODALIAS modprobe line, every uevent written "add"
#     floor      the leaf modules of the first --floor-from run, all modprobes at once
#   --binary-b PATH       a second autoloadd build, contender autoloadd-b
#   --floor-from NAME     whose final set the floor loads (default udevd)
#   --reference NAME      set differences against NAME (default udevd)
#   --out DIR             keep every boot's output and results.tsv there (default: a new
#                         directory under /tmp, kept)
#   --timeout S           per boot (default 600)
#   --append ARGS         extra kernel command line for every boot
#   --devices SET         run.sh's device set (full, all, minimal, none; default full)
#   --qemu-arg ARG        one more qemu argument for every boot, repeatable (another machine)
# Every boot runs under `flock ${AUTOLOAD_VM_LOCK:-/tmp/autoload-vm.lock}`, as the fault lab's.
# Needs root on Debian 12 (installs qemu, busybox-static, udev, ... on first use).
# Exit status: 0 all boots succeeded; 1 some boot failed (still summarised); 2 usage.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LOCK=${AUTOLOAD_VM_LOCK:-/tmp/autoload-vm.lock}   # one VM at a time: two would share 2 cores
SCRIPT_NAME=compare-coldplug
# shellcheck source=../lib/common.sh
. "$REPO/scripts/lib/common.sh"

BINARY='' BINARY_B='' RUNS=3 CONTENDERS=autoloadd,udevd,alpine,mdev,floor FLOOR_FROM=udevd REF=udevd
OUT='' TIMEOUT=600 APPEND='' MACHINE=()
while (($#)); do
    case $1 in
        --binary) BINARY=${2:?}; shift 2 ;;
        --binary-b) BINARY_B=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --contenders) CONTENDERS=${2:?}; shift 2 ;;
        --floor-from) FLOOR_FROM=${2:?}; shift 2 ;;
        --reference) REF=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --append) APPEND="$APPEND ${2:?}"; shift 2 ;;
        --devices) MACHINE+=(--devices "${2:?}"); shift 2 ;;
        --qemu-arg) MACHINE+=(--qemu-arg "${2:?}"); shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage_error "--runs needs a positive number"
IFS=, read -r -a LIST <<<"$CONTENDERS"
scenario_of() {
    case $1 in
        autoloadd|autoloadd-b) echo autoloadd-race ;;
        daemon) echo autoloadd-daemon-race ;;
        udevd) echo udevd-coldplug ;;
        alpine) echo alpine-coldplug ;;
        mdev) echo mdev-coldplug ;;
        floor) echo floor-coldplug ;;
        *) return 1 ;;
    esac
}
for c in "${LIST[@]}"; do scenario_of "$c" >/dev/null || usage_error "unknown contender $c"; done
has() { [[ ",$CONTENDERS," == *",$1,"* ]]; }
if has autoloadd || has daemon; then
    [[ -n $BINARY && -x $BINARY ]] || usage_error "--binary PATH/TO/autoloadd is needed for the autoloadd contender"
fi
if has autoloadd-b; then
    [[ -n $BINARY && -n $BINARY_B && -x $BINARY_B ]] || usage_error "autoloadd-b needs --binary and --binary-b"
fi
if has floor; then
    has "$FLOOR_FROM" || usage_error "the floor needs --floor-from $FLOOR_FROM among the contenders"
    [[ $FLOOR_FROM != floor ]] || usage_error "--floor-from cannot be floor"
fi
[[ -n $OUT ]] || OUT=$(mktemp -d /tmp/compare-coldplug.XXXXXX)
mkdir -p "$OUT"

# ---- one initramfs for all (the floor's adds only its list) --------------------------
read -r _ KVER KROOT < <("$REPO/scripts/kernel-tree.sh" amd64)
COMMON=(--udev --timeout "$TIMEOUT" --append "autoload.kmodprobe=keep$APPEND" ${MACHINE[@]+"${MACHINE[@]}"})
if [[ -n $BINARY ]]; then
    # The compiled index goes in, as an initramfs hook would leave it.
    guest_index "$BINARY" "$KROOT/lib/modules/$KVER" "$KVER" "$OUT"
    COMMON+=(--binary "$BINARY:/usr/bin/autoloadd" "${GUEST_INDEX[@]}")
    [[ -z $BINARY_B ]] || COMMON+=(--binary "$BINARY_B:/usr/bin/autoloadd-b")
fi

# ---- run order: round r is the list rotated by r-1; round 1 puts the floor's source first
# and the floor last, so the floor's list exists when it runs ----------------------------
ORDER=("$FLOOR_FROM")
for c in "${LIST[@]}"; do [[ $c == "$FLOOR_FROM" || $c == floor ]] || ORDER+=("$c"); done
has floor && ORDER+=(floor)
has "$FLOOR_FROM" || ORDER=("${ORDER[@]:1}")

RESULTS=$OUT/results.tsv
printf 'run\tcontender\trc\tdone_ms\tlast_live_ms\tmodules\tnew_modules\n' >"$RESULTS"
FAILED=0
n=${#ORDER[@]}
log "kernel $KVER, ${RUNS} run(s) of: ${ORDER[*]}; output in $OUT"
for ((r = 1; r <= RUNS; r++)); do
    for ((i = 0; i < n; i++)); do
        c=${ORDER[$(((i + r - 1) % n))]}
        s=$(scenario_of "$c")
        dir=$OUT/r$r-$c
        extra=()
        [[ $c == floor ]] && extra=(--add "$OUT/floor.modules:/etc/autoload-floor.modules")
        [[ $c == autoloadd-b ]] && extra=(--append autoload.bin=autoloadd-b)
        log "run $r/$RUNS: $c ($(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg))"
        rc=0
        flock "$LOCK" "$HERE/run.sh" "${COMMON[@]}" "${extra[@]}" --scenario "$s" --out "$dir" >"$dir.txt" 2>"$dir.err" || rc=$?
        line=$(grep -m1 '^race contender=' "$dir.txt" || true)
        if [[ $rc != 0 || -z $line ]]; then
            FAILED=1
            log "  $c failed (rc=$rc); see $dir.err and $dir.txt"
            tail -n 5 "$dir.err" | sed 's/^/    /' >&2
        fi
        val() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$line"; }
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$c" "$rc" "$(val done_ms)" "$(val last_live_ms)" \
            "$(val modules)" "$(val new_modules)" >>"$RESULTS"
        log "  ${line:-no result}"
        # The floor loads the leaves (nothing else uses them) of its source's first final set,
        # minus what was live before the race (the kernel's own early loads).
        if [[ $c == "$FLOOR_FROM" && ! -s $OUT/floor.modules && -n $line ]]; then
            times=$dir/sections/${s}__live-times.txt procm=$dir/sections/${s}__proc-modules.txt
            if [[ -s $procm ]]; then
                awk 'NR == FNR { new[$2] = 1; next } $4 == "-" && ($1 in new) { print $1 }' "$times" "$procm"
            else
                awk '{ print $2 }' "$times"
            fi | sort >"$OUT/floor.modules"
            log "  floor list: $(wc -l <"$OUT/floor.modules") modules from this run"
        fi
    done
done

python3 "$HERE/coldplug-table.py" "$OUT" "$REF"
exit "$FAILED"
