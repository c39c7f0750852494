#!/bin/bash
# Builds the libFuzzer targets in Fuzz/ (ASan + libFuzzer) and runs each in turn, then the
# AliasMatcher = fnmatch(3) agreement run.
#
#   scripts/fuzz.sh                 # CI smoke run: 20 s per target, 100,000 agreement pairs
#   scripts/fuzz.sh 600             # 600 s per target
#   scripts/fuzz.sh --runs 10000000 # 10 M executions per target, 1 M agreement pairs
#   scripts/fuzz.sh 60 FuzzGlob     # only the named targets (FnmatchAgreement is one too)
#   FUZZ_BIN=/tmp/fuzz-bin scripts/fuzz.sh --runs 10000000 FuzzUevent   # no build step
#
# Logs go to $FUZZ_LOG_DIR (default Fuzz/.build/fuzz-logs): one log per target and run, and
# summary.log with one line per target (executions, seconds, crashes). Each target's corpus
# is kept in Fuzz/.build/corpus/TARGET (seeded from Fuzz/Seeds/TARGET) so later runs resume
# where earlier ones stopped; crashing inputs are saved next to the logs. Exit 1 when any
# target crashed or the agreement run found a disagreement.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$here/Fuzz"
limit=(-max_total_time=20)
pairs=100000
case "${1:-}" in
    --runs) limit=(-runs="$2"); pairs=1000000; shift 2 ;;
    ''|*[!0-9]*) ;;
    *) limit=(-max_total_time="$1"); [ "$1" -ge 600 ] && pairs=1000000; shift ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzUevent FuzzGlob FuzzTreeText FuzzIndexFile FnmatchAgreement)

log_dir=${FUZZ_LOG_DIR:-$fuzz/.build/fuzz-logs}
mkdir -p "$log_dir"
# FUZZ_BIN: run binaries built earlier (e.g. copied aside for a long run) instead of building.
bin=${FUZZ_BIN:-$fuzz/.build/release}
# One combined -sanitize= for the compiler: it keeps only the last -sanitize= flag it is given,
# and SwiftPM emits its --sanitize values in no fixed order, so `--sanitize=fuzzer
# --sanitize=address` built either coverage without ASan or ASan without coverage. The
# --sanitize=fuzzer stays for SwiftPM's own handling of libFuzzer executables (its main).
# SwiftPM keeps the root package's file list in description.json and does not notice a source
# file added to it, so the build fails on the new file's types: drop the stale list first.
if [ -z "${FUZZ_BIN:-}" ]; then
    rm -f "$fuzz"/.build/*/release/description.json
    (cd "$fuzz" && swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address)
fi

# Refuse binaries without coverage counters: the run would be blind (the mixed build above,
# or a stale one, left only the handful of counters libFuzzer's own stub carries).
for t in "${targets[@]}"; do
    [ "$t" != FnmatchAgreement ] || continue
    counters=$(SWIFT_BACKTRACE=enable=no "$bin/$t" -runs=0 2>&1 | sed -n 's/.*(\([0-9]*\) inline 8-bit counters).*/\1/p' | head -n 1)
    if [ "${counters:-0}" -lt 5000 ]; then
        echo "fuzz.sh: $bin/$t has ${counters:-0} coverage counters, not instrumented; rebuild: rm -rf $fuzz/.build/x86_64-unknown-linux-gnu/release" >&2
        exit 1
    fi
done

# No Swift backtracer (libFuzzer and ASan report crashes); no allocation stack traces: these
# targets allocate on every input and unwinding for each allocation costs more than the
# parsing under test. A crash found this way is rerun with ASAN_OPTIONS unset for the trace.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0:quarantine_size_mb=16}

# Longest input per target: a kernel uevent is at most UEVENT_BUFFER_SIZE (2 KiB), so 8 KiB
# leaves room for oversized ones; glob patterns and strings are short, and fnmatch(3)
# backtracks exponentially on long runs of '*'; text files get room for long lines.
max_len() {
    case $1 in
        FuzzUevent) echo 8192 ;;
        FuzzGlob) echo 256 ;;
        *) echo 4096 ;;
    esac
}

failed=0
stamp=$(date -u +%Y%m%dT%H%M%SZ)
for t in "${targets[@]}"; do
    log="$log_dir/$t-$stamp.log"
    start=$(date +%s)
    if [ "$t" = FnmatchAgreement ]; then
        status=0
        nice -n "${FUZZ_NICE:-10}" "$bin/FnmatchAgreement" "$pairs" "${FNMATCH_SEED:-1}" >"$log" 2>&1 || status=$?
        line="$t: $(tail -n 1 "$log") (exit $status, $(( $(date +%s) - start )) s)"
    else
        corpus="$fuzz/.build/corpus/$t"
        mkdir -p "$corpus"
        status=0
        nice -n "${FUZZ_NICE:-10}" "$bin/$t" "${limit[@]}" -max_len="$(max_len "$t")" \
            -print_final_stats=1 -artifact_prefix="$log_dir/$t-$stamp-crash-" \
            "$corpus" "$fuzz/Seeds/$t" >"$log" 2>&1 || status=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        # libFuzzer also saves inputs slower than -report_slow_units (10 s) under the same
        # prefix: those are no failure (a busy machine makes them), so they are counted apart.
        crashes=$(find "$log_dir" -maxdepth 1 -name "$t-$stamp-crash-*" ! -name "*slow-unit-*" | wc -l)
        slow=$(find "$log_dir" -maxdepth 1 -name "$t-$stamp-crash-slow-unit-*" | wc -l)
        line="$t: ${runs:-?} executions in $(( $(date +%s) - start )) s, exit $status, crash files $crashes, slow units $slow"
    fi
    [ "$status" -eq 0 ] || failed=1
    echo "$(date -u +%FT%TZ) $line" | tee -a "$log_dir/summary.log"
done
exit $failed
