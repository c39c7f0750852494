#!/usr/bin/env bash
# Boot Debian's real kernel under qemu (TCG) with a busybox initramfs and an
# emulated PC full of devices that need module drivers, run guest scenarios,
# and print the marked sections of the serial console to stdout.
#
# Usage: scripts/vm/run.sh [options]
#   --scenario NAME[,NAME...]   bundled scenario(s) from scripts/vm/scenarios/
#                               (default oracle-modprobe; also lsmod-only,
#                               modaliases, hotplug-oracle, autoloadd-coldplug,
#                               ...), run in order in one boot
#   --scenario-file FILE        run FILE as the guest /scenario instead
#   --devices SET               full (default: ~45 devices needing drivers),
#                               all (full plus the hotplug targets e1000e,
#                               usb-storage, usb-uas at boot), minimal, none
#   --hotplug[=LIST]            after the guest prints === READY-FOR-HOTPLUG ===
#                               device_add via QMP; LIST is comma separated
#                               from e1000e rtl8139 virtio-net virtio-blk
#                               usb-storage usb-uas (default e1000e,usb-storage;
#                               usb-uas is accepted by qemu 7.2 but never shows
#                               up in the guest - it works at boot, --devices all).
#                               Implies --scenario hotplug-oracle unless given;
#                               the guest also gets autoload.hotplug=LIST.
#   --initramfs FILE            use a prebuilt initramfs (build-initramfs.sh);
#                               default: build/refresh one in the cache
#   --add HOST[:GUEST], --binary PATH[:GUEST], --udev
#                               passed to build-initramfs.sh (e.g. autoloadd;
#                               --udev adds systemd-udevd + stock rules)
#   --kernel SPEC               kernel-tree.sh spec of the kernel to boot
#                               (default amd64: the archive's 6.1; amd64:6.12
#                               has .ko.xz modules)
#   --timeout SECONDS           kill qemu after this long (default 240)
#   --append "ARGS"             extra kernel command line (e.g. autoload.kmsg=1,
#                               autoload.rounds=5, autoload.hotplug_wait=90)
#   --cpu MODEL                 qemu -cpu (default max)
#   --qemu-arg ARG              extra qemu argument (repeatable)
#   --out DIR                   keep serial.log (serial.voidN.log: voided boots),
#                               qemu.err, qmp.log, timings.txt
#                               and sections/NAME.txt (NAME with / -> __) there
#   --verbose                   stream the serial console to stderr live
# Exit status: 0 all scenarios ended with rc=0 and the guest powered off;
# 1 a scenario failed, the guest died or a step failed; 124 timeout; 2 usage error. A boot voided by the
# emulator (a crash before /init, or "Oops: int3"; see boot_once) runs again, up to 3 boots.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE="${AUTOLOAD_CACHE:-$HOME/.cache/autoload}/vm"

SCRIPT_NAME=run.sh
# shellcheck source=../lib/common.sh
. "$REPO/scripts/lib/common.sh"

SCENARIO='' SCENARIO_FILE='' DEVICES=full HOTPLUG='' INITRAMFS='' TIMEOUT=240 APPEND='' CPU=max
OUTDIR='' VERBOSE=0 BUILD_ARGS=() EXTRA=()
while (($#)); do
    case $1 in
        --scenario) SCENARIO=${2:?}; shift 2 ;;
        --scenario-file) SCENARIO_FILE=${2:?}; shift 2 ;;
        --devices) DEVICES=${2:?}; shift 2 ;;
        --hotplug) HOTPLUG=e1000e,usb-storage; shift ;;
        --hotplug=*) HOTPLUG=${1#--hotplug=}; shift ;;
        --initramfs) INITRAMFS=${2:?}; shift 2 ;;
        --add|--binary) BUILD_ARGS+=("$1" "${2:?}"); shift 2 ;;
        --udev) BUILD_ARGS+=(--udev); shift ;;
        --kernel) BUILD_ARGS+=(--arch "${2:?}"); shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --append) APPEND="$APPEND ${2?}"; shift 2 ;;
        --cpu) CPU=${2:?}; shift 2 ;;
        --qemu-arg) EXTRA+=("${2:?}"); shift 2 ;;
        --out) OUTDIR=${2:?}; shift 2 ;;
        --verbose) VERBOSE=1; shift ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
