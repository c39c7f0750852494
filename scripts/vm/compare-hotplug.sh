#!/usr/bin/env bash
# Hotplug latency and idle memory in a real kernel: autoloadd daemon vs systemd-udevd, a fresh
# qemu (TCG) boot per run, same kernel, same PC, same initramfs (with udevd), contenders
# alternated. Each boots, does its coldplug, prints "=== READY-FOR-HOTPLUG ===", the host
# hot-adds an e1000e NIC (PCIe hotplug port) and a usb-storage stick (xhci) with QMP
# device_add, and the guest times until e1000e and usb_storage are Live (host QMP time
# included, the same for both). Then the contender's idle memory (main process, and all of its
# processes: udevd keeps workers): Rss, Pss, Private and Anonymous from smaps_rollup (lib.sh's
# rss_report). Prints a markdown table of medians.
# Usage: scripts/vm/compare-hotplug.sh [--binary PATH] [--runs N] [--out DIR]
# Every boot runs under `flock ${AUTOLOAD_VM_LOCK:-/tmp/autoload-vm.lock}`. Exit status: 0 the
# table was made (failed boots count as not ok in it); 2 usage.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LOCK=${AUTOLOAD_VM_LOCK:-/tmp/autoload-vm.lock}   # one VM at a time, as compare-coldplug.sh
SCRIPT_NAME=compare-hotplug
# shellcheck source=../lib/common.sh
. "$REPO/scripts/lib/common.sh"
BINARY='' RUNS=3 OUT=''
while (($#)); do
    case $1 in
        --binary) BINARY=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
cd "$REPO"
if [[ -z $BINARY ]]; then BINARY=$(scripts/build-static.sh); fi
read -r _arch KVER ROOT < <(scripts/kernel-tree.sh amd64)
OUT=${OUT:-$(mktemp -d /tmp/compare-hotplug.XXXXXX)}
mkdir -p "$OUT"
guest_index "$BINARY" "$ROOT/lib/modules/$KVER" "$KVER" "$OUT"
vm=(--udev --binary "$BINARY:/usr/bin/autoloadd" "${GUEST_INDEX[@]}"
    --hotplug --append "autoload.hotplug_expect=e1000e,usb_storage")
MEM=(idle_rss_kb idle_pss_kb idle_private_kb idle_anon_kb idle_rss_total_kb idle_pss_total_kb idle_private_total_kb idle_anon_total_kb processes)
(IFS=$'\t'; echo "contender	run	status	coldplug_ready_ms	hotplug_live_ms	${MEM[*]}") >"$OUT/results.tsv"
field() { grep -o "$1=[0-9]*" "$2" | head -1 | cut -d= -f2; }
for ((run = 1; run <= RUNS; run++)); do
    order=(autoloadd-daemon udevd-hotplug)
    ((run % 2 == 0)) && order=(udevd-hotplug autoloadd-daemon)
    for scenario in "${order[@]}"; do
        dir=$OUT/$scenario-$run
        echo "compare-hotplug: run $run: $scenario" >&2
        status=0
        flock "$LOCK" "$HERE/run.sh" "${vm[@]}" --scenario "$scenario" --out "$dir" >"$dir.txt" 2>"$dir.err" || status=$?
        row=("$scenario" "$run" "$status" "$(field coldplug_ready_ms "$dir.txt")" "$(field hotplug_live_ms "$dir.txt")")
        for k in "${MEM[@]}"; do row+=("$(field "$k" "$dir.txt")"); done
        (IFS=$'\t'; echo "${row[*]}") >>"$OUT/results.tsv"
    done
done
python3 - "$OUT/results.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(c, k):
    v = [int(r[k]) for r in rows if r["contender"] == c and r["status"] == "0" and r[k]]
    return (statistics.median(v), len(v)) if v else (None, 0)
keys = ("coldplug_ready_ms", "hotplug_live_ms", "idle_pss_total_kb", "idle_private_total_kb", "idle_anon_total_kb",
        "idle_rss_total_kb", "idle_pss_kb", "processes")
print("| contender | runs ok | coldplug ready (ms) | hotplug → live (ms) | idle Pss, all processes (kB) | idle Private, all (kB) "
      "| idle Anonymous, all (kB) | idle RSS, all (kB) | idle Pss, main process (kB) | processes |")
print("|---|---|---|---|---|---|---|---|---|---|")
for c in ("autoloadd-daemon", "udevd-hotplug"):
    cols = [med(c, k) for k in keys]
    n = cols[1][1]
    print(f"| {c} | {n} | " + " | ".join("—" if v is None else f"{v:.0f}" for v, _ in cols) + " |")
a, u = med("autoloadd-daemon", "hotplug_live_ms")[0], med("udevd-hotplug", "hotplug_live_ms")[0]
if a and u: print(f"\nhotplug latency ratio autoloadd/udevd: {a / u:.2f}")
for k, label in (("idle_pss_total_kb", "Pss"), ("idle_private_total_kb", "Private")):
    a, u = med("autoloadd-daemon", k)[0], med("udevd-hotplug", k)[0]
    if a and u: print(f"idle {label} ratio autoloadd/udevd (all processes): {a / u:.2f}")
PY
echo "results: $OUT/results.tsv" >&2
