#!/usr/bin/env bash
# Whole-process comparison of autoload and libkmod on a real module tree.
#
# Usage: scripts/bench/resolve-process.sh [ARCH[:FLAVOUR]]     (default: amd64:6.12)
#
#  1. 100k strings (scripts/bench/make-corpus.py --mixed) through
#       autoloadd resolve -            (compiled index reused from its cache file)
#       autoloadd resolve --no-cache - (index compiled from text in the process)
#       kmod-resolve                   (scripts/bench/kmod-resolve.c: kmod_load_resources,
#                                       then kmod_module_new_from_lookup per line)
#     checks that autoloadd's and libkmod's outputs are identical (diff), and times them.
#  2. One string per process, as a udev RUN helper would:
#       autoloadd modalias --dry-run X (the helper's own command; cache file built, one
#       warm-up run first) and autoloadd resolve X  vs  modprobe -n -d ROOT -S KVER X
#       and modprobe -R ...
#
# Times with hyperfine (installed with apt-get when missing), else a loop of `time`.
# Prints markdown tables and writes BENCH_DIR/results.tsv (for scripts/bench/report.py):
#   command mean stddev unit ratio ratio_is section strings runs kernel
# ratio is "libkmod loop / this" for the corpus runs, "this / modprobe -n X" for one string.
# Environment: RUNS (hyperfine runs for the 100k corpus, default 5), COUNT (corpus size,
# default 100000), SCRATCH (swift build scratch path, default .build-bench),
# BENCH_DIR (work files, default $SCRATCH/bench), AUTOLOADD (time this binary, no build).
set -euo pipefail
export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
spec=${1:-amd64:6.12}
RUNS=${RUNS:-5}
COUNT=${COUNT:-100000}
SCRATCH=${SCRATCH:-$repo/.build-bench}
work=${BENCH_DIR:-$SCRATCH/bench}
mkdir -p "$work"
tsv=$work/results.tsv
rm -f "$tsv" "$tsv.tmp"

log() { printf '== %s\n' "$*" >&2; }

IFS=$'\t' read -r _arch kver root < <("$repo/scripts/kernel-tree.sh" "$spec" | tail -n1)
moddir="$root/lib/modules/$kver"
log "tree: $moddir"

if [[ -n ${AUTOLOADD:-} ]]; then
    autoloadd=$AUTOLOADD
    log "autoloadd: $autoloadd (AUTOLOADD, not rebuilt)"
else
    log "building autoloadd (swift build -c release --scratch-path $SCRATCH)"
    swift build -c release --package-path "$repo" --scratch-path "$SCRATCH" --product autoloadd >&2
    autoloadd="$SCRATCH/release/autoloadd"
fi

log "compiling kmod-resolve (cc -O2 ... -lkmod)"
cc -O2 -Wall -o "$work/kmod-resolve" "$here/kmod-resolve.c" -lkmod
kmodresolve="$work/kmod-resolve"

corpus="$work/corpus-$kver-$COUNT.txt"
if [[ ! -s $corpus ]]; then
    log "corpus: $COUNT strings from $moddir/modules.alias"
    python3 "$here/make-corpus.py" --tree "$moddir" --mixed "$COUNT" > "$corpus.tmp"
    mv "$corpus.tmp" "$corpus"
fi

cache="$work/cache"
rm -rf "$cache"
resolve=("$autoloadd" resolve --root "$root" --kernel "$kver" --cache-dir "$cache")
# Build the index cache file once: the timed runs reuse it.
"${resolve[@]}" pci:v00008086d00001533sv00008086sd00000000bc02sc00i00 >/dev/null

log "checking outputs (autoloadd resolve - vs kmod-resolve)"
set +e
"${resolve[@]}" - < "$corpus" > "$work/out-autoload.txt" 2> "$work/err-autoload.txt"; st_a=$?
"$kmodresolve" "$moddir" < "$corpus" > "$work/out-libkmod.txt" 2> "$work/err-libkmod.txt"; st_k=$?
set -e
lines=$(wc -l < "$corpus")
matched=$(grep -c $'\t.' "$work/out-libkmod.txt" || true)
if diff -q "$work/out-autoload.txt" "$work/out-libkmod.txt" >/dev/null; then
    same="identical"
    ndiff=0