if [[ -z $SCENARIO ]]; then
    if [[ -n $SCENARIO_FILE ]]; then SCENARIO=custom
    elif [[ -n $HOTPLUG ]]; then SCENARIO=hotplug-oracle
    else SCENARIO=oracle-modprobe; fi
fi
[[ -z $SCENARIO_FILE ]] || BUILD_ARGS+=(--scenario "$SCENARIO_FILE")
[[ $TIMEOUT =~ ^[0-9]+$ ]] || usage_error "--timeout needs whole seconds"

# ---- host packages -----------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
ensure_commands qemu-system-x86_64:qemu-system-x86 python3:python3

# ---- initramfs + kernel ------------------------------------------------------
if [[ -z $INITRAMFS ]]; then
    # One cached initramfs per distinct set of build arguments.
    tag=$(printf '%s\n' "${BUILD_ARGS[@]}" | sha256sum | cut -c1-12)
    INITRAMFS="$CACHE/initramfs-$tag.cpio"
    tb=$(date +%s.%N)
    "$HERE/build-initramfs.sh" "$INITRAMFS" "${BUILD_ARGS[@]}" >/dev/null
    # Keep the cache bounded: the 4 most recently used initramfs images.
    touch "$INITRAMFS"
    ls -t "$CACHE"/initramfs-*.cpio 2>/dev/null | tail -n +5 | while read -r f; do rm -f "$f" "$f.info"; done
    log "initramfs ready in $(awk -v a="$tb" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s: $INITRAMFS"
