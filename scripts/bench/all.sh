#!/usr/bin/env bash
# Every benchmark into one results directory, then Benchmarks/README.md's "Results against the goals"
# table from them (scripts/bench/report.py). Steps, in this order:
#   process   scripts/bench/resolve-process.sh (100k strings; one string per process)  ~3 min
#   lookup    cd Benchmarks && swift run -c release LookupRatio                          ~4 min
#   hotplug   scripts/vm/compare-hotplug.sh --runs N (static autoloadd)                 ~10 min
#   coldplug  scripts/vm/compare-coldplug.sh --runs N (static autoloadd)                ~30 min
#   latency   scripts/vm/compare-latency.sh --runs N (static autoloadd)                 ~8 min
#   report    scripts/bench/report.py over all of the above (DIR/report.md)
# Each step's stdout and stderr go to DIR/STEP.md and DIR/STEP.log; a failing step is
# reported and the others still run. The static binary (scripts/build-static.sh), the one
# rules/install.sh installs, is built once and measured by the process and VM steps
# (DIR/build-static.log).
#
# Usage: scripts/bench/all.sh [--out DIR] [--skip STEP[,STEP]] [--runs N] [--update-readme]
#   --out DIR          results directory (default /tmp/autoload-bench.YYYYmmdd-HHMMSS)
#   --skip LIST        steps to leave out (process, lookup, hotplug, coldplug, latency, report); the
#                      report says "not measured" for their goals unless DIR has their files
#   --runs N           VM boots per contender for hotplug, coldplug and latency (default 3)
#   --update-readme    also write the table between the bench-report markers in Benchmarks/README.md
# With --skip for every measuring step and --out an earlier DIR, only the report is made again.
# Environment: LOOKUP_ARGS (extra LookupRatio arguments, e.g. "--runs 5"); resolve-process.sh's
# RUNS, COUNT, SCRATCH.
# Needs what the steps need: swift, hyperfine (installed when missing), the module trees
# (scripts/kernel-tree.sh), and for the VM steps root on Debian 12 (qemu etc. installed on
# first use). Takes ~45 min on 2 cores. Exit status: 0 every step succeeded; 1 some failed; 2 usage.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SCRIPT_NAME=all.sh
# shellcheck source=../lib/common.sh
. "$REPO/scripts/lib/common.sh"

OUT='' SKIP='' RUNS=3 README=0
while (($#)); do
    case $1 in
        --out) OUT=${2:?}; shift 2 ;;
        --skip) SKIP=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --update-readme) README=1; shift ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage_error "--runs needs a positive number"
IFS=, read -r -a skipped <<<"$SKIP"
for s in "${skipped[@]}"; do
    case $s in process|lookup|hotplug|coldplug|latency|report) ;; *) usage_error "unknown step in --skip: $s" ;; esac
done
skip() { [[ ",$SKIP," == *",$1,"* ]]; }
OUT=${OUT:-/tmp/autoload-bench.$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$REPO"
log "results in $OUT"

declare -A STATUS
order=()
# step NAME COMMAND...: runs COMMAND with stdout in OUT/NAME.md and stderr in OUT/NAME.log.
step() {
    local name=$1 rc=0 t0=$SECONDS
    shift
    order+=("$name")
    if skip "$name"; then
        STATUS[$name]="skipped"
        log "$name: skipped"
        return 0
    fi
    log "$name: $* ($(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg))"
    "$@" >"$OUT/$name.md" 2>"$OUT/$name.log" || rc=$?
    if ((rc == 0)); then
        STATUS[$name]="ok ($((SECONDS - t0)) s)"
    else
        STATUS[$name]="FAILED (exit $rc after $((SECONDS - t0)) s; see $OUT/$name.log)"
        tail -n 5 "$OUT/$name.log" | sed 's/^/    /' >&2
    fi
    log "$name: ${STATUS[$name]}"
}

lookup_ratio() (  # a subshell: the build's progress to the log, LookupRatio's tables to stdout
    cd "$REPO/Benchmarks" || exit
    rm -f .build/*/release/description.json  # stale file list of the root package (see scripts/fuzz.sh)
    swift build -c release --product LookupRatio >&2 || exit
    # shellcheck disable=SC2086 # LOOKUP_ARGS is a list of words
    swift run -c release --skip-build LookupRatio ${LOOKUP_ARGS:-}
)

BINARY='' STATIC_TRIED=0
static_binary() {  # once for both VM steps
    [[ -n $BINARY ]] && return 0
    ((STATIC_TRIED == 0)) || return 1
    STATIC_TRIED=1
    local path
    if path=$("$REPO/scripts/build-static.sh" 2>"$OUT/build-static.log") && [[ -x $path ]]; then
        BINARY=$path
        log "static autoloadd: $BINARY"
    else
        log "scripts/build-static.sh failed; see $OUT/build-static.log"
        return 1
    fi
}
vm_step() {  # vm_step SCRIPT ARGS...: a VM comparison with the static binary
    static_binary || return 3
    "$@" --binary "$BINARY"
}

# The installed binary is the static one: the per-process figures (udev helper) are its.
process_step() {
    static_binary || return 3
    env BENCH_DIR="$OUT/process" AUTOLOADD="$BINARY" "$HERE/resolve-process.sh"
}
step process process_step
step lookup lookup_ratio
step hotplug vm_step "$REPO/scripts/vm/compare-hotplug.sh" --runs "$RUNS" --out "$OUT/hotplug"
step coldplug vm_step "$REPO/scripts/vm/compare-coldplug.sh" --runs "$RUNS" --out "$OUT/coldplug"
step latency vm_step "$REPO/scripts/vm/compare-latency.sh" --runs "$RUNS" --out "$OUT/latency"

report=("$HERE/report.py" --lookup "$OUT/lookup.md" --process "$OUT/process"
        --coldplug "$OUT/coldplug" --hotplug "$OUT/hotplug" --latency "$OUT/latency")
step report "${report[@]}"
if [[ $README == 1 ]] && ! skip report; then
    "${report[@]}" --readme "$REPO/Benchmarks/README.md" || { STATUS[report]="FAILED (Benchmarks/README.md not updated)"; log "report: Benchmarks/README.md not updated"; }
fi

echo
echo "## scripts/bench/all.sh: $OUT"
echo
failed=0
for s in "${order[@]}"; do
    echo "- $s: ${STATUS[$s]}"
    [[ ${STATUS[$s]} != FAILED* ]] || failed=1
done
skip report || { echo; cat "$OUT/report.md" 2>/dev/null || true; }
exit "$failed"
