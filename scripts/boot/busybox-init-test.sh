#!/usr/bin/env bash
# Boot test for the embedded example rules/busybox/init: it becomes /init of a
# busybox initramfs (scripts/vm/build-initramfs.sh: busybox-static, Debian's
# real module tree, autoloadd at /usr/sbin/autoloadd with its libraries), and
# must load the drivers, find root=LABEL=... on a virtio disk, load ext4
# through its fs-ext4 alias, mount it and switch_root to it. The root file
# system's /sbin/init (a busybox script) reports the mounts and /proc/modules
# to the serial console and powers off.
#
# Usage: scripts/boot/busybox-init-test.sh [--binary PATH] [--timeout S] [--keep DIR]
# Must run as root on Debian 12 (installs qemu, e2fsprogs, busybox-static when
# missing). Exit status: 0 pass, 1 an assertion failed, 2 setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NAME=busybox-init-test
# shellcheck source=scripts/boot/lib.sh
. "$HERE/lib.sh"
STORAGE="virtio_blk virtio_scsi sd_mod ahci nvme megaraid_sas"
NET="virtio_net e1000 vmxnet3 8139cp pcnet32"

BINARY='' TIMEOUT=300 KEEP=''
while (($#)); do
    case $1 in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --keep) KEEP=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
need_root "this test"
T_START=$(now)
# (busybox-static, kmod, cpio: installed by build-initramfs.sh)
ensure_commands qemu-system-x86_64:qemu-system-x86 python3:python3 mkfs.ext4:e2fsprogs
kernel_tree
ensure_binary

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autoload-boot.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM HUP

# ---- initramfs: the VM harness's busybox image with rules/busybox/init as /init
INITRD=$WORK/initrd.cpio
"$REPO/scripts/vm/build-initramfs.sh" "$INITRD" --binary "$BINARY:/usr/sbin/autoloadd" \
    --add "$REPO/rules/busybox/init:/init" >/dev/null || die "build-initramfs.sh failed"

# ---- root file system: busybox and an /sbin/init that reports and powers off
R=$WORK/rootfs
mkdir -p "$R"/{bin,sbin,dev,proc,sys,run,tmp}
install -m 755 "$(dpkg -L busybox-static | grep -m1 -E '/bin/busybox$')" "$R/bin/busybox"
{
    echo '#!/bin/busybox sh'
    echo '/bin/busybox mount -t proc proc /proc'
    echo 'echo "=== BEGIN boottest/root ==="'
    echo "/bin/busybox awk '\$2 == \"/\" { print \"root\", \$1, \$3 }' /proc/mounts"
    echo 'echo "pid1=$(/bin/busybox cat /proc/1/comm)"'
    echo 'echo "=== END boottest/root rc=0 ==="'
    probe_sh booted
    echo 'read -r up _ </proc/uptime'
    echo 'echo "=== POWEROFF uptime=$up ==="'
    echo '/bin/busybox poweroff -f'
} >"$R/sbin/init"
chmod 755 "$R/sbin/init"
IMG=$WORK/root.img
mkfs.ext4 -q -L bbroot -d "$R" "$IMG" 64M || die "mkfs.ext4 -d failed"
T_BUILD=$(now)

# ---- boot -------------------------------------------------------------------------
OUT=$WORK/boot
log "booting under qemu TCG (run.sh --devices full), root=LABEL=bbroot on an extra virtio disk"
set +e
"$REPO/scripts/vm/run.sh" --initramfs "$INITRD" --devices full --timeout "$TIMEOUT" --out "$OUT" \
    --append "root=LABEL=bbroot rootfstype=ext4 rootwait=60" \
    --qemu-arg -drive --qemu-arg "if=none,id=rootdisk,format=raw,file=$IMG" \
    --qemu-arg -device --qemu-arg virtio-blk-pci,drive=rootdisk >/dev/null
brc=$?
set -e
T_BOOT=$(now)
[[ -z $KEEP ]] || { mkdir -p "$KEEP"; cp -r "$OUT" "$KEEP/"; }
S=$OUT/sections
mkdir -p "$S" && touch "$S/boottest__root.txt" "$S/boottest__booted.txt"
[[ -s $S/boottest__root.txt ]] || { log "no output from the root's init; serial log tail:"; tail -n 40 "$OUT/serial.log" >&2 || true; }

check "switched to the root file system, which powered off (run.sh status $brc)" test "$brc" = 0
check "/ is the ext4 disk labelled bbroot" grep -qE '^root /dev/vd[a-z]+ ext4$' "$S/boottest__root.txt"
check "the root's /sbin/init is PID 1" grep -qx 'pid1=init' "$S/boottest__root.txt"
check "ext4 loaded (by autoloadd via fs-ext4; the image also has kmod for the kernel's request_module, so not proof of which)" grep -qx ext4 "$S/boottest__booted.txt"
for m in $STORAGE; do check "storage driver $m loaded" grep -qx "$m" "$S/boottest__booted.txt"; done
for m in $NET; do check "network driver $m loaded" grep -qx "$m" "$S/boottest__booted.txt"; done
T_END=$(now)
log "timings: build $(secs "$T_START" "$T_BUILD") s, boot $(secs "$T_BUILD" "$T_BOOT") s, total $(secs "$T_START" "$T_END") s"
if ((FAIL)); then log "RESULT: FAIL"; exit 1; fi
log "RESULT: PASS"