elif ((${#BUILD_ARGS[@]})); then
    usage_error "--add/--binary/--udev/--kernel/--scenario-file need a built initramfs; drop --initramfs"
fi
[[ -f $INITRAMFS ]] || die "no initramfs $INITRAMFS"
VMLINUZ=
[[ -f $INITRAMFS.info ]] && VMLINUZ=$(sed -n 's/^vmlinuz=//p' "$INITRAMFS.info")
if [[ -z $VMLINUZ || ! -f $VMLINUZ ]]; then
    IFS=$'\t' read -r _ kver kroot < <("$REPO/scripts/kernel-tree.sh" amd64)
    VMLINUZ="$kroot/boot/vmlinuz-$kver"
fi

# ---- work dir ----------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/autoload-vm.XXXXXX")
QPID=
cleanup() {
    [[ -n $QPID ]] && kill "$QPID" 2>/dev/null || true
    [[ -n ${TAILPID:-} ]] && kill "$TAILPID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
SERIAL=$WORK/serial.raw QMPSOCK=$WORK/qmp.sock

disk() {  # NAME SIZE -> path of a sparse raw image
    truncate -s "$2" "$WORK/$1.img"
    echo "$WORK/$1.img"
}

# ---- devices -----------------------------------------------------------------
# Everything is explicit (-nodefaults). q35 itself brings ICH9 LPC (lpc_ich),
# SATA (ahci), SMBus (i2c_i801), i8042, RTC, HPET, fw_cfg.
A=()
# NICs get no option ROM (romfile=): iPXE banners cost seconds per NIC.
nic() { A+=(-netdev "hubport,id=$1,hubid=0" -device "$2,netdev=$1,romfile=${3:+,$3}"); }
drive() { A+=(-drive "if=none,id=$1,format=raw,file=$(disk "$1" "$2")"); }

common_devices() {
    # Free hotplug slots: PCIe root ports hp1..hp4 (pcieport/pciehp built in).
    A+=(-device pcie-root-port,id=hp1,bus=pcie.0,chassis=1,addr=0x1c.0,multifunction=on
        -device pcie-root-port,id=hp2,bus=pcie.0,chassis=2,addr=0x1c.1
        -device pcie-root-port,id=hp3,bus=pcie.0,chassis=3,addr=0x1c.2
        -device pcie-root-port,id=hp4,bus=pcie.0,chassis=4,addr=0x1c.3)
}

minimal_devices() {
    nic n1 virtio-net-pci
    drive vblk 16M; A+=(-device virtio-blk-pci,drive=vblk)
    A+=(-device qemu-xhci,id=xhci,p2=15,p3=15 -device usb-kbd,bus=xhci.0)
}

full_devices() {
    A+=(-audiodev none,id=snd0
        -chardev null,id=cnull1 -chardev "file,id=cfile,path=$WORK/usb-serial.out"
        -object cryptodev-backend-builtin,id=crypto0
        -object can-bus,id=canbus0)
    # PCI(e) on the root complex
    A+=(-device VGA)                                               # bochs
    nic n1 virtio-net-pci                                          # virtio_net
    drive vblk 16M; A+=(-device virtio-blk-pci,drive=vblk)         # virtio_blk
    drive vsd 16M                                                  # virtio_scsi, sd_mod, sr_mod
    A+=(-device virtio-scsi-pci,id=vscsi -device scsi-hd,bus=vscsi.0,drive=vsd -device scsi-cd,bus=vscsi.0)
    A+=(-device virtio-rng-pci                                     # virtio_rng
        -device virtio-balloon-pci                                 # virtio_balloon
        -device virtio-serial-pci -device virtconsole,chardev=cnull1   # virtio_console
        -device virtio-keyboard-pci                                # virtio_input
        -device virtio-crypto-pci,cryptodev=crypto0)               # virtio_crypto
    drive sata 16M                                                 # ahci
    A+=(-device ich9-ahci,id=ahci -device ide-hd,bus=ahci.0,drive=sata -device ide-cd,bus=ahci.1)
    drive nvm 16M; A+=(-device nvme,serial=autoload0,drive=nvm)    # nvme
    # USB: xhci (xhci_pci) with HID, audio, serial, net; EHCI; UHCI + mouse
    A+=(-device qemu-xhci,id=xhci,p2=15,p3=15
        -device usb-kbd,bus=xhci.0 -device usb-tablet,bus=xhci.0   # usbhid
        -device usb-audio,bus=xhci.0,audiodev=snd0                 # snd_usb_audio
        -device usb-serial,bus=xhci.0,chardev=cfile                # ftdi_sio (a null chardev never "opens", so the device would not attach)
        -device usb-wacom-tablet,bus=xhci.0                        # wacom
        -netdev hubport,id=nu,hubid=0 -device usb-net,bus=xhci.0,netdev=nu   # cdc_ether/rndis_host
        -device usb-ehci,id=ehci                                   # ehci_pci
        -device ich9-usb-uhci1,id=uhci -device usb-mouse,bus=uhci.0)   # uhci_hcd
    A+=(-device intel-hda -device hda-duplex,audiodev=snd0)        # snd_hda_intel
    drive sd 16M; A+=(-device sdhci-pci -device sd-card,drive=sd)  # sdhci_pci, mmc_block
    drive mega 16M                                                 # megaraid_sas
    A+=(-device megasas,id=mega -device scsi-hd,bus=mega.0,drive=mega)
    nic n2 vmxnet3                                                 # vmxnet3
    A+=(-device pvscsi                                             # vmw_pvscsi
        -device pvpanic-pci)                                       # pvpanic_pci
    # Conventional PCI behind a DMI-to-PCI bridge + PCI-PCI bridge
    A+=(-device i82801b11-bridge,id=dmi,bus=pcie.0,addr=0x1e
        -device pci-bridge,id=pcibr,bus=dmi,chassis_nr=8,addr=0x1)
    nic n3 e1000 bus=pcibr                                         # e1000
    nic n4 rtl8139 bus=pcibr                                       # 8139cp/8139too
    nic n5 pcnet bus=pcibr                                         # pcnet32
    nic n6 ne2k_pci bus=pcibr                                      # ne2k_pci
    nic n7 i82559er bus=pcibr                                      # e100
    nic n8 tulip bus=pcibr                                         # tulip
    A+=(-device AC97,bus=pcibr,audiodev=snd0                       # snd_intel8x0
        -device ES1370,bus=pcibr,audiodev=snd0                     # snd_ens1370
        -device lsi53c895a,bus=pcibr                               # sym53c8xx
        -device am53c974,bus=pcibr                                 # am53c974
        -device i6300esb,bus=pcibr                                 # i6300esb
        -device pci-ohci,bus=pcibr                                 # ohci_pci
        -device kvaser_pci,bus=pcibr,canbus=canbus0                # kvaser_pci
        -device edu,bus=pcibr)                                     # (no driver)
    # ISA/ACPI
    A+=(-device pvpanic                                            # pvpanic_mmio (QEMU0001)
        -device ipmi-bmc-sim,id=bmc0 -device isa-ipmi-kcs,bmc=bmc0)   # ipmi_si (IPI0001)
}

common_devices
case $DEVICES in
    none) ;;
    minimal) minimal_devices ;;
    full) full_devices ;;
    all)
        full_devices
        nic n9 e1000e
        drive ust 16M; drive uas 16M
        A+=(-device usb-storage,bus=xhci.0,drive=ust
            -device usb-uas,id=uasb,bus=xhci.0 -device scsi-hd,bus=uasb.0,drive=uas) ;;
    *) usage_error "unknown --devices $DEVICES (full, all, minimal, none)" ;;
