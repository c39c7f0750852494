#!/usr/bin/env bash
# Boot test for the dracut module (rules/dracut/96autoload): build a generic
# (--no-hostonly) initramfs with Debian 12's dracut in a debootstrap'ed Debian
# 12 chroot that sees the real kernel's module tree as /lib/modules/KVER; boot
# it under qemu (TCG) with Debian's real kernel and scripts/vm/run.sh's device
# set; assert that the storage and network drivers are loaded once the
# pre-trigger hooks have run, long before dracut would mount the root.
#
# udev's module loading is switched off (/etc/udev/rules.d/80-drivers.rules ->
# /dev/null, autoload_udev=none), so the image runs `autoloadd daemon` from the
# pre-trigger hook until the cleanup hook, and every driver the probe sees
# after the autoload hook and not before it was loaded by autoloadd. The probe
# waits until /proc/modules has not grown for 3 s (at most 60 s): the daemon
# keeps loading after its READY (disks behind a controller just loaded).
# Debian's dracut puts network drivers into the image only with its network
# modules (dracut-network); the test names them with add_drivers instead.
#
# Usage: scripts/boot/dracut-test.sh [--binary PATH] [--control] [--usb-root [--usb-delay S]]
#                                     [--timeout S] [--keep DIR]
#   --binary PATH   autoloadd to install (default: swift build -c release)
#   --control       build the same image without the autoload module: the
#                   assertions must fail
#   --usb-root      boot on to a real root: an ext4 disk on usb-storage
#                   (root=LABEL=usbroot, run.sh's minimal device set, where
#                   only that disk needs sd_mod), whose SCSI disk appears
#                   delay_use seconds after the USB device, i.e. after the
#                   daemon's first coldplug; its /sbin/init reports and powers
#                   off. No probe after the pre-trigger hooks. Asserts / is
#                   that disk, the daemon loaded sd_mod and was stopped by
#                   SIGTERM before switch_root.
#   --usb-delay S   usb-storage.delay_use (default 5; the kernel's is 1 s, but
#                   under TCG a coldplug takes seconds itself)
# Must run as root on Debian 12; installs debootstrap and qemu when missing.
# Exit status: 0 pass, 1 an assertion failed, 2 setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NAME=dracut-test
# shellcheck source=scripts/boot/lib.sh
. "$HERE/lib.sh"
CHROOT_PKGS=dracut-core,kmod,udev,zstd,cpio,busybox
CHROOT_VERSION=1
STORAGE="virtio_blk virtio_scsi sd_mod ahci nvme megaraid_sas"
NET="virtio_net e1000 vmxnet3 8139cp pcnet32"

BINARY='' CONTROL=0 TIMEOUT=300 KEEP='' USB_ROOT=0 USB_DELAY=5
while (($#)); do
    case $1 in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --control) CONTROL=1; shift ;;
        --usb-root) USB_ROOT=1; shift ;;
        --usb-delay) USB_DELAY=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --keep) KEEP=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
need_root "this test (debootstrap, chroot)"
T_START=$(now)

ensure_commands debootstrap:debootstrap qemu-system-x86_64:qemu-system-x86 python3:python3
kernel_tree
((CONTROL)) || ensure_binary
ensure_chroot bookworm-dracut "$CHROOT_PKGS" "$CHROOT_VERSION"
T_CHROOT=$(now)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autoload-boot.XXXXXX")
cleanup() { umount "$W/proc" 2>/dev/null || true; rm -rf "$WORK"; }
W=$WORK/root
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
work_root "$W"

# ---- configuration -----------------------------------------------------------------
((CONTROL)) || install_autoload "$W"
ln -sf /dev/null "$W/etc/udev/rules.d/80-drivers.rules"
mkdir -p "$W/etc/dracut.conf.d"
{
    echo 'autoload_udev=none'
    echo "add_drivers+=\" $NET \""
} >"$W/etc/dracut.conf.d/autoload-test.conf"

