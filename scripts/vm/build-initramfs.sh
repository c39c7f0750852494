#!/usr/bin/env bash
# Build a busybox initramfs for the qemu test VM: busybox-static (+ applet
# symlinks), Debian's real kmod (modprobe/insmod/lsmod/...) with its shared
# libraries, the FULL depmod'ed module tree of the kernel from
# scripts/kernel-tree.sh, the guest /init and the bundled scenarios, plus any
# extra files/binaries.
#
# Usage: scripts/vm/build-initramfs.sh OUT [options]
#   --add HOSTPATH[:GUESTPATH]   copy a file or directory (GUESTPATH defaults
#                                to HOSTPATH; must be absolute)
#   --binary PATH[:GUESTPATH]    copy a dynamically linked executable (default
#                                guest path /usr/bin/BASENAME) plus every
#                                library `ldd` lists and the ELF loader, each at
#                                its host path (so RUNPATHs like
#                                /opt/swift/usr/lib/swift/linux keep working)
#   --scenario FILE              install FILE as /scenario (run instead of the
#                                bundled /scenarios/NAME)
#   --udev                       add systemd-udevd and udevadm (Debian's `udev`
#                                package, installed on the host if missing) with
#                                their libraries, the stock /lib/udev (rules.d
#                                incl. 80-drivers.rules, helpers, hwdb.bin),
#                                /etc/udev, the .link files and the host's
#                                system groups (rules name them), for the
#                                udevd-coldplug scenario
#   --compress none|gzip|zstd    compression of the archive (default: none,
#                                env AUTOLOAD_VM_COMPRESS; see README-ish notes
#                                in run.sh: uncompressed boots fastest)
#   --arch ARCH                  kernel-tree.sh argument (default amd64)
#
# OUT is the concatenation of a cached "base" archive (busybox, kmod, modules;
# keyed on the kernel tree stamp and the host binaries) and a small overlay
# (init, scenarios, --add/--binary files). OUT.info records the kernel used.
# If OUT is already up to date (same key) nothing is rebuilt.
# Cache: ${AUTOLOAD_CACHE:-$HOME/.cache/autoload}/vm/
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
export PATH="$PATH:/usr/sbin:/sbin"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE="${AUTOLOAD_CACHE:-$HOME/.cache/autoload}/vm"
BASE_VERSION=3   # bump when the base layout changes

SCRIPT_NAME=build-initramfs
# shellcheck source=../lib/common.sh
. "$REPO/scripts/lib/common.sh"

# ---- arguments -------------------------------------------------------------
OUT='' ARCH=amd64 COMPRESS=${AUTOLOAD_VM_COMPRESS:-none} SCENARIO_FILE='' UDEV=0
ADDS=() BINS=()
while (($#)); do
    case $1 in
        --add) ADDS+=("${2:?--add needs HOSTPATH[:GUESTPATH]}"); shift 2 ;;
        --binary) BINS+=("${2:?--binary needs PATH}"); shift 2 ;;
        --scenario) SCENARIO_FILE=${2:?}; shift 2 ;;
        --udev) UDEV=1; shift ;;
        --compress) COMPRESS=${2:?}; shift 2 ;;
        --arch) ARCH=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        -*) usage_error "unknown option $1" ;;
        *) [[ -z $OUT ]] || usage_error "only one OUT allowed"; OUT=$1; shift ;;
    esac
done
[[ -n $OUT ]] || usage 2
case $COMPRESS in none|gzip|zstd) ;; *) usage_error "--compress must be none, gzip or zstd" ;; esac

# ---- host tools (install quietly if missing) -------------------------------
# gcc + libc6-dev: modwatch.c, linked statically (the guest has no libc of its own).
pkgs=(busybox-static kmod cpio gcc libc6-dev)
[[ $COMPRESS == zstd ]] && pkgs+=(zstd)
((UDEV)) && pkgs+=(udev)
ensure_pkgs "${pkgs[@]}"