esac

# ---- hotplug plan (QMP JSON lines) ---------------------------------------------
HP_SCRIPT=$WORK/hotplug.jsonl
if [[ -n $HOTPLUG ]]; then
    : >"$HP_SCRIPT"
    port=0
    # Sets $p to the next free root port (no subshell: $port must advance).
    next_port() { port=$((port + 1)); ((port <= 4)) || die "at most 4 PCI hotplug devices"; p=hp$port; }
    q() { printf '%s\n' "$1" >>"$HP_SCRIPT"; }
    pci_nic() {  # DRIVER
        next_port
        q "{\"execute\":\"netdev_add\",\"arguments\":{\"type\":\"hubport\",\"id\":\"hpn$port\",\"hubid\":0}}"
        q "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"$1\",\"id\":\"hpdev$port\",\"bus\":\"$p\",\"netdev\":\"hpn$port\",\"romfile\":\"\"}}"
    }
    blockdev() {  # NODE -> adds a 16M raw image
        q "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"raw\",\"node-name\":\"$1\",\"file\":{\"driver\":\"file\",\"filename\":\"$(disk "$1" 16M)\"}}}"
    }
    for d in ${HOTPLUG//,/ }; do
        case $d in
            e1000e|rtl8139|virtio-net) pci_nic "${d/virtio-net/virtio-net-pci}" ;;
            virtio-blk)
                next_port; blockdev hpvblk
                q "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-blk-pci\",\"id\":\"hpvblkdev\",\"bus\":\"$p\",\"drive\":\"hpvblk\"}}" ;;
            usb-storage)
                blockdev hpusb
                q "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"usb-storage\",\"id\":\"hpusbdev\",\"bus\":\"xhci.0\",\"drive\":\"hpusb\"}}" ;;
            usb-uas)
                blockdev hpuas
                q "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"usb-uas\",\"id\":\"hpuasdev\",\"bus\":\"xhci.0\"}}"
                q "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"scsi-hd\",\"id\":\"hpuasdisk\",\"bus\":\"hpuasdev.0\",\"drive\":\"hpuas\"}}" ;;
            *) die "unknown hotplug device $d" ;;
        esac
    done
    [[ $DEVICES == minimal || $DEVICES == full || $DEVICES == all ]] || [[ $HOTPLUG != *usb* ]] ||
        die "USB hotplug needs the xhci controller (--devices minimal/full/all)"
