#!/usr/bin/env bash
# Build the fault lab's test modules (autoload_hang, autoload_slow, autoload_eio: *.c here)
# for the guest's kernel and stage them as a module-tree overlay with real aliases.
#
# Usage: scripts/vm/faultlab/build-modules.sh [--kernel SPEC] [--binary AUTOLOADD]
#   --kernel SPEC       kernel-tree.sh spec (default amd64); KVER is what it resolves
#                       (apt-cache depends linux-image-amd64), never hard-coded
#   --binary AUTOLOADD  also compile autoloadd's index of the staged tree (for the guest's
#                       /var/cache/autoload, as test-coldplug.sh does); optional
#
# Installs linux-headers-$KVER (Debian's kbuild tree for exactly that kernel) and gcc-12 (the
# compiler Debian built it with: CONFIG_CC_VERSION_TEXT) with apt-get when missing, builds
# with kbuild in a copy of the sources under the cache, then stages
#   OUT/tree/lib/modules/$KVER     the cached kernel tree (kernel/ hard-linked, read only;
#                                  top-level files copied) + updates/*.ko, depmod'ed there
#   OUT/overlay/                   what the guest needs on top of the shared initramfs base:
#                                  updates/*.ko and the regenerated modules.* files, for
#                                  build-initramfs.sh --add OUT/overlay:/lib/modules/$KVER
#   OUT/lib_modules_$KVER.idx      autoloadd's compiled index of the staged tree (--binary)
#   OUT/kver                       $KVER
# and prints OUT on stdout. The shared cached tree is never written: depmod writes its
# files as NAME.tmp and renames them, and only top-level copies are in its way.
# Unsigned modules load on Debian's kernel (MODULE_SIG_FORCE is off, no Secure Boot in the
# VM); they taint it (E), nothing else.
# Cache: ${AUTOLOAD_CACHE:-$HOME/.cache/autoload}/faultlab/KVER-HASH (HASH: sources, headers).
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
export PATH="$PATH:/usr/sbin:/sbin"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE="${AUTOLOAD_CACHE:-$HOME/.cache/autoload}/faultlab"
SCRIPT_NAME=faultlab/build-modules
# shellcheck source=../../lib/common.sh
. "$REPO/scripts/lib/common.sh"

KSPEC=amd64 BINARY=''
while (($#)); do
    case $1 in
        --kernel) KSPEC=${2:?}; shift 2 ;;
        --binary) BINARY=${2:?}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done

IFS=$'\t' read -r _ KVER KROOT < <("$REPO/scripts/kernel-tree.sh" "$KSPEC") || die "kernel-tree.sh failed"
MODDIR=$KROOT/lib/modules/$KVER
[[ -d $MODDIR ]] || die "no module tree $MODDIR"

# The compiler the kernel was built with, by its version text (gcc-12 for Debian 12's 6.1).
CC=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(gcc-[0-9]*\) .*/\1/p' "$KROOT/boot/config-$KVER" 2>/dev/null)
CC=${CC:-gcc-12}
ensure_pkgs "linux-headers-$KVER" "$CC" make kmod
KDIR=/usr/src/linux-headers-$KVER
[[ -f $KDIR/Makefile ]] || die "no $KDIR/Makefile after installing linux-headers-$KVER"

srcs=("$HERE"/Kbuild "$HERE"/*.c)
key=$( { echo "kver=$KVER cc=$CC"; sha256sum "${srcs[@]}" | cut -c1-64
         dpkg-query -W -f '${Version}\n' "linux-headers-$KVER"
         cat "$KROOT/.autoload-stamp" 2>/dev/null; } | sha256sum | cut -c1-12)
OUT=$CACHE/$KVER-$key
if [[ ! -f $OUT/.done ]]; then
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock 9
fi
if [[ ! -f $OUT/.done ]]; then
    rm -rf "$OUT"
    mkdir -p "$OUT/src"
    cp "${srcs[@]}" "$OUT/src/"
    log "building ${srcs[*]##*/} for $KVER with $CC ($KDIR)"
    make -s -C "$KDIR" M="$OUT/src" CC="$CC" modules >"$OUT/build.log" 2>&1 ||
        { cat "$OUT/build.log" >&2; die "kbuild failed"; }
    grep -v -e '^ *\(CC\|MODPOST\|LD\|BTF\)' -e '^Skipping BTF generation' "$OUT/build.log" | grep . >&2 || true

    # Stage: kernel/ hard-linked (never written), top-level files copied, updates/ ours.
    T=$OUT/tree/lib/modules/$KVER
    mkdir -p "$T/updates" "$OUT/depmod.d"
    cp -al "$MODDIR/kernel" "$T/kernel"
    find "$MODDIR" -maxdepth 1 -type f -exec cp -p {} "$T/" \;
    install -m 644 "$OUT"/src/*.ko "$T/updates/"
    symvers=$KROOT/usr/src/linux-headers-$KVER/Module.symvers
    dargs=(-a -b "$OUT/tree" -C "$OUT/depmod.d")
    [[ -s $symvers ]] && dargs+=(-e -E "$symvers")
    derr=$(depmod "${dargs[@]}" "$KVER" 2>&1) || { printf '%s\n' "$derr" >&2; die "depmod failed"; }
    [[ -z $derr ]] || printf '%s\n' "$derr" | head -n 20 | sed 's/^/  depmod: /' >&2
    for m in autoload_hang autoload_slow autoload_eio; do
        grep -q "^updates/$m.ko:" "$T/modules.dep" || die "depmod did not list updates/$m.ko"
        grep -q " $m\$" "$T/modules.alias" || die "no alias for $m in modules.alias"
    done
    # The overlay: ours + every regenerated top-level file (modules.*), nothing of kernel/.
    mkdir -p "$OUT/overlay"
    cp -a "$T/updates" "$OUT/overlay/"
    find "$T" -maxdepth 1 -type f -exec cp -p {} "$OUT/overlay/" \;
    echo "$KVER" >"$OUT/kver"
    touch "$OUT/.done"
    # Older builds for this kernel (other sources) are of no further use.
    for d in "$CACHE/$KVER"-*; do [[ $d == "$OUT" || ! -d $d ]] || rm -rf "$d"; done
    log "staged in $OUT: $(grep -c ' autoload_' "$T/modules.alias") aliases of ours"
fi
if [[ -n $BINARY ]]; then
    IDX=$OUT/lib_modules_$KVER.idx
    bsum=$(sha256sum "$BINARY" | cut -c1-64)
    if [[ ! -s $IDX || $(cat "$IDX.binary" 2>/dev/null) != "$bsum" ]]; then
        rm -rf "$OUT/idx"
        "$BINARY" index --modules-dir "$OUT/tree/lib/modules/$KVER" --cache-dir "$OUT/idx" >"$OUT/index.log" 2>&1 ||
            { cat "$OUT/index.log" >&2; die "autoloadd index failed"; }
        mv "$OUT"/idx/*.idx "$IDX"
        echo "$bsum" >"$IDX.binary"
    fi
fi
echo "$OUT"