BUSYBOX=$(dpkg -L busybox-static | grep -m1 -E '/bin/busybox$')
KMOD=$(readlink -f "$(command -v kmod)")
[[ -x $BUSYBOX && -x $KMOD ]] || die "busybox or kmod binary not found"

# ---- kernel tree ------------------------------------------------------------
IFS=$'\t' read -r _ KVER KROOT < <("$REPO/scripts/kernel-tree.sh" "$ARCH") || die "kernel-tree.sh failed"
MODDIR="$KROOT/lib/modules/$KVER"
VMLINUZ="$KROOT/boot/vmlinuz-$KVER"
[[ -d $MODDIR && -f $VMLINUZ ]] || die "incomplete kernel tree at $KROOT"

# Shared libraries (and loader) of an executable, one host path per line.
ldd_libs() {
    local out
    out=$(ldd "$1" 2>&1) || { grep -q 'not a dynamic executable' <<<"$out" && return 0; die "ldd $1: $out"; }
    grep -q 'not found' <<<"$out" && die "ldd $1: missing libraries:"$'\n'"$out"
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out" | sort -u
}

# Copy executable $1 to $3 (guest path) in staging dir $2, plus its libraries.
add_binary() {
    local src=$1 st=$2 dst=$3 lib
    install -D -m 755 "$src" "$st$dst"
    while read -r lib; do
        [[ -n $lib ]] || continue
        [[ -e $st$lib ]] || install -D -m 755 "$(readlink -f "$lib")" "$st$lib"
    done < <(ldd_libs "$src")
}

# newc archive of directory $1 (sorted, root-owned) compressed to stdout.
mkcpio() {
    local c
    case $COMPRESS in none) c=(cat) ;; gzip) c=(gzip -1 -n) ;; zstd) c=(zstd -q -T0 -3) ;; esac
    (cd "$1" && find . -mindepth 1 -print0 | sort -z | cpio --quiet -0 -o -H newc -R 0:0) | "${c[@]}"
}

sha_of() { sha256sum "$@" | cut -c1-64; }

# ---- base archive (cached) -------------------------------------------------
base_key=$( {
    echo "v=$BASE_VERSION compress=$COMPRESS kver=$KVER"
    cat "$KROOT/.autoload-stamp" 2>/dev/null || echo "root=$KROOT"
    sha_of "$BUSYBOX" "$KMOD"
    ldd_libs "$KMOD" | while read -r l; do echo "$l $(sha_of "$(readlink -f "$l")")"; done
} | sha_of -)
base_key=${base_key:0:16}
BASE="$CACHE/base-$KVER-$base_key.cpio"
mkdir -p "$CACHE"

build_base() {
    local st=$1 a
    mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc/modprobe.d,proc,sys,dev,run,tmp,root,mnt,lib/modules}
    chmod 1777 "$st/tmp"
    install -m 755 "$BUSYBOX" "$st/bin/busybox"
    # Applet symlinks at their canonical paths (busybox --list-full).
    while read -r a; do
        [[ -e $st/$a || $a == bin/busybox ]] && continue
        mkdir -p "$st/$(dirname "$a")"
        ln -s /bin/busybox "$st/$a"
    done < <("$BUSYBOX" --list-full)
    # kmod replaces busybox's module applets, wherever busybox put them.
    add_binary "$KMOD" "$st" /bin/kmod
    for a in modprobe insmod lsmod rmmod depmod modinfo; do
        rm -f "$st"/{bin,sbin,usr/bin,usr/sbin}/"$a"
        ln -s /bin/kmod "$st/sbin/$a"
    done
    ln -s /bin/kmod "$st/bin/lsmod"
    # /dev/console so the kernel can give /init a console before devtmpfs.
    if [[ $EUID -eq 0 ]]; then
        mknod -m 600 "$st/dev/console" c 5 1
        mknod -m 666 "$st/dev/null" c 1 3
        mknod -m 644 "$st/dev/kmsg" c 1 11
    fi
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$st/etc/passwd"
    printf 'root:x:0:\n' >"$st/etc/group"
    # The full module tree. Hard links when possible (same filesystem).
    cp -al "$MODDIR" "$st/lib/modules/" 2>/dev/null || { rm -rf "$st/lib/modules/$KVER"; cp -a "$MODDIR" "$st/lib/modules/"; }
    echo "$KVER" >"$st/etc/autoload-vm-kernel"
}