fi

# ---- boot ---------------------------------------------------------------------
CMDLINE="console=ttyS0 quiet panic=-1 autoload.scenario=$SCENARIO${HOTPLUG:+ autoload.hotplug=$HOTPLUG}$APPEND"
QEMU=(qemu-system-x86_64 -accel tcg -machine q35 -cpu "$CPU" -m 2G -smp 2
    -nographic -nodefaults -no-reboot
    -serial "file:$SERIAL" -qmp "unix:$QMPSOCK,server=on,wait=off"
    -kernel "$VMLINUZ" -initrd "$INITRAMFS" -append "$CMDLINE"
    "${A[@]}" "${EXTRA[@]}")
printf '%q ' "${QEMU[@]}" >"$WORK/qemu.cmd"; echo >>"$WORK/qemu.cmd"
log "booting $(basename "$VMLINUZ") scenario=$SCENARIO devices=$DEVICES${HOTPLUG:+ hotplug=$HOTPLUG} (timeout ${TIMEOUT}s)"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# A boot is void, and runs again (up to 3 boots), when the guest died (not hung) before its
# /init printed "=== INIT" (nothing of autoload's had run, so it says nothing about it) or its
# kernel hit "Oops: int3". qemu 7.2's TCG (Debian 12) sometimes crashes a 6.12 guest that way: a vCPU
# runs a stale int3 of a `66 90` nop the other vCPU just patched (text_poke), fixed in qemu
# 8.0; about 1 boot in 10 in CI, so far always before /init. Loading modules cannot make the
# kernel trap on an int3 it did not place, so that Oops is the emulator's whenever it comes.
console_lines() { sed 's/^/  | /' >&2; }  # guest console lines quoted on stderr
boot_once() {
    T0=$(now)
    : >"$SERIAL"
    rm -f "$WORK/qmp.log"
    "${QEMU[@]}" </dev/null >"$WORK/qemu.out" 2>"$WORK/qemu.err" &
    QPID=$!
    if ((VERBOSE)); then tail -n +1 -f "$SERIAL" >&2 & TAILPID=$!; fi

    T_INIT='' T_READY='' T_HP='' STATUS=''
    hp_done=0
    while kill -0 "$QPID" 2>/dev/null; do
        if [[ -z $T_INIT ]] && grep -aq '=== INIT ' "$SERIAL"; then T_INIT=$(since "$T0"); fi
        if [[ -n $HOTPLUG && $hp_done == 0 ]] && grep -aq '=== READY-FOR-HOTPLUG ===' "$SERIAL"; then
            T_READY=$(since "$T0")
            log "guest ready for hotplug at ${T_READY}s: device_add $(grep '"device_add"' "$HP_SCRIPT" | grep -o '"driver":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ')"
            if python3 "$HERE/qmp.py" "$QMPSOCK" --script "$HP_SCRIPT" >"$WORK/qmp.log" 2>&1; then
                T_HP=$(since "$T0")
            else
                log "QMP hotplug failed:"; sed 's/^/  /' "$WORK/qmp.log" >&2
            fi
            hp_done=1
        fi
        if awk -v a="$T0" -v b="$(now)" -v t="$TIMEOUT" 'BEGIN { exit !(b - a > t) }'; then
            log "timeout after ${TIMEOUT}s, killing qemu"
            kill "$QPID" 2>/dev/null || true
            STATUS=124
            break
        fi
        sleep 0.2
    done
    wait "$QPID" 2>/dev/null && qrc=0 || qrc=$?
    QPID=
    T_END=$(since "$T0")
    # A guest may print the marker and die between two polls.
    [[ -n $T_INIT ]] || ! grep -aq '=== INIT ' "$SERIAL" || T_INIT=$T_END
    [[ -n ${TAILPID:-} ]] && { kill "$TAILPID" 2>/dev/null || true; TAILPID=; }

    # Clean the log: CRLF -> LF, drop terminal escape sequences (SeaBIOS, kernel).
    sed -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' -e 's/\x1b[()][0-9A-Za-z]//g' "$SERIAL" >"$CLEAN"
    if [[ $STATUS == 124 ]]; then
        log "the end of its console:"; tail -n 25 "$CLEAN" | console_lines
    elif ! grep -q '^=== POWEROFF ' "$CLEAN"; then
        STATUS=1; log "guest did not power off cleanly (qemu exit $qrc); the end of its console:"
        tail -n 25 "$CLEAN" | console_lines
    elif grep -q '^=== END [^ ]* rc=[1-9]' "$CLEAN" || ! grep -q '^=== END ' "$CLEAN"; then
        STATUS=1; log "a scenario failed"
    else
        STATUS=0
    fi
}

