#!/usr/bin/env bash
# End-to-end boot test of daemon mode: a Debian 12 system (debootstrap'ed,
# systemd as init) on an ext4 disk, booted under qemu (TCG) with Debian's real
# kernel and an initramfs made by mkinitramfs with autoload's hook, switched
# over as rules/README.md says for daemon mode:
#   /etc/udev/rules.d/80-drivers.rules -> /dev/null, autoloadd.service enabled
# Asserts: the initramfs's coldplug brought up the root disk; the hardened
# autoloadd.service (Type=notify) is active and running, never restarted, with
# no permission errors in its journal; drivers the initramfs does not carry
# (sound) were loaded in the real system; a NIC hot-added over QMP after boot
# (e1000e) gets its driver; `systemctl reload` (SIGHUP) keeps the same process
# running. udev loads nothing here, so all of that is
# autoloadd's doing (--control boots the same disk with the unit disabled).
#
# Usage: scripts/boot/systemd-test.sh [--binary PATH] [--control] [--timeout S] [--keep DIR]
#   --binary PATH   autoloadd with the daemon subcommand (default: swift build -c release)
#   --control       autoloadd.service not enabled: the daemon assertions must fail
# Must run as root on Debian 12 (debootstrap, chroot, mkfs.ext4 -d); installs
# debootstrap, e2fsprogs and qemu when missing.
# Exit status: 0 pass, 1 an assertion failed, 2 setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NAME=systemd-test
# shellcheck source=scripts/boot/lib.sh
. "$HERE/lib.sh"
CHROOT_PKGS=systemd-sysv,udev,kmod,initramfs-tools,busybox,zstd,cpio
CHROOT_VERSION=1
# Drivers for devices of run.sh's full set that the initramfs (MODULES=most)
# does not carry, so only the real system can have loaded them.
LATE="snd_hda_intel snd_intel8x0 snd_ens1370"
HOTPLUG=e1000e

BINARY='' CONTROL=0 TIMEOUT=600 KEEP=''
while (($#)); do
    case $1 in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --control) CONTROL=1; shift ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --keep) KEEP=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
need_root "this test (debootstrap, chroot)"
T_START=$(now)

