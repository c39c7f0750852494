#!/usr/bin/env bash
# The main job, on a machine without module support: boot Debian's real kernel under qemu
# (TCG) on an emulated PC with ~35 devices that need drivers, twice from the same initramfs:
#   1. the reference: systemd-udevd with its stock rules (udevadm trigger + settle), then
#      QMP device_add of a PCIe NIC (e1000e) and a USB stick (usb-storage on xhci);
#   2. `autoloadd daemon` from boot (the static build): it listens, coldplugs, announces
#      READY, and the same two devices are hot-added.
# The guest's /proc/modules is the record: prints both module sets after coldplug, their
# difference, the modules each hotplug loaded, the times and the daemon's idle RSS.
# Exit status 0 when autoloadd loaded exactly udevd's set and the hot-added devices' drivers.
# Needs root on Debian 12 and network (apt-get, Debian's kernel package); ~3–5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
need=()
for p in libkmod-dev kmod pkg-config gcc dpkg-dev libzstd-dev liblzma-dev qemu-system-x86 busybox-static \
         cpio python3 udev; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; fi

bin=$(scripts/build-static.sh)
read -r _arch KVER ROOT < <(scripts/kernel-tree.sh amd64)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The compiled index, built on the host as a kernel package's hook would (rules/kernel/).
"$bin" index --modules-dir "$ROOT/lib/modules/$KVER" --cache-dir "$work/idx" >/dev/null
mv "$work"/idx/*.idx "$work/lib_modules_$KVER.idx"
vm=(--udev --binary "$bin" --add "$work/lib_modules_$KVER.idx:/var/cache/autoload/lib_modules_$KVER.idx"
    --hotplug --append "autoload.hotplug_expect=e1000e,usb_storage")

for scenario in udevd-hotplug autoloadd-daemon; do
    echo "== booting $KVER: $scenario (coldplug, then hot-add e1000e + usb-storage)" >&2
    scripts/vm/run.sh "${vm[@]}" --scenario "$scenario" --out "$work/$scenario" >"$work/$scenario.txt" ||
        { echo "the $scenario boot failed; outputs kept in $work" >&2; trap - EXIT; exit 1; }
done

sec=$work/%s/sections/%s__%s.txt
# shellcheck disable=SC2059
path() { printf "$sec" "$1" "$1" "$2"; }
udevd=$(path udevd-hotplug modules) mine=$(path autoloadd-daemon modules)
udevd_hot=$(path udevd-hotplug new-modules) mine_hot=$(path autoloadd-daemon new-modules)
[[ -s $udevd && -s $mine ]] || { echo "a VM run produced no module list; see $work" >&2; trap - EXIT; exit 1; }
field() { grep -o "$1=[0-9a-z_,]*" "$work/$2.txt" | head -1 | cut -d= -f2; }
echo
printf '%-34s %18s %18s\n' "" "systemd-udevd" "autoloadd daemon"
printf '%-34s %18s %18s\n' "modules after coldplug" "$(wc -l <"$udevd")" "$(wc -l <"$mine")"
printf '%-34s %18s %18s\n' "coldplug until ready (ms)" "$(field coldplug_ready_ms udevd-hotplug)" "$(field coldplug_ready_ms autoloadd-daemon)"
printf '%-34s %18s %18s\n' "hot-add until drivers live (ms)" "$(field hotplug_live_ms udevd-hotplug)" "$(field hotplug_live_ms autoloadd-daemon)"
printf '%-34s %18s %18s\n' "idle RSS, all processes (kB)" "$(field idle_rss_total_kb udevd-hotplug)" "$(field idle_rss_total_kb autoloadd-daemon)"
echo
echo "only udevd loaded:      $(comm -23 <(sort "$udevd") <(sort "$mine") | tr '\n' ' ')"
echo "only autoloadd loaded:  $(comm -13 <(sort "$udevd") <(sort "$mine") | tr '\n' ' ')"
echo "hotplug, udevd:         $(tr '\n' ' ' <"$udevd_hot" 2>/dev/null)"
echo "hotplug, autoloadd:     $(tr '\n' ' ' <"$mine_hot" 2>/dev/null)"
if cmp -s <(sort "$udevd") <(sort "$mine") && grep -qx e1000e "$mine_hot" && grep -qx usb_storage "$mine_hot"; then
    echo "RESULT: same module set as systemd-udevd; the hot-added NIC and USB stick got their drivers"
else
    echo "RESULT: DIFFERENT (outputs kept in $work)"; trap - EXIT; exit 1
fi