# ---- results -------------------------------------------------------------------
CLEAN=$WORK/serial.log RETRIED=''
void_boot() {  # -> why this boot's result is void, or nothing (a hang is not void: it keeps 124)
    if [[ $STATUS == 1 ]] && ! grep -q '^=== INIT ' "$CLEAN"; then
        echo "the guest died before its /init ran (none of autoload's code had run)"
    elif grep -q 'Oops: int3: ' "$CLEAN"; then
        grep -A 12 'Oops: int3: ' "$CLEAN" | head -n 13 | console_lines
        echo "the guest kernel hit 'Oops: int3' (qemu 7.2 TCG's stale-patch bug; its console above)"
    fi
}
boot_once
boots=1
while why=$(void_boot) && [[ -n $why ]] && ((boots < 3)); do
    log "$why: booting again ($((boots + 1)) of at most 3)"
    cp "$CLEAN" "$WORK/serial.void$boots.log"  # kept with --out
    RETRIED=" retried=$boots"
    boot_once
    boots=$((boots + 1))
done
[[ -z $why ]] || { log "$why: 3 boots failed so"; STATUS=1; }
# Marked sections (with nesting), plus the INIT / POWEROFF lines.
awk '/^=== BEGIN /{d++} d>0 || /^=== (INIT|POWEROFF) /{print} /^=== END /{if(d>0)d--}' "$CLEAN"

[[ -n $HOTPLUG && -z $T_HP ]] && { log "hotplug was not performed"; STATUS=1; }
if [[ -s $WORK/qemu.err ]]; then
    grep -v -e 'hub 0 is not connected to host network' "$WORK/qemu.err" | sed 's/^/qemu: /' >&2 || true
fi
TIMINGS="host: init_seen=${T_INIT:-?}s${T_READY:+ ready_for_hotplug=${T_READY}s hotplug_done=${T_HP:-failed}s} qemu_exit=${T_END}s$RETRIED status=$STATUS"
log "$TIMINGS"

if [[ -n $OUTDIR ]]; then
    mkdir -p "$OUTDIR/sections"
    cp "$CLEAN" "$OUTDIR/serial.log"
    for f in "$WORK"/serial.void*.log; do [[ -f $f ]] && cp "$f" "$OUTDIR/"; done
    cp "$WORK/qemu.err" "$WORK/qemu.cmd" "$OUTDIR/"
    [[ -f $WORK/qmp.log ]] && cp "$WORK/qmp.log" "$HP_SCRIPT" "$OUTDIR/"
    echo "$TIMINGS" >"$OUTDIR/timings.txt"
    # One file per section (innermost content, markers excluded).
    awk -v dir="$OUTDIR/sections" '
        /^=== BEGIN / { n = $3; gsub("/", "__", n); stack[++d] = n; printf "" > (dir "/" n ".txt"); next }
        /^=== END /   { if (d > 0) { close(dir "/" stack[d] ".txt"); d-- } next }
        d > 0         { print > (dir "/" stack[d] ".txt") }' "$CLEAN"
    log "output in $OUTDIR"
fi
exit "$STATUS"
