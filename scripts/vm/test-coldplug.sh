#!/usr/bin/env bash
# Real-kernel test of `autoloadd coldplug` (run by scripts/test.sh, hence by .ci/run).
# Boots Debian's kernel under qemu TCG on the emulated PC of run.sh (~45 devices that need
# drivers: network, storage, USB with devices on it, sound, virtio, watchdog, CAN, ...) twice
# from one initramfs:
#   1. the oracle: systemd-udevd with Debian's stock rules, udevadm trigger + settle;
#   2. `autoloadd coldplug` (with the compiled index in the initramfs).
# Passes when autoloadd exited 0 and /proc/modules afterwards holds exactly the modules the
# oracle's boot ended with: none missing, none extra.
#
# Usage: scripts/vm/test-coldplug.sh [--binary PATH] [--out DIR] [--timeout S]
#                                     [--devices SET] [--qemu-arg ARG]... [--kernel SPEC]
#   --binary PATH   autoloadd to test (default: the static build, scripts/build-static.sh)
#   --kernel SPEC   kernel-tree.sh spec of the kernel to boot (default amd64, Debian 12's
#                   6.1 with plain .ko files; amd64:6.12 loads .ko.xz modules)
#   --out DIR       keep both boots' output there (default: a temporary directory, kept on failure)
#   --devices SET   run.sh's device set (full, all, minimal, none; default full)
#   --qemu-arg ARG  one more qemu argument, repeatable: another machine than the usual, e.g.
#                   --devices minimal --qemu-arg -device --qemu-arg virtio-net-pci,netdev=x ...
# Exit status: 0 pass; 1 a difference, a non-zero exit, or a boot that failed (the message
# says which); 2 usage.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SCRIPT_NAME=test-coldplug
# shellcheck source=../lib/common.sh
. "$REPO/scripts/lib/common.sh"

BINARY='' OUT='' TIMEOUT=900 MACHINE=() KSPEC=amd64
while (($#)); do
    case $1 in
        --devices) MACHINE+=(--devices "${2:?}"); shift 2 ;;
        --qemu-arg) MACHINE+=(--qemu-arg "${2:?}"); shift 2 ;;
        --binary) BINARY=${2:?}; shift 2 ;;
        --kernel) KSPEC=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
if [[ -z $BINARY ]]; then
    BINARY=$("$REPO/scripts/build-static.sh")
fi
[[ -x $BINARY ]] || { log "FAIL: no autoloadd binary at $BINARY"; exit 1; }
KEEP=1
if [[ -z $OUT ]]; then OUT=$(mktemp -d /tmp/test-coldplug.XXXXXX); KEEP=0; fi
mkdir -p "$OUT"

t0=$(date +%s)
read -r _ KVER KROOT < <("$REPO/scripts/kernel-tree.sh" "$KSPEC")
guest_index "$BINARY" "$KROOT/lib/modules/$KVER" "$KVER" "$OUT"
VM=(--udev --binary "$BINARY:/usr/bin/autoloadd" "${GUEST_INDEX[@]}"
    --kernel "$KSPEC" --append autoload.kmodprobe=keep --timeout "$TIMEOUT" ${MACHINE[@]+"${MACHINE[@]}"})

boot() {  # NAME SCENARIO -> $OUT/NAME/, $OUT/NAME.txt
    log "booting $KVER: $1 ($2)"
    if ! "$HERE/run.sh" "${VM[@]}" --scenario "$2" --out "$OUT/$1" >"$OUT/$1.txt" 2>"$OUT/$1.err"; then
        log "FAIL: the $1 boot failed (run.sh exit status non-zero); its output:"
        tail -n 45 "$OUT/$1.err" "$OUT/$1.txt" >&2
        log "output kept in $OUT"
        exit 1
    fi
    if grep -q 'booting again' "$OUT/$1.err"; then  # run.sh voided a boot: a qemu crash (run.sh explains)
        log "note: the $1 boot was retried (a qemu TCG crash, not autoload's):"
        grep -B 45 -m 1 'booting again' "$OUT/$1.err" | grep -v -e '^run.sh: \(booting\|initramfs\)' -e '^build-initramfs:' >&2
    fi
}
fail() { log "FAIL: $*"; log "output kept in $OUT"; exit 1; }

boot oracle udevd-coldplug
boot autoloadd autoloadd-race

oracle=$OUT/oracle/sections/udevd-coldplug__modules.txt
mine=$OUT/autoloadd/sections/autoloadd-race__modules.txt
[[ -f $oracle && -f $mine ]] || fail "a boot produced no module list"
rc=$(sed -n 's/^coldplug_rc=\([0-9]*\).*/\1/p' "$OUT/autoloadd.txt")
n_oracle=$(wc -l <"$oracle") n_mine=$(wc -l <"$mine")
missing=$(comm -23 "$oracle" "$mine" | tr '\n' ' ')
extra=$(comm -13 "$oracle" "$mine" | tr '\n' ' ')
log "udevd (trigger + settle) loaded $n_oracle modules; autoloadd coldplug $n_mine (exit status ${rc:-?})"
log "  $(grep -m1 '^race ' "$OUT/oracle.txt")"
log "  $(grep -m1 '^race ' "$OUT/autoloadd.txt")"
# An oracle that loaded (almost) nothing would make any comparison pass.
((n_oracle >= 50)) || fail "the oracle loaded only $n_oracle modules: the VM's devices or udevd are broken"
[[ $rc == 0 ]] || fail "autoloadd coldplug exited ${rc:-?}: $(tail -n 5 "$OUT/autoloadd/sections/autoloadd-race__coldplug-log.txt" 2>/dev/null | tr '\n' ' ')"
[[ -z $missing ]] || fail "autoloadd did not load what udevd loaded: $missing"
[[ -z $extra ]] || fail "autoloadd loaded modules udevd did not: $extra"
log "PASS: the same $n_mine modules as systemd-udevd, in $(($(date +%s) - t0)) s (two TCG boots)"
((KEEP)) || rm -rf "$OUT"
