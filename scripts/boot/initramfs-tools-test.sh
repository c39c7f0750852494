#!/usr/bin/env bash
# Boot test for the initramfs-tools integration (rules/initramfs-tools): build
# an initramfs with Debian 12's real mkinitramfs, running autoload's hook, in a
# debootstrap'ed Debian 12 chroot that sees the real kernel's module tree as
# /lib/modules/KVER; boot it under qemu (TCG) with Debian's real kernel and
# scripts/vm/run.sh's device set; assert that the storage and network drivers
# are loaded when init-premount ends, i.e. before the root file system would be
# mounted.
#
# Usage: scripts/boot/initramfs-tools-test.sh [options]
#   --binary PATH   autoloadd to install (default: build this checkout with
#                   `swift build -c release` and use .build/release/autoloadd)
#   --udev MODE     how udev inside the initramfs loads modules
#                   (AUTOLOAD_UDEV of the hook):
#                   none (default)  udev loads nothing, so every driver must
#                                   come from init-premount/autoload; the test
#                                   also asserts the drivers were NOT loaded
#                                   before it ran
#                   autoload        udev runs `autoloadd modalias` per device
#                                   (the helper rule); the test asserts the
#                                   initramfs has no `kmod load` rule left
#                   host            the installed system's rule, masked with
#                                   /dev/null as in daemon mode (the default
#                                   with --usb-root)
#                   With none and host udev loads nothing, so the initramfs
#                   runs `autoloadd daemon` (ready before the probe, stopped
#                   by init-bottom); with autoload, one `autoloadd coldplug`.
#   --control       build the same initramfs WITHOUT autoload (udev still loads
#                   nothing): the assertions must fail; shows the test can fail
#   --usb-root      boot on to a real root: an ext4 disk on usb-storage
#                   (root=LABEL=usbroot), whose SCSI disk appears ~1 s after
#                   the USB device (delay_use), so sd_mod is loaded after
#                   coldplug; its /sbin/init reports and powers off. Asserts /
#                   is that disk and, in daemon mode, that the initramfs's
#                   daemon loaded sd_mod and was stopped (SIGTERM) before the
#                   switch. No probe after init-premount. Implies --devices
#                   minimal (nothing else there needs sd_mod) and --udev host.
#   --usb-delay S   usb-storage.delay_use for --usb-root (default 5; the
#                   kernel's default is 1 s, but under TCG a coldplug takes
#                   seconds itself and would often still be walking when a
#                   1 s disk appears: 5 s makes the disk reliably late)
#   --devices SET   run.sh device set: full (default), all, minimal
#   --timeout S     qemu timeout in seconds (default 400)
#   --keep DIR      keep the initramfs, its file list and the boot output
# Must run as root on Debian 12 (debootstrap, chroot); installs debootstrap and
# qemu with apt-get when missing. The chroot is cached in
# ${AUTOLOAD_CACHE:-$HOME/.cache/autoload}/boot/ (first run: ~1.5 min extra).
# Exit status: 0 pass, 1 an assertion failed, 2 setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NAME=initramfs-tools-test
# shellcheck source=scripts/boot/lib.sh
. "$HERE/lib.sh"
# What the chroot holds; a change here makes a new cached chroot.
CHROOT_PKGS=initramfs-tools,busybox,kmod,udev,zstd,cpio
CHROOT_VERSION=1

# The drivers asserted on: each has a device in run.sh's "full" set (and
# "all"); "minimal" has only virtio-net and virtio-blk.
STORAGE_full="virtio_blk virtio_scsi sd_mod ahci nvme megaraid_sas"
NET_full="virtio_net e1000 vmxnet3 8139cp pcnet32"
STORAGE_minimal="virtio_blk"
NET_minimal="virtio_net"


BINARY='' UDEV_MODE='' CONTROL=0 DEVICES='' TIMEOUT=400 KEEP='' USB_ROOT=0 USB_DELAY=5
while (($#)); do
    case $1 in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --udev) UDEV_MODE=${2:?--udev needs none or autoload}; shift 2 ;;
        --control) CONTROL=1; shift ;;
        --usb-root) USB_ROOT=1; shift ;;
        --usb-delay) USB_DELAY=${2:?}; shift 2 ;;
        --devices) DEVICES=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --keep) KEEP=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
