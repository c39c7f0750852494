#!/usr/bin/env bash
# Hotplug reaction latency in a real kernel: from the kernel broadcasting a device's `add`
# uevent to the loader's finit_module(2) for its driver, both from tracefs in the guest
# (scripts/vm/latency.sh), autoloadd daemon against systemd-udevd, same kernel, same PC, same
# initramfs (with udevd), a fresh qemu (TCG) boot per run, contenders alternated. Each run has
# serial trials (one device re-announced at a time) and bursts (every candidate at once).
# Prints p50/p99 per contender and mode and their ratios (latency-table.py); the raw trials go
# to OUT/trials.tsv and each boot's trace to OUT/CONTENDER-RUN/.
# Usage: scripts/vm/compare-latency.sh [--binary PATH] [--runs N] [--serial N] [--bursts N] [--out DIR]
# Every boot runs under `flock ${AUTOLOAD_VM_LOCK:-/tmp/autoload-vm.lock}`. Exit status: 0 the
# table was made; 1 a boot failed; 2 usage.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LOCK=${AUTOLOAD_VM_LOCK:-/tmp/autoload-vm.lock}
SCRIPT_NAME=compare-latency
# shellcheck source=../lib/common.sh
. "$REPO/scripts/lib/common.sh"
BINARY='' RUNS=2 SERIAL=60 BURSTS=3 OUT=''
while (($#)); do
    case $1 in
        --binary) BINARY=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --serial) SERIAL=${2:?}; shift 2 ;;
        --bursts) BURSTS=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
cd "$REPO"
if [[ -z $BINARY ]]; then BINARY=$(scripts/build-static.sh); fi
read -r _arch KVER ROOT < <(scripts/kernel-tree.sh amd64)
OUT=${OUT:-$(mktemp -d /tmp/compare-latency.XXXXXX)}
mkdir -p "$OUT"
guest_index "$BINARY" "$ROOT/lib/modules/$KVER" "$KVER" "$OUT"
vm=(--udev --binary "$BINARY:/usr/bin/autoloadd" "${GUEST_INDEX[@]}"
    --timeout 900 --append "autoload.latency_serial=$SERIAL autoload.latency_bursts=$BURSTS")
traces=() failed=0
for ((run = 1; run <= RUNS; run++)); do
    order=(autoloadd udevd)
    ((run % 2 == 0)) && order=(udevd autoloadd)
    for contender in "${order[@]}"; do
        dir=$OUT/$contender-$run
        log "run $run: $contender"
        if ! flock "$LOCK" "$HERE/run.sh" "${vm[@]}" --scenario "latency-$contender" --out "$dir" >"$dir.txt" 2>"$dir.err"; then
            log "run $run: $contender failed ($dir.err)"; failed=1; continue
        fi
        traces+=("$contender=$dir/sections/latency-${contender}__latency-trace.txt")
    done
done
((${#traces[@]})) || die "no boot succeeded"
python3 "$HERE/latency-table.py" "$OUT/trials.tsv" "${traces[@]}"
log "results: $OUT/trials.tsv"
exit "$failed"