ensure_commands debootstrap:debootstrap qemu-system-x86_64:qemu-system-x86 python3:python3 mkfs.ext4:e2fsprogs
kernel_tree
ensure_binary
"$BINARY" daemon --help >/dev/null 2>&1 || die "$BINARY has no daemon subcommand"
ensure_chroot bookworm-systemd "$CHROOT_PKGS" "$CHROOT_VERSION"
T_CHROOT=$(now)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autoload-boot.XXXXXX")
W=$WORK/root
cleanup() { umount "$W/proc" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
work_root "$W"

# ---- the system ---------------------------------------------------------------------
install_autoload "$W"
# Daemon mode, as rules/README.md says: udev loads nothing, the daemon all.
ln -sf /dev/null "$W/etc/udev/rules.d/80-drivers.rules"
((CONTROL)) || chroot "$W" systemctl enable autoloadd.service >&2
# A fixed machine id: no first-boot logic on the console.
echo 0123456789abcdef0123456789abcdef >"$W/etc/machine-id"
echo 'LABEL=autoload-root / ext4 defaults 0 0' >"$W/etc/fstab"
echo autoload-test >"$W/etc/hostname"
# No login prompt on the serial console: it would land in the middle of the probe's lines.
ln -sf /dev/null "$W/etc/systemd/system/serial-getty@ttyS0.service"
# The kernel package's postinst.d hook, as apt would run it after depmod:
# compiles the index into /var/cache/autoload so the daemon opens it ready.
# In the bare chroot, without /proc, as an image builder may run it.
mountpoint -q "$W/proc" && die "$W/proc is mounted: the hook must work without /proc"
chroot "$W" /etc/kernel/postinst.d/zz-autoload "$KVER" || die "postinst.d/zz-autoload failed"
[[ -n $(find "$W/var/cache/autoload" -name '*.idx') ]] || die "postinst.d/zz-autoload left no index in /var/cache/autoload"

# The probe: a oneshot unit after autoloadd.service that reports to the serial
# console, asks the host for the hotplug, waits for its driver, powers off.
cat >"$W/usr/local/sbin/boottest-probe" <<EOF
#!/bin/sh
echo "=== INIT kernel=\$(uname -r) ==="
echo "=== BEGIN boottest/unit ==="
systemctl show autoloadd.service -p ActiveState -p SubState -p Type -p NRestarts -p ExecMainStatus -p Result -p MainPID
echo "=== END boottest/unit rc=0 ==="
echo "=== BEGIN boottest/initramfs ==="
echo "mode=\$(cat /run/autoload/mode 2>&1)"
echo "daemon_status=\$(cat /run/autoload/daemon.status 2>&1)"
cat /run/autoload/coldplug.status /run/autoload/coldplug.log 2>/dev/null
grep -E '"event":"(ready|load|stopping)"' /run/autoload/daemon.json 2>/dev/null
echo "=== END boottest/initramfs rc=0 ==="
$(probe_sh booted)
echo "=== READY-FOR-HOTPLUG ==="
i=0
while [ \$i -lt 120 ] && ! grep -q '^$HOTPLUG ' /proc/modules; do sleep 1; i=\$((i + 1)); done
echo "=== BEGIN boottest/hotplug ==="
if grep -q '^$HOTPLUG ' /proc/modules; then echo $HOTPLUG; else echo "no $HOTPLUG after \${i}s"; fi
echo "=== END boottest/hotplug rc=0 ==="
# ExecReload (SIGHUP) must leave the same process running. The daemon re-reads its index
# between RELOADING=1 and READY=1, which takes seconds under TCG on a busy host: wait (up
# to 60 s) for its "reloaded" journal line and for the unit to leave "reload", not a fixed time.
reloads() { journalctl -b -u autoloadd.service --no-pager -o cat | grep -c ': reloaded'; }
before=\$(reloads)
systemctl reload autoloadd.service
i=0
while [ \$i -lt 60 ] && { [ "\$(reloads)" -le "\$before" ] || [ "\$(systemctl show autoloadd.service -p SubState --value)" = reload ]; }; do
    sleep 1; i=\$((i + 1))
done
echo "=== BEGIN boottest/reload ==="
systemctl show autoloadd.service -p ActiveState -p SubState -p NRestarts -p MainPID
echo "reloaded=\$(( \$(reloads) > before ))"
echo "=== END boottest/reload rc=0 ==="
echo "=== BEGIN boottest/journal ==="
journalctl -b -u autoloadd.service --no-pager -o cat | tail -n 40
echo "=== END boottest/journal rc=0 ==="
read -r up _ </proc/uptime
echo "=== POWEROFF uptime=\$up ==="
systemctl poweroff --force --force
EOF
chmod 755 "$W/usr/local/sbin/boottest-probe"
cat >"$W/etc/systemd/system/boottest-probe.service" <<'EOF'
[Unit]
Description=autoload boot test probe
# Not After=multi-user.target: the target is ordered after what it wants.
After=autoloadd.service systemd-udev-trigger.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/boottest-probe
StandardOutput=tty
StandardError=tty
[Install]
WantedBy=multi-user.target
EOF
chroot "$W" systemctl enable boottest-probe.service >&2

# ---- initramfs (autoload hook, host mode: carries the /dev/null mask) --------------
t=$(now)
mount -t proc proc "$W/proc"
chroot "$W" mkinitramfs -o "/boot/initrd.img-$KVER" "$KVER" >"$WORK/mkinitramfs.log" 2>&1 ||
    { cat "$WORK/mkinitramfs.log" >&2; die "mkinitramfs failed"; }
umount "$W/proc"
INITRD=$WORK/initrd.img-$KVER
mv "$W/boot/initrd.img-$KVER" "$INITRD"
# The root disk: the chroot as an ext4 image (mkfs.ext4 -d copies the tree).
IMG=$WORK/root.img
mkfs.ext4 -q -L autoload-root -d "$W" "$IMG" 2G || die "mkfs.ext4 -d failed"
T_BUILD=$(now)
log "initramfs $(du -h "$INITRD" | cut -f1) and root image built in $(secs "$t" "$T_BUILD") s"

# ---- boot --------------------------------------------------------------------------------
OUT=$WORK/boot
log "booting under qemu TCG (run.sh --devices full --hotplug=$HOTPLUG)$( ((CONTROL)) && echo ', CONTROL: autoloadd.service disabled')"
set +e
"$REPO/scripts/vm/run.sh" --initramfs "$INITRD" --devices full --hotplug="$HOTPLUG" --timeout "$TIMEOUT" --out "$OUT" \
    --append "root=LABEL=autoload-root rw" \
    --qemu-arg -drive --qemu-arg "if=none,id=rootdisk,format=raw,file=$IMG" \
    --qemu-arg -device --qemu-arg virtio-blk-pci,drive=rootdisk >/dev/null
brc=$?
set -e
T_BOOT=$(now)
[[ -z $KEEP ]] || { mkdir -p "$KEEP"; cp -r "$OUT" "$KEEP/"; }
S=$OUT/sections
mkdir -p "$S"
for f in unit initramfs booted hotplug reload journal; do touch "$S/boottest__$f.txt"; done
[[ -s $S/boottest__unit.txt ]] || { log "no probe output; serial log tail:"; tail -n 40 "$OUT/serial.log" >&2 || true; }

check "the system booted from the root disk to the probe and powered off (run.sh status $brc)" test "$brc" = 0
# The /dev/null mask carried into the initramfs means udev loads nothing there, so the
# initramfs runs autoloadd daemon from init-premount to init-bottom.
check "the initramfs ran autoloadd daemon (udev there loads nothing)" grep -qx 'mode=daemon' "$S/boottest__initramfs.txt"
check "the initramfs's daemon reported ready" grep -q '"event":"ready"' "$S/boottest__initramfs.txt"
check "init-bottom stopped the initramfs's daemon (SIGTERM)" \
    bash -c "grep -qx 'daemon_status=stopped' '$S/boottest__initramfs.txt' && grep -q '\"event\":\"stopping\",\"signal\":15' '$S/boottest__initramfs.txt'"
check "the initramfs's daemon loaded virtio_blk (the root disk's driver)" \
    grep -q '"event":"load","module":"virtio_blk","outcome":"loaded"' "$S/boottest__initramfs.txt"
check "autoloadd.service is Type=notify" grep -qx 'Type=notify' "$S/boottest__unit.txt"
check "autoloadd.service active (READY=1 received)" grep -qx 'ActiveState=active' "$S/boottest__unit.txt"
check "autoloadd.service running" grep -qx 'SubState=running' "$S/boottest__unit.txt"
check "autoloadd.service never restarted" grep -qx 'NRestarts=0' "$S/boottest__unit.txt"
check "no permission errors in autoloadd's journal" bash -c "! grep -qiE 'not permitted|permission denied|EPERM|EACCES' '$S/boottest__journal.txt'"
for m in $LATE; do
    check "$m (not in the initramfs) loaded in the booted system" grep -qx "$m" "$S/boottest__booted.txt"
    check "$m not loaded by the initramfs" bash -c "! grep -q '\"event\":\"load\",\"module\":\"$m\"' '$S/boottest__initramfs.txt'"
done
check "hot-added $HOTPLUG got its driver" grep -qx "$HOTPLUG" "$S/boottest__hotplug.txt"
pid=$(sed -n 's/^MainPID=//p' "$S/boottest__unit.txt")
check "systemctl reload reached the daemon (its 'reloaded' journal line)" grep -qx 'reloaded=1' "$S/boottest__reload.txt"
check "reload (SIGHUP) kept the same daemon running (MainPID ${pid:-?})" \
    bash -c "[ -n '$pid' ] && [ '$pid' != 0 ] && grep -qx 'MainPID=$pid' '$S/boottest__reload.txt' && grep -qx 'SubState=running' '$S/boottest__reload.txt' && grep -qx 'NRestarts=0' '$S/boottest__reload.txt'"
T_END=$(now)
log "timings: chroot $(secs "$T_START" "$T_CHROOT") s, build $(secs "$T_CHROOT" "$T_BUILD") s, boot $(secs "$T_BUILD" "$T_BOOT") s, total $(secs "$T_START" "$T_END") s"
if ((FAIL)); then
    log "RESULT: FAIL$( ((CONTROL)) && echo ' (expected: --control leaves autoloadd.service disabled)')"
    exit 1
fi
log "RESULT: PASS"