if ((USB_ROOT)); then UDEV_MODE=${UDEV_MODE:-host} DEVICES=${DEVICES:-minimal}; fi
UDEV_MODE=${UDEV_MODE:-none} DEVICES=${DEVICES:-full}
case $UDEV_MODE in none|autoload|host) ;; *) die "--udev must be none, autoload or host" ;; esac
# Does udev inside the initramfs load nothing (so autoloadd runs as a daemon there)?
DAEMON=0; [[ $UDEV_MODE == autoload ]] || DAEMON=1
case $DEVICES in full|all) STORAGE=$STORAGE_full NET=$NET_full ;; minimal) STORAGE=$STORAGE_minimal NET=$NET_minimal ;;
    *) die "--devices must be full, all or minimal" ;; esac
((CONTROL == 0)) || [[ $UDEV_MODE != autoload ]] || die "--control only with --udev none or host"
need_root "this test (debootstrap, chroot)"

T_START=$(now)

# ---- host packages, kernel, autoloadd, chroot -------------------------------------
ensure_commands debootstrap:debootstrap qemu-system-x86_64:qemu-system-x86 python3:python3
kernel_tree
((CONTROL)) || ensure_binary
ensure_chroot bookworm-initramfs-tools "$CHROOT_PKGS" "$CHROOT_VERSION"
T_CHROOT=$(now)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autoload-boot.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
W=$WORK/root
work_root "$W"

# ---- install autoload into the chroot -----------------------------------------
if ((CONTROL == 0)); then
    install_autoload "$W"
    printf 'AUTOLOAD_UDEV=%s\n' "$UDEV_MODE" >"$W/etc/initramfs-tools/conf.d/autoload"
fi
if ((DAEMON)); then
    # The switch-over for "autoload does all loading": mask udev's rule. The
    # udev initramfs hook copies /etc/udev/rules.d/80-drivers.rules over the
    # stock one (an empty file for this mask), so the initramfs's udev loads
    # nothing either, with or without autoload's hook (--control).
    ln -sf /dev/null "$W/etc/udev/rules.d/80-drivers.rules"
fi

# Test probes, in the local administrator's script directory: "before" at the
# end of init-top (after udev's trigger + settle), "after" right after
# init-premount/autoload; it prints /proc/modules between markers run.sh
# understands and powers off, before local-top would look for the root. Where
# the initramfs runs the daemon (udev loads nothing), which keeps loading after
# its READY (a disk behind a controller just loaded), "after" first waits until
# /proc/modules has not grown for 3 s (at most 60 s). With --usb-root there is
# no "after": the boot goes on to the real root, whose init reports.
mkdir -p "$W/etc/initramfs-tools/scripts/init-top" "$W/etc/initramfs-tools/scripts/init-premount"
{
    printf '#!/bin/sh\nPREREQ="udev"\nprereqs() { echo "$PREREQ"; }\n'
    printf 'case "${1:-}" in prereqs) prereqs; exit 0 ;; esac\n'
    printf 'read -r up _ </proc/uptime; echo "=== INIT kernel=$(uname -r) uptime=$up ==="\n'
    probe_sh before
} >"$W/etc/initramfs-tools/scripts/init-top/zz-boottest-before"
if ((USB_ROOT == 0)); then
    {
        printf '#!/bin/sh\nPREREQ="autoload"\nprereqs() { echo "$PREREQ"; }\n'
        printf 'case "${1:-}" in prereqs) prereqs; exit 0 ;; esac\n'
        ((DAEMON == 0 || CONTROL)) || probe_quiet_sh 3 60
        probe_sh after
        probe_end_sh
    } >"$W/etc/initramfs-tools/scripts/init-premount/zz-boottest-after"