if [[ ! -s $BASE ]]; then
    exec 9>"$CACHE/.lock-base"
    flock 9
    if [[ ! -s $BASE ]]; then
        t0=$(date +%s.%N)
        st=$(mktemp -d "$CACHE/.base-stage.XXXXXX")
        trap 'rm -rf "$st" "$BASE.tmp.$$"' EXIT
        log "building base archive for $KVER ($COMPRESS)"
        build_base "$st"
        mkcpio "$st" >"$BASE.tmp.$$"
        mv "$BASE.tmp.$$" "$BASE"
        rm -rf "$st"; trap - EXIT
        # Keep only the newest few base archives.
        ls -t "$CACHE"/base-*.cpio 2>/dev/null | tail -n +5 | xargs -r rm -f
        log "base: $(du -h "$BASE" | cut -f1) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
    fi
    exec 9>&-
fi

# ---- overlay ----------------------------------------------------------------
# Parse HOST[:GUEST] (GUEST defaults to $2).
split_spec() {
    local spec=$1 def=$2
    if [[ $spec == *:* ]]; then SRC=${spec%%:*} DST=${spec#*:}; else SRC=$spec DST=$def; fi
    [[ -e $SRC ]] || die "no such file: $SRC"
    [[ $DST == /* ]] || die "guest path must be absolute: $DST"
}

# udev from the host's Debian package (paths as the package installs them).
UDEVADM=/bin/udevadm UDEV_LIB=/lib/udev
if ((UDEV)); then
    [[ -x $UDEVADM && -d $UDEV_LIB/rules.d && -f $UDEV_LIB/rules.d/80-drivers.rules ]] ||
        die "udev package incomplete (need $UDEVADM and $UDEV_LIB/rules.d/80-drivers.rules)"
    # hwdb.bin is made by the package's postinst; without it hwdb lookups just find nothing.
    [[ -f $UDEV_LIB/hwdb.bin ]] || log "warning: no $UDEV_LIB/hwdb.bin (run systemd-hwdb update)"
fi

# systemd-udevd is udevadm under another name (multi-call binary); the rules' helpers
# (ata_id, scsi_id, ...) are ELF files in /lib/udev that need their libraries too.
add_udev() {
    local ov=$1 f
    add_binary "$UDEVADM" "$ov" /bin/udevadm
    mkdir -p "$ov/lib/systemd" "$ov/etc/udev/rules.d" "$ov/run/udev"
    ln -s /bin/udevadm "$ov/lib/systemd/systemd-udevd"
    cp -rL "$UDEV_LIB" "$ov/lib/udev"
    while IFS= read -r -d '' f; do
        head -c4 "$f" | grep -q ELF || continue
        add_binary "$f" "$ov" "/lib/udev/${f#"$UDEV_LIB"/}"
    done < <(find -L "$UDEV_LIB" -maxdepth 1 -type f -print0)
    [[ -f /etc/udev/udev.conf ]] && install -m 644 /etc/udev/udev.conf "$ov/etc/udev/udev.conf"
    # net_setup_link reads .link files; the stock ones make it behave as shipped.
    if compgen -G '/lib/systemd/network/*.link' >/dev/null; then
        mkdir -p "$ov/lib/systemd/network"
        cp -L /lib/systemd/network/*.link "$ov/lib/systemd/network/"
    fi
    # Rules set GROUP="audio", "disk", ...: unknown groups only cost warnings, but keep udevd's
    # work as on a real system. System groups only (gid < 1000), nothing else from the host.
    { echo 'root:x:0:'; awk -F: '$3 > 0 && $3 < 1000 { print $1 ":x:" $3 ":" }' /etc/group; } >"$ov/etc/group"
}

# modwatch (the race stopwatch), static so it needs nothing from the guest. Cached by source.
MODWATCH="$CACHE/modwatch-$(sha_of "$HERE/modwatch.c" | cut -c1-12)"
if [[ ! -x $MODWATCH ]]; then
    gcc -static -O2 -Wall -Wextra -o "$MODWATCH.tmp.$$" "$HERE/modwatch.c" || die "cannot compile modwatch.c"
    mv "$MODWATCH.tmp.$$" "$MODWATCH"
fi

# Overlay inputs (for the up-to-date check): everything we copy, by content.
overlay_key=$( {
    echo "base=$BASE"
    for f in "$HERE/init" "$HERE/lib.sh" "$HERE/latency.sh" "$HERE/kmodprobe" "$HERE"/scenarios/*; do echo "$f $(sha_of "$f")"; done
    [[ -n $SCENARIO_FILE ]] && echo "scenario $(sha_of "$SCENARIO_FILE")"
    for s in "${ADDS[@]}"; do
        split_spec "$s" "${s%%:*}"
        echo "add $DST"; find "$SRC" -type f -print0 | sort -z | xargs -0 -r sha256sum
    done
    for s in "${BINS[@]}"; do
        split_spec "$s" "/usr/bin/$(basename "${s%%:*}")"
        echo "bin $DST $(sha_of "$SRC")"
        ldd_libs "$SRC" | while read -r l; do echo "$l $(sha_of "$(readlink -f "$l")")"; done
    done
    echo "modwatch $(sha_of "$HERE/modwatch.c")"
    if ((UDEV)); then
        echo "udev $(sha_of "$(readlink -f "$UDEVADM")")"
        find -L "$UDEV_LIB" -type f -print0 | sort -z | xargs -0 sha256sum
    fi
} | sha_of -)

INFO="$OUT.info"
if [[ -s $OUT && -f $INFO ]] && grep -qx "key=$overlay_key" "$INFO"; then
    log "up to date: $OUT"
    echo "$OUT"
    exit 0
fi

t0=$(date +%s.%N)
ov=$(mktemp -d "${TMPDIR:-/tmp}/vm-overlay.XXXXXX")
trap 'rm -rf "$ov" "$OUT.tmp.$$"' EXIT
mkdir -p "$ov/scenarios" "$ov/usr/lib/autoload-vm"
install -m 755 "$HERE/init" "$ov/init"
install -m 644 "$HERE/lib.sh" "$HERE/latency.sh" "$ov/usr/lib/autoload-vm/"
install -m 755 "$HERE/kmodprobe" "$ov/usr/lib/autoload-vm/kmodprobe"
for f in "$HERE"/scenarios/*; do install -m 755 "$f" "$ov/scenarios/"; done
[[ -n $SCENARIO_FILE ]] && install -m 755 "$SCENARIO_FILE" "$ov/scenario"
for s in "${ADDS[@]}"; do
    split_spec "$s" "${s%%:*}"
    mkdir -p "$ov$(dirname "$DST")"
    cp -a "$SRC" "$ov$DST"
done
for s in "${BINS[@]}"; do
    split_spec "$s" "/usr/bin/$(basename "${s%%:*}")"
    add_binary "$SRC" "$ov" "$DST"
done
install -m 755 "$MODWATCH" "$ov/usr/lib/autoload-vm/modwatch"
((UDEV)) && add_udev "$ov"
# Parent directories in the overlay must not shadow base symlinks; the base
# has real directories only, so nothing to do. Concatenate base + overlay.
mkdir -p "$(dirname "$OUT")"
{ cat "$BASE"; mkcpio "$ov"; } >"$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
{
    echo "key=$overlay_key"
    echo "arch=$ARCH"
    echo "kernel=$KVER"
    echo "vmlinuz=$VMLINUZ"
    echo "base=$BASE"
    echo "compress=$COMPRESS"
    echo "udev=$UDEV"
} >"$INFO"
log "wrote $OUT ($(du -h "$OUT" | cut -f1), overlay $(du -sh "$ov" | cut -f1)) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
echo "$OUT"