else
    same="DIFFERENT"
    ndiff=$(diff "$work/out-autoload.txt" "$work/out-libkmod.txt" | grep -c '^<' || true)
fi
echo
echo "## Output check on $lines strings ($kver)"
echo
echo "autoloadd resolve - (exit $st_a) vs kmod-resolve (exit $st_k): $same; $ndiff differing lines; $matched/$lines strings matched some module"
echo "sha256: $(sha256sum < "$work/out-autoload.txt" | cut -c1-16) autoload, $(sha256sum < "$work/out-libkmod.txt" | cut -c1-16) libkmod"
if [[ $same != identical ]]; then
    diff "$work/out-autoload.txt" "$work/out-libkmod.txt" | head -20
fi

if ! command -v hyperfine >/dev/null 2>&1; then
    log "installing hyperfine"
    apt-get install -y -qq hyperfine >&2 || { apt-get update -qq >&2 && apt-get install -y -qq hyperfine >&2; } || true
fi

# load_stats JSON: every command's mean and stddev (s) and run count from a hyperfine JSON
# export into M, S and N, keyed by command name (one python3 start for the whole file).
load_stats() {
    local n m sd k
    while IFS=$'\t' read -r n m sd k; do M[$n]=$m; S[$n]=$sd; N[$n]=$k; done < <(python3 -c '
import json, sys
for x in json.load(open(sys.argv[1]))["results"]:
    sd = x["stddev"]
    print("%s\t%.6f\t%s\t%d" % (x["command"], x["mean"], "nan" if sd is None else "%.6f" % sd, len(x["times"])))' "$1")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'; }

# time_loop NAME RUNS COMMAND: mean wall seconds of COMMAND (a shell string), without hyperfine.
time_loop() {
    python3 - "$2" "$3" <<'EOF'
import subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2]
subprocess.run(cmd, shell=True, check=False)
xs = []
for _ in range(runs):
    t = time.perf_counter(); subprocess.run(cmd, shell=True, check=False); xs.append(time.perf_counter() - t)
m = sum(xs) / len(xs)
print("%.6f %.6f" % (m, (sum((x - m) ** 2 for x in xs) / max(1, len(xs) - 1)) ** 0.5))
EOF
}

q() { printf '%q ' "$@"; }
cmd_autoload="$(q "${resolve[@]}") - < $(q "$corpus") > /dev/null"
cmd_nocache="$(q "$autoloadd" resolve --root "$root" --kernel "$kver" --no-cache) - < $(q "$corpus") > /dev/null"
cmd_kmod="$(q "$kmodresolve" "$moddir") < $(q "$corpus") > /dev/null 2>&1"

echo
echo "## Whole process, $lines strings per run (load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo
declare -A M S N
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --warmup 1 --runs "$RUNS" --style basic --export-json "$work/hf-100k.json" \
        --export-markdown "$work/hf-100k.md" \
        -n "libkmod loop" "$cmd_kmod" \
        -n "autoloadd resolve -" "$cmd_autoload" \
        -n "autoloadd resolve --no-cache -" "$cmd_nocache" -i >&2
    load_stats "$work/hf-100k.json"
    tool="hyperfine --warmup 1 --runs $RUNS"
else
    for n in "libkmod loop" "autoloadd resolve -" "autoloadd resolve --no-cache -"; do
        case $n in
            "libkmod loop") c=$cmd_kmod ;; "autoloadd resolve -") c=$cmd_autoload ;; *) c=$cmd_nocache ;;
        esac
        read -r M[$n] S[$n] < <(time_loop "$n" "$RUNS" "$c")
        N[$n]=$RUNS
    done
    tool="python time loop, $RUNS runs"