fi
chmod 755 "$W"/etc/initramfs-tools/scripts/*/zz-boottest-*

# ---- mkinitramfs ------------------------------------------------------------------
t=$(now)
INITRD=$WORK/initrd.img-$KVER
mount -t proc proc "$W/proc"
umount_proc() { umount "$W/proc" 2>/dev/null || true; }
trap 'umount_proc; cleanup' EXIT
log "mkinitramfs in the chroot (kernel $KVER, udev mode $UDEV_MODE$( ((CONTROL)) && echo ', CONTROL: no autoload'))"
chroot "$W" mkinitramfs -o "/boot/initrd.img-$KVER" "$KVER" >"$WORK/mkinitramfs.log" 2>&1 ||
    { cat "$WORK/mkinitramfs.log" >&2; die "mkinitramfs failed"; }
chroot "$W" lsinitramfs "/boot/initrd.img-$KVER" | sed 's|^|/|' | sort >"$WORK/initrd.files" ||
    die "lsinitramfs failed"
# The rule file as it is inside the initramfs (lsinitramfs lists, unmkinitramfs extracts).
chroot "$W" unmkinitramfs "/boot/initrd.img-$KVER" /tmp/unpacked >/dev/null 2>&1 || die "unmkinitramfs failed"
umount_proc
trap cleanup EXIT
mv "$W/boot/initrd.img-$KVER" "$INITRD"
T_MKINITRAMFS=$(now)
grep -v '^W: Possible missing firmware' "$WORK/mkinitramfs.log" | sed 's/^/  mkinitramfs: /' >&2 || true
log "initramfs: $(du -h "$INITRD" | cut -f1), $(wc -l <"$WORK/initrd.files") entries, built in $(secs "$t" "$T_MKINITRAMFS") s"

in_initrd() { grep -qx "$1" "$WORK/initrd.files"; }

# ---- what the hook put into the initramfs ----------------------------------------
U=$W/tmp/unpacked
[[ -d $U/main ]] && U=$U/main   # microcode-less images unpack straight into the dir
RULES=$(find "$U" -path '*/udev/rules.d/80-drivers.rules' | head -n1)
if ((CONTROL == 0)); then
    check "autoloadd in the initramfs" in_initrd /usr/sbin/autoloadd
    # Every library the binary needs (as the chroot's ldd resolves it) is there.
    check_libs "$WORK/initrd.files" "$W"
    check "init-premount/autoload in the initramfs" in_initrd /scripts/init-premount/autoload
    check "init-top/autoload in the initramfs" in_initrd /scripts/init-top/autoload
    check "init-bottom/autoload (stops the daemon) in the initramfs" in_initrd /scripts/init-bottom/autoload
    check "the hook chose $( ((DAEMON)) && echo daemon || echo coldplug ) mode (udev in the image loads $( ((DAEMON)) && echo nothing || echo modules ))" \
        grep -qx "AUTOLOAD_MODE=$( ((DAEMON)) && echo daemon || echo coldplug )" "$U/etc/autoload/initramfs.conf"
    check "init-top runs autoload (index) before udev" \
        bash -c "grep -E '/(autoload|udev) ' '$U/scripts/init-top/ORDER' | head -n1 | grep -q '/autoload '"
    ((USB_ROOT)) || check "init-premount runs autoload before the probe" \
        bash -c "grep -n . '$U/scripts/init-premount/ORDER' | grep -E '/(autoload|zz-boottest-after) ' | head -n1 | grep -q '/autoload '"
fi
for f in modules.dep modules.alias modules.symbols modules.builtin modules.builtin.modinfo; do
    check "$f in the initramfs module tree" bash -c "grep -qxE '(/usr)?/lib/modules/$KVER/$f' '$WORK/initrd.files'"
done
((USB_ROOT == 0)) || STORAGE="xhci_pci usb_storage sd_mod ext4" NET=''
for m in $STORAGE $NET; do
    check "module $m in the initramfs" bash -c "grep -qE '/${m//_/[-_]}\\.ko(\\.[a-z]+)?\$' '$WORK/initrd.files'"
done
if [[ -n $RULES ]]; then
    # (Comment lines aside: autoload's rule quotes the line it replaces.)
    check "no 'kmod load' in the initramfs's 80-drivers.rules" bash -c "! grep -v '^#' '$RULES' | grep -q 'kmod load'"
    if [[ $UDEV_MODE == autoload ]]; then
        check "80-drivers.rules runs autoloadd modalias" grep -q 'RUN+="/usr/sbin/autoloadd modalias"' "$RULES"
    fi
else
    check "80-drivers.rules in the initramfs" false
fi
[[ -z $KEEP ]] || { mkdir -p "$KEEP"; cp "$INITRD" "$WORK/initrd.files" "$WORK/mkinitramfs.log" "$KEEP/"; }

# ---- boot -----------------------------------------------------------------------------
OUT=$WORK/boot
t=$(now)
BOOT_ARGS=()
if ((USB_ROOT)); then
    # The root on a usb-storage stick on run.sh's xhci controller (minimal and full sets).
    usb_root_image "$WORK/usbroot.img" usbroot
    BOOT_ARGS=(--append "root=LABEL=usbroot ro usb-storage.delay_use=$USB_DELAY"
        --qemu-arg -drive --qemu-arg "if=none,id=stick,format=raw,file=$WORK/usbroot.img"
        --qemu-arg -device --qemu-arg usb-storage,bus=xhci.0,drive=stick)
