# shellcheck shell=bash
# A second emulated PC, unlike run.sh's usual one: run.sh's minimal set (virtio-blk, xhci with a
# keyboard) plus NICs, HBAs, GPU and sound the usual PC does not have (virtio-net, vmxnet3,
# e1000e, mptsas, megaraid_sas gen2 with disks, usb-storage, virtio-gpu, ICH9 EHCI with a tablet,
# lsi53c810, virtio-rng, ICH9 HDA). Source it, then pass "${ALT_PC[@]}" to
# scripts/vm/test-coldplug.sh or scripts/vm/compare-coldplug.sh:
#   . scripts/vm/machines/alt-pc.sh
#   scripts/vm/compare-coldplug.sh --binary B --runs 3 --contenders autoloadd,udevd "${ALT_PC[@]}"
ALT_PC_DISKS=${ALT_PC_DISKS:-$(mktemp -d /tmp/alt-pc.XXXXXX)}
for _d in d1 d2 d3; do [[ -e $ALT_PC_DISKS/$_d.img ]] || truncate -s 16M "$ALT_PC_DISKS/$_d.img"; done
ALT_PC=(--devices minimal)
for _a in \
    -netdev hubport,id=u1,hubid=0 -device virtio-net-pci,netdev=u1,romfile= \
    -netdev hubport,id=u2,hubid=0 -device vmxnet3,netdev=u2,romfile= \
    -netdev hubport,id=u3,hubid=0 -device e1000e,netdev=u3,romfile= \
    -device mptsas1068,id=mpt -drive "if=none,id=d1,format=raw,file=$ALT_PC_DISKS/d1.img" -device scsi-hd,bus=mpt.0,drive=d1 \
    -device megasas-gen2,id=mg -drive "if=none,id=d2,format=raw,file=$ALT_PC_DISKS/d2.img" -device scsi-hd,bus=mg.0,drive=d2 \
    -drive "if=none,id=d3,format=raw,file=$ALT_PC_DISKS/d3.img" -device usb-storage,bus=xhci.0,drive=d3 \
    -device virtio-gpu-pci -device ich9-usb-ehci1,id=ehci -device usb-tablet,bus=ehci.0 \
    -device lsi53c810 -device virtio-rng-pci \
    -audiodev none,id=au1 -device ich9-intel-hda -device hda-output,audiodev=au1; do
    ALT_PC+=(--qemu-arg "$_a")
done
unset _a _d