# The probe: a dracut module of its own, pulled in with --add, with
# pre-trigger hooks before (05) and after (99) autoload's (10).
P=$W/usr/lib/dracut/modules.d/99boottest
mkdir -p "$P"
cat >"$P/module-setup.sh" <<'EOF'
#!/bin/bash
check() { return 255; }   # only when asked for (--add boottest)
depends() { return 0; }
install() {
    inst_hook pre-trigger 05 "$moddir/before.sh"
    inst_hook pre-trigger 99 "$moddir/after.sh"
}
EOF
{ echo 'read -r up _ </proc/uptime; echo "=== INIT kernel=$(uname -r) uptime=$up ==="'; probe_sh before; } >"$P/before.sh"
{ ((CONTROL)) || probe_quiet_sh 3 60; probe_sh after; probe_end_sh; } >"$P/after.sh"
if ((USB_ROOT)); then
    # No probe after the hooks: the boot goes on to the real root.
    sed -i '/after.sh/d' "$P/module-setup.sh"
    rm "$P/after.sh"
    STORAGE="xhci_pci usb_storage sd_mod ext4" NET=''
fi
chmod 755 "$P"/*

# ---- dracut --------------------------------------------------------------------------
t=$(now)
INITRD=$WORK/initrd.img-$KVER
mount -t proc proc "$W/proc"
log "dracut --no-hostonly in the chroot (kernel $KVER$( ((CONTROL)) && echo ', CONTROL: no autoload'))"


chroot "$W" dracut --no-hostonly --force --add boottest --kver "$KVER" "/boot/initrd.img-$KVER" \
    >"$WORK/dracut.log" 2>&1 || { tail -n 40 "$WORK/dracut.log" >&2; die "dracut failed"; }
chroot "$W" lsinitrd "/boot/initrd.img-$KVER" | awk '{ print "/" $NF }' | sed 's|^//|/|' | sort >"$WORK/initrd.files" ||
    die "lsinitrd failed"
chroot "$W" lsinitrd -f /etc/udev/rules.d/80-drivers.rules "/boot/initrd.img-$KVER" >"$WORK/80-drivers.rules" 2>/dev/null || true
chroot "$W" lsinitrd -f /etc/autoload/initramfs.conf "/boot/initrd.img-$KVER" >"$WORK/autoload.conf" 2>/dev/null || true
umount "$W/proc"
mv "$W/boot/initrd.img-$KVER" "$INITRD"
T_BUILD=$(now)
log "initramfs: $(du -h "$INITRD" | cut -f1), $(wc -l <"$WORK/initrd.files") entries, built in $(secs "$t" "$T_BUILD") s"

in_initrd() { grep -qx "$1" "$WORK/initrd.files"; }
if ((CONTROL == 0)); then
    check "autoloadd in the initramfs" in_initrd /usr/sbin/autoloadd
    check_libs "$WORK/initrd.files" "$W"
    check "autoload's pre-trigger hook in the initramfs" bash -c "grep -q '/hooks/pre-trigger/10-autoload-coldplug.sh' '$WORK/initrd.files'"
    check "autoload's cleanup hook (stops the daemon) in the initramfs" bash -c "grep -q '/hooks/cleanup/10-autoload-stop.sh' '$WORK/initrd.files'"
    check "the image runs the daemon (udev in it loads nothing)" bash -c "grep -qx 'AUTOLOAD_MODE=daemon' '$WORK/autoload.conf'"
fi
for f in modules.dep modules.alias modules.symbols modules.builtin modules.builtin.modinfo; do
    check "$f in the initramfs module tree" bash -c "grep -qxE '(/usr)?/lib/modules/$KVER/$f' '$WORK/initrd.files'"
done
for m in $STORAGE $NET; do
    check "module $m in the initramfs" bash -c "grep -qE '/${m//_/[-_]}\\.ko(\\.[a-z]+)?\$' '$WORK/initrd.files'"
done
check "the initramfs's /etc/udev/rules.d/80-drivers.rules is autoload's (no 'kmod load')" \
    bash -c "grep -q '^# autoload' '$WORK/80-drivers.rules' && ! grep -q 'kmod load' '$WORK/80-drivers.rules'"
[[ -z $KEEP ]] || { mkdir -p "$KEEP"; cp "$INITRD" "$WORK/initrd.files" "$WORK/dracut.log" "$KEEP/"; }

# ---- boot ------------------------------------------------------------------------------
OUT=$WORK/boot
if ((USB_ROOT)); then
    usb_root_image "$WORK/usbroot.img" usbroot
    log "booting under qemu TCG (run.sh --devices minimal), root=LABEL=usbroot on usb-storage, delay_use=$USB_DELAY s"
    set +e
    # rd.retry=60: dracut's wait for the root (default 180 s); rd.emergency=poweroff ends a
    # failed boot at once instead of waiting in dracut's shell for the timeout.
    "$REPO/scripts/vm/run.sh" --initramfs "$INITRD" --devices minimal --timeout "$TIMEOUT" --out "$OUT" \
        --append "root=LABEL=usbroot ro rd.retry=60 rd.emergency=poweroff rd.shell=0 usb-storage.delay_use=$USB_DELAY" \
        --qemu-arg -drive --qemu-arg "if=none,id=stick,format=raw,file=$WORK/usbroot.img" \
        --qemu-arg -device --qemu-arg usb-storage,bus=xhci.0,drive=stick >/dev/null
    brc=$?
    set -e
    T_BOOT=$(now)
    [[ -z $KEEP ]] || cp -r "$OUT" "$KEEP/"
    S=$OUT/sections
    mkdir -p "$S"; for f in before root booted procs autoload; do touch "$S/boottest__$f.txt"; done
    check "guest mounted the usb-storage root, ran its init and powered off (run.sh status $brc)" test "$brc" = 0
    [[ -s $S/boottest__root.txt ]] || { log "no output from the real root's init; serial log tail:"; tail -n 40 "$OUT/serial.log" >&2 || true; }
    ((CONTROL)) || check_usb_root 1
    log "modules loaded: $(grep -c . "$S/boottest__before.txt" || true) before the autoload hook, $(grep -c . "$S/boottest__booted.txt" || true) in the real root"
    T_END=$(now)
    log "timings: chroot $(secs "$T_START" "$T_CHROOT") s, dracut+checks $(secs "$T_CHROOT" "$T_BUILD") s, boot $(secs "$T_BUILD" "$T_BOOT") s, total $(secs "$T_START" "$T_END") s"
    if ((FAIL)); then log "RESULT: FAIL"; exit 1; fi
    log "RESULT: PASS"
    exit 0
fi
log "booting under qemu TCG (run.sh --devices full)"
set +e
# dracut refuses to go on without a root= (before any hook runs), so name one
# that never appears; rd.emergency=poweroff ends a failed boot at once instead
# of waiting in dracut's shell for the timeout.
"$REPO/scripts/vm/run.sh" --initramfs "$INITRD" --devices full --timeout "$TIMEOUT" --out "$OUT" \
    --append "root=LABEL=autoload-no-such-root rd.emergency=poweroff rd.shell=0" >/dev/null
brc=$?
set -e
T_BOOT=$(now)
[[ -z $KEEP ]] || cp -r "$OUT" "$KEEP/"
S=$OUT/sections
check "guest reached the probe after the pre-trigger hooks and powered off (run.sh status $brc)" test "$brc" = 0
[[ -f $S/boottest__after.txt ]] || { log "no boot output; serial log tail:"; tail -n 40 "$OUT/serial.log" >&2 || true; }
mkdir -p "$S" && touch "$S/boottest__before.txt" "$S/boottest__after.txt" "$S/boottest__status.txt"

loaded() { grep -qx "$2" "$S/boottest__$1.txt"; }
for m in $STORAGE; do check "storage driver $m live before the root mount" loaded after "$m"; done
for m in $NET; do check "network driver $m live before the root mount" loaded after "$m"; done
for m in $STORAGE $NET; do check "$m not loaded before the autoload hook" bash -c "! grep -qx '$m' '$S/boottest__before.txt'"; done
if ((CONTROL == 0)); then
    check "the pre-trigger hook ran autoloadd daemon (autoload_udev=none)" grep -qx 'mode=daemon' "$S/boottest__status.txt"
    check "the daemon reported ready before the trigger" grep -q '^daemon_ready={"event":"ready"' "$S/boottest__status.txt"
    check "the daemon still runs after the pre-trigger hooks (cleanup stops it)" grep -qx 'daemon_running=1' "$S/boottest__status.txt"
fi
log "modules loaded: $(grep -c . "$S/boottest__before.txt" || true) before the autoload hook, $(grep -c . "$S/boottest__after.txt" || true) after"
T_END=$(now)
log "timings: chroot $(secs "$T_START" "$T_CHROOT") s, dracut+checks $(secs "$T_CHROOT" "$T_BUILD") s, boot $(secs "$T_BUILD" "$T_BOOT") s, total $(secs "$T_START" "$T_END") s"
if ((FAIL)); then
    log "RESULT: FAIL$( ((CONTROL)) && echo ' (expected: --control builds without autoload)')"
    exit 1
fi
log "RESULT: PASS"