fi
echo "($tool)"
echo
echo "| command | mean s | ± s | ns/string | libkmod / this |"
echo "|---|---:|---:|---:|---:|"
for n in "libkmod loop" "autoloadd resolve -" "autoloadd resolve --no-cache -"; do
    per=$(awk -v m="${M[$n]}" -v l="$lines" 'BEGIN { printf "%.0f\n", m * 1e9 / l }')
    echo "| $n | ${M[$n]} | ${S[$n]} | $per | $(ratio "${M[libkmod loop]}" "${M[$n]}")x |"
    printf '%s\t%s\t%s\ts\t%s\tlibkmod loop / this\tcorpus\t%s\t%s\t%s\n' "$n" "${M[$n]}" "${S[$n]}" \
        "$(ratio "${M[libkmod loop]}" "${M[$n]}")" "$lines" "${N[$n]}" "$kver" >>"$tsv.tmp"
done

# One string per process: the udev RUN helper's cost.
x=${ALIAS:-pci:v00008086d00001533sv00008086sd00000000bc02sc00i00}
echo
echo "## One string per process: $x -> $("${resolve[@]}" "$x" | cut -f2) (load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo
modalias=("$autoloadd" modalias --dry-run --root "$root" --kernel "$kver" --cache-dir "$cache")
# The helper's cache file exists (built above); one warm-up run before any timing.
"${modalias[@]}" "$x" >/dev/null || log "warning: autoloadd modalias --dry-run $x exited $?"
single_names=("autoloadd modalias --dry-run X" "autoloadd resolve X" "autoloadd resolve --no-cache X" "modprobe -n X" "modprobe -R X" "kmod-resolve (echo X |)" "autoloadd --version (start-up floor)")
single_cmds=(
    "$(q "${modalias[@]}" "$x")"
    "$(q "${resolve[@]}" "$x")"
    "$(q "$autoloadd" resolve --root "$root" --kernel "$kver" --no-cache "$x")"
    "$(q modprobe -n -d "$root" -S "$kver" "$x")"
    "$(q modprobe -d "$root" -S "$kver" --resolve-alias "$x")"
    "echo $(q "$x") | $(q "$kmodresolve" "$moddir")"
    "$(q "$autoloadd" --version)"
)
if command -v hyperfine >/dev/null 2>&1; then
    args=()
    for i in "${!single_names[@]}"; do args+=(-n "${single_names[$i]}" "${single_cmds[$i]}"); done
    hyperfine --warmup 3 --min-runs 30 --style basic --export-json "$work/hf-single.json" \
        --export-markdown "$work/hf-single.md" -i "${args[@]}" >&2
    load_stats "$work/hf-single.json"
    tool="hyperfine --warmup 3 --min-runs 30 (through sh; hyperfine subtracts the shell's start-up)"
else
    for i in "${!single_names[@]}"; do
        read -r M[${single_names[$i]}] S[${single_names[$i]}] < <(time_loop x 30 "${single_cmds[$i]} >/dev/null")
        N[${single_names[$i]}]=30
    done
    tool="python time loop, 30 runs (includes sh start-up)"
fi
echo "($tool)"
echo
echo "| command | mean ms | ± ms | this / autoloadd resolve X | this / modprobe -n X |"
echo "|---|---:|---:|---:|---:|"
base=${M["autoloadd resolve X"]}
ms() { [[ $1 == nan ]] && { echo nan; return; }; awk -v a="$1" 'BEGIN { printf "%.2f\n", a * 1e3 }'; }
for n in "${single_names[@]}"; do
    echo "| $n | $(ms "${M[$n]}") | $(ms "${S[$n]}") | $(ratio "${M[$n]}" "$base")x | $(ratio "${M[$n]}" "${M["modprobe -n X"]}")x |"
    printf '%s\t%s\t%s\tms\t%s\tthis / modprobe -n X\tone string\t1\t%s\t%s\n' "$n" "$(ms "${M[$n]}")" "$(ms "${S[$n]}")" \
        "$(ratio "${M[$n]}" "${M["modprobe -n X"]}")" "${N[$n]}" "$kver" >>"$tsv.tmp"
done
{
    printf 'command\tmean\tstddev\tunit\tratio\tratio_is\tsection\tstrings\truns\tkernel\n'
    cat "$tsv.tmp"
} >"$tsv"
rm -f "$tsv.tmp"
echo
echo "Commands:"
printf '  %s\n' "$cmd_kmod" "$cmd_autoload" "$cmd_nocache" "${single_cmds[@]}"
echo
echo "results: $tsv"
