#!/bin/sh
# Build a fixture module tree whose indexes are written by the real depmod.
#
#   build-tree.sh SRCDIR OUTROOT VERSION
#
# SRCDIR layout:
#   modules/**/*.c          one fake module per file (see include/fixture_module.h)
#   modules.order           copied verbatim (decides alias priority)
#   modules.builtin         copied verbatim (optional)
#   builtin.modinfo.txt     "modname.key=value" per line; '#' comments and blank
#                           lines ignored; becomes NUL-separated modules.builtin.modinfo
#   modprobe.d/*.conf       not used here; tests pass it to libkmod/modprobe -C
#
# Output: OUTROOT/lib/modules/VERSION/{kernel/**.ko, modules.*}.
# Re-running replaces OUTROOT/lib/modules/VERSION entirely (idempotent).
# Any compiler or depmod diagnostic is fatal, so fixture mistakes (unknown
# symbols, bad alias brackets) cannot slip through silently.
set -eu

die() { echo "build-tree.sh: $*" >&2; exit 1; }

[ $# -eq 3 ] || die "usage: build-tree.sh SRCDIR OUTROOT VERSION"
SRCDIR=$1
OUTROOT=$2
VERSION=$3

[ -d "$SRCDIR/modules" ] || die "$SRCDIR/modules: no such directory"
[ -f "$SRCDIR/modules.order" ] || die "$SRCDIR/modules.order: missing"
case $VERSION in ''|*/*|.|..) die "bad VERSION '$VERSION'" ;; esac
# depmod only accepts versions that start like "6.1" (sscanf "%u.%u").
expr "$VERSION" : '[0-9][0-9]*\.[0-9]' >/dev/null || die "VERSION must start with N.N (depmod rule): '$VERSION'"
case $OUTROOT in ''|/) die "refusing OUTROOT '$OUTROOT'" ;; esac
command -v depmod >/dev/null || die "depmod not found (install kmod)"
CC=${CC:-gcc}
command -v "$CC" >/dev/null || die "$CC not found"

HERE=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$SRCDIR" && pwd)
mkdir -p "$OUTROOT"
OUTROOT=$(cd "$OUTROOT" && pwd)
MODDIR=$OUTROOT/lib/modules/$VERSION

rm -rf "$MODDIR"
mkdir -p "$MODDIR/kernel"

# Freestanding, non-PIC object with no stack protector or unwind tables: the
# only undefined symbols left are the ones the module really imports, which
# is exactly what depmod turns into modules.dep edges.
# -fno-toplevel-reorder keeps .modinfo records in source order.
CFLAGS="-c -O2 -std=gnu11 -Wall -Werror -ffreestanding -fno-pic -fno-stack-protector \
 -fno-asynchronous-unwind-tables -fno-toplevel-reorder -fno-common"

count=0
find "$SRCDIR/modules" -type f -name '*.c' | LC_ALL=C sort >"$MODDIR/.sources"
while IFS= read -r src; do
    rel=${src#"$SRCDIR/modules/"}
    out=$MODDIR/kernel/${rel%.c}.ko
    base=$(basename "$rel" .c)
    # Same rule as the kernel and libkmod: '-' in file names becomes '_'.
    modname=$(printf '%s' "$base" | tr '-' '_')
    mkdir -p "$(dirname "$out")"
    # shellcheck disable=SC2086
    "$CC" $CFLAGS -I"$HERE/include" -I"$SRCDIR/include" \
        -DKBUILD_MODNAME="\"$modname\"" \
        -DFIXTURE_VERMAGIC="\"$VERSION SMP mod_unload\"" \
        -o "$out" "$src" || die "compiling $rel failed"
    count=$((count + 1))
done <"$MODDIR/.sources"
rm -f "$MODDIR/.sources"
[ "$count" -gt 0 ] || die "no modules under $SRCDIR/modules"

cp "$SRCDIR/modules.order" "$MODDIR/modules.order"
if [ -f "$SRCDIR/modules.builtin" ]; then
    cp "$SRCDIR/modules.builtin" "$MODDIR/modules.builtin"
else
    # depmod still writes modules.builtin.bin without it, but libkmod's
    # kmod_load_resources() refuses to start if that index is unusable.
    : >"$MODDIR/modules.builtin"
fi

if [ -f "$SRCDIR/builtin.modinfo.txt" ]; then
    # Each kept line becomes one NUL-terminated record, as the kernel build
    # writes them (modname.key=value\0).
    grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$SRCDIR/builtin.modinfo.txt" |
        while IFS= read -r record; do
            case $record in
                *.*=*) printf '%s\0' "$record" ;;
                *) die "builtin.modinfo.txt: bad record '$record'" ;;
            esac
        done >"$MODDIR/modules.builtin.modinfo"
else
    : >"$MODDIR/modules.builtin.modinfo"  # keeps depmod quiet
fi

# -C /dev/null: ignore the host's depmod.d (search/override lines would change
# the result); -e with an empty -E symvers: report every import no fixture
# module exports ("needs unknown symbol"), which we treat as fatal below.
log=$OUTROOT/.depmod-$VERSION.log
if ! depmod -e -E /dev/null -C /dev/null -b "$OUTROOT" "$VERSION" >"$log" 2>&1; then
    cat "$log" >&2
    die "depmod failed"
fi
if [ -s "$log" ]; then
    cat "$log" >&2
    die "depmod printed diagnostics (treated as errors)"
fi
rm -f "$log"

for index in modules.dep.bin modules.alias.bin modules.symbols.bin \
    modules.builtin.bin modules.builtin.alias.bin; do
    [ -s "$MODDIR/$index" ] || die "depmod did not write $index"
done