fi
log "booting under qemu TCG (run.sh --devices $DEVICES$( ((USB_ROOT)) && echo ", root=LABEL=usbroot on usb-storage, delay_use=$USB_DELAY s"))"
set +e
"$REPO/scripts/vm/run.sh" --initramfs "$INITRD" --devices "$DEVICES" --timeout "$TIMEOUT" --out "$OUT" "${BOOT_ARGS[@]}" >/dev/null
brc=$?
set -e
T_BOOT=$(now)
[[ -z $KEEP ]] || cp -r "$OUT" "$KEEP/"
S=$OUT/sections
if ((USB_ROOT)); then
    mkdir -p "$S"; for f in before root booted procs autoload; do touch "$S/boottest__$f.txt"; done
    check "guest mounted the usb-storage root, ran its init and powered off (run.sh status $brc)" test "$brc" = 0
    [[ -s $S/boottest__root.txt ]] || { log "no output from the real root's init; serial log tail:"; tail -n 40 "$OUT/serial.log" >&2 || true; }
    ((CONTROL)) || check_usb_root "$DAEMON"
    grep -q 'Gave up waiting for root' "$OUT/serial.log" && log "the initramfs said: $(grep -m1 'Gave up waiting for root' "$OUT/serial.log")"
    log "modules loaded: $(grep -c . "$S/boottest__before.txt" || true) after udev (init-top), $(grep -c . "$S/boottest__booted.txt" || true) in the real root"
    T_END=$(now)
    log "timings: chroot $(secs "$T_START" "$T_CHROOT") s, mkinitramfs+checks $(secs "$T_CHROOT" "$T_MKINITRAMFS") s, boot $(secs "$T_MKINITRAMFS" "$T_BOOT") s, total $(secs "$T_START" "$T_END") s"
    if ((FAIL)); then log "RESULT: FAIL"; exit 1; fi
    log "RESULT: PASS"
    exit 0
fi
check "guest reached the probe after init-premount and powered off (run.sh status $brc)" test "$brc" = 0
[[ -f $S/boottest__after.txt ]] || { log "no boot output; serial log tail:"; tail -n 40 "$OUT/serial.log" >&2 || true; }
touch "$S/boottest__before.txt" "$S/boottest__after.txt" "$S/boottest__status.txt" 2>/dev/null || true

loaded() { grep -qx "$2" "$S/boottest__$1.txt"; }
for m in $STORAGE; do check "storage driver $m live before the root mount" loaded after "$m"; done
for m in $NET; do check "network driver $m live before the root mount" loaded after "$m"; done
if ((DAEMON)); then
    # udev loads nothing here, so whatever init-premount added was autoloadd's.
    for m in $STORAGE $NET; do check "$m not loaded before init-premount/autoload" bash -c "! grep -qx '$m' '$S/boottest__before.txt'"; done
else
    # The helper rule is the only loader before init-premount: udev's trigger
    # and settle in init-top must already have loaded everything through it.
    for m in $STORAGE $NET; do check "$m loaded by udev's autoloadd helper (end of init-top)" loaded before "$m"; done
fi
if ((CONTROL)); then :
elif ((DAEMON)); then
    check "init-premount ran autoloadd daemon" grep -qx 'mode=daemon' "$S/boottest__status.txt"
    check "the daemon reported ready before init-premount ended" grep -q '^daemon_ready={"event":"ready"' "$S/boottest__status.txt"
    check "the daemon still runs at the end of init-premount (init-bottom stops it)" grep -qx 'daemon_running=1' "$S/boottest__status.txt"
else
    check "autoloadd coldplug exit status 0" grep -qx 'coldplug_status=0' "$S/boottest__status.txt"
fi

nb=$(grep -c . "$S/boottest__before.txt" || true)
na=$(grep -c . "$S/boottest__after.txt" || true)
log "modules loaded: $nb after udev (init-top), $na after init-premount"
T_END=$(now)
log "timings: chroot $(secs "$T_START" "$T_CHROOT") s, mkinitramfs+checks $(secs "$T_CHROOT" "$T_MKINITRAMFS") s, boot $(secs "$T_MKINITRAMFS" "$T_BOOT") s, total $(secs "$T_START" "$T_END") s"
if ((FAIL)); then
    log "RESULT: FAIL$( ((CONTROL)) && echo ' (expected: --control builds without autoload)')"
    exit 1
fi
log "RESULT: PASS"
