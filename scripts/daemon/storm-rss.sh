#!/usr/bin/env bash
# Memory under an endless event stream: runs `autoloadd daemon --dry-run` on this machine
# (real kernel uevents; no module loading needed) with a Debian module tree while a storm of
# real `add` uevents (every device with a MODALIAS written over and over, which also overflows
# the daemon's 64 KiB receive buffer: ENOBUFS resyncs) runs for SECONDS; samples the daemon's VmRSS every 2 s. Flat RSS = bounded.
# Usage: scripts/daemon/storm-rss.sh [SECONDS] [--binary PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=60 bin=
while (($#)); do
    case $1 in
        --binary) bin=$2; shift 2 ;;
        *) secs=$1; shift ;;
    esac
done
[[ -n $bin ]] || bin=$(scripts/build-static.sh)
read -r _arch KVER ROOT < <(scripts/kernel-tree.sh amd64)
tree=$ROOT/lib/modules/$KVER
work=$(mktemp -d)
trap 'kill $dpid 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" index --modules-dir "$tree" --cache-dir "$work" >/dev/null
"$bin" daemon --dry-run --json --modules-dir "$tree" --cache-dir "$work" --rcvbuf 65536 >"$work/out" 2>"$work/err" &
dpid=$!
until grep -q '"event":"ready"' "$work/out" 2>/dev/null; do sleep 0.1; done
mapfile -t devs < <(grep -l '^MODALIAS=' $(find /sys/devices -name uevent 2>/dev/null) 2>/dev/null | xargs -n1 dirname)
echo "storm: ${#devs[@]} devices, $secs s" >&2
( end=$((SECONDS + secs)); while ((SECONDS < end)); do for d in "${devs[@]}"; do echo add >"$d/uevent" 2>/dev/null || true; done; done ) &
spid=$!
rss() { awk '/^VmRSS/ {print $2}' /proc/$dpid/status; }
printf 'second\trss_kb\tevents_in_output\n'
start=$SECONDS
while kill -0 $spid 2>/dev/null; do
    printf '%d\t%s\t%d\n' $((SECONDS - start)) "$(rss)" "$(wc -l <"$work/out")"
    sleep 2
done
printf '%d\t%s\t%d\n' $((SECONDS - start)) "$(rss)" "$(wc -l <"$work/out")"
kill -TERM $dpid; wait $dpid || true
grep '"event":"stopping"' "$work/out"
echo "resyncs (ENOBUFS): $(grep -c '"reason":"ENOBUFS"' "$work/out" || true)"
