#!/usr/bin/env bash
# The main job, on a machine without module support: boot Debian's real kernel under qemu
# (TCG) on an emulated PC with ~35 devices, twice from the same initramfs:
#   1. the oracle: kmod's `modprobe -a -b` over every MODALIAS (modalias files and uevent
#      MODALIAS= lines, as udev sees them), repeated to a fixpoint;
#   2. `autoloadd coldplug`, then QMP device_add of a PCI NIC and a USB stick (hotplug).
# Prints both module sets, their difference, the timings and the modules hotplug loaded.
# Exit status 0 when autoloadd loaded exactly the oracle's set and hotplug loaded drivers.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
need=()
for p in libkmod-dev kmod pkg-config gcc dpkg-dev libzstd-dev liblzma-dev qemu-system-x86 busybox-static cpio python3; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; fi

bin=$(scripts/build-static.sh)
read -r _arch KVER ROOT < <(scripts/kernel-tree.sh amd64)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The compiled index, built on the host, so the guest opens it instead of compiling (slow under TCG).
"$bin" index --modules-dir "$ROOT/lib/modules/$KVER" --cache-dir "$work/idx" >/dev/null
mv "$work"/idx/*.idx "$work/lib_modules_$KVER.idx"
vm=(--binary "$bin" --add "$work/lib_modules_$KVER.idx:/var/cache/autoload/lib_modules_$KVER.idx")

echo "== booting $KVER: oracle (kmod modprobe -a -b over every MODALIAS, to a fixpoint)" >&2
scripts/vm/run.sh "${vm[@]}" --scenario oracle-modprobe --append autoload.scan=uevent --out "$work/oracle" >"$work/oracle.txt"
echo "== booting $KVER: autoloadd coldplug, then hotplug (e1000e NIC, usb-storage)" >&2
scripts/vm/run.sh "${vm[@]}" --scenario autoload --hotplug --append autoload.hotplug=1 --out "$work/autoload" >"$work/autoload.txt"

oracle=$work/oracle/sections/oracle-modprobe__modules.txt
mine=$work/autoload/sections/autoload__modules.txt
[[ -s $oracle && -s $mine ]] || { echo "a VM run produced no module list; see $work" >&2; trap - EXIT; exit 1; }
echo
echo "oracle:    $(grep -E '^(rounds|elapsed_ms)=' "$work/oracle.txt" | tr '\n' ' ')"
echo "autoloadd: $(grep -E '^coldplug_rc=' "$work/autoload.txt")"
echo "modules loaded: oracle $(wc -l <"$oracle"), autoloadd $(wc -l <"$mine")"
echo "only the oracle loaded:    $(comm -23 "$oracle" "$mine" | tr '\n' ' ')"
echo "only autoloadd loaded:     $(comm -13 "$oracle" "$mine" | tr '\n' ' ')"
hot=$work/autoload/sections/autoload__new-modules.txt
echo "hotplug loaded:            $(tr '\n' ' ' <"$hot" 2>/dev/null)"
if cmp -s "$oracle" "$mine" && [[ -s $hot ]]; then
    echo "RESULT: same module set as modprobe; hotplugged devices got drivers"
else
    echo "RESULT: DIFFERENT (outputs kept in $work)"; trap - EXIT; exit 1
fi
