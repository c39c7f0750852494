#!/usr/bin/env bash
# Prepare real, depmod'ed Linux module trees from Debian's kernel packages,
# for testing autoload against. Cached and idempotent.
#
# Usage: scripts/kernel-tree.sh [ARCH[:FLAVOUR]...]      (default: amd64)
#   ARCH     Debian architecture: amd64, arm64 (tested); i386 armhf armel
#            ppc64el s390x mips64el (mapped, untested)
#   FLAVOUR  optional metapackage prefix: ARCH:X uses linux-image-X-<default>,
#            e.g. amd64:rt, amd64:cloud, arm64:rt, amd64:6.12 (bookworm-security
#            ships linux-6.12, whose modules are .ko.xz), amd64:6.12-rt
#
# Prints one line per argument on stdout:
#   ARCH<TAB>KERNELVERSION<TAB>ROOTDIR
# where ROOTDIR/lib/modules/KERNELVERSION holds modules.{dep,alias,symbols,
# builtin,builtin.modinfo} and the .bin indexes. Diagnostics go to stderr.
#
# Cache: ${AUTOLOAD_CACHE:-$HOME/.cache/autoload}/kernels/ARCH-KERNELVERSION/
# A tree is complete once its stamp file (.autoload-stamp, written last) exists.
# The kernel ABI version is resolved from the apt archive (the linux-image-*
# metapackage's candidate), never hard-coded. The package is downloaded and
# unpacked with `dpkg -x`; it is never installed. A cold run needs root only to
# apt-get update / install kmod / dpkg --add-architecture.
set -euo pipefail

export LC_ALL=C DEBIAN_FRONTEND=noninteractive
export PATH="$PATH:/usr/sbin:/sbin"

CACHE_ROOT="${AUTOLOAD_CACHE:-$HOME/.cache/autoload}/kernels"
STAMP=.autoload-stamp
APT_OPTS=(-qq -o DPkg::Lock::Timeout=300)

log() { printf 'kernel-tree: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
    [[ $EUID -eq 0 ]] || die "$1 requires root (re-run as root, or run once as root to warm the cache)"
}

UPDATED=0
apt_update() {
    ((UPDATED)) && return 0
    need_root "apt-get update"
    log "apt-get update"
    # Unreachable third-party sources must not abort us; we re-check the
    # packages we need afterwards anyway.
    apt-get "${APT_OPTS[@]}" update >&2 || log "warning: apt-get update reported errors (continuing)"
    UPDATED=1
}

ensure_tools() {
    command -v depmod >/dev/null 2>&1 && return 0
    need_root "installing kmod"
    log "installing kmod"
    apt-get "${APT_OPTS[@]}" install -y --no-install-recommends kmod >&2 ||
        { apt_update; apt-get "${APT_OPTS[@]}" install -y --no-install-recommends kmod >&2; }
    command -v depmod >/dev/null 2>&1 || die "depmod still not found after installing kmod"
}

arch_known() {
    [[ $1 == "$(dpkg --print-architecture)" ]] || grep -qx "$1" <<<"$(dpkg --print-foreign-architectures)"
}

# Make a foreign architecture known to dpkg/apt (only if not already).
ensure_arch() {
    local arch=$1
    arch_known "$arch" && return 0
    need_root "dpkg --add-architecture $arch"
    log "dpkg --add-architecture $arch"
    dpkg --add-architecture "$arch"
    UPDATED=0
    apt_update
}

# Default linux-image flavour suffix per Debian architecture.
default_flavour() {
    case $1 in
        amd64) echo amd64 ;;
        arm64) echo arm64 ;;
        i386) echo 686-pae ;;
        armhf) echo armmp ;;
        armel) echo marvell ;;
        ppc64el) echo powerpc64le ;;
        s390x) echo s390x ;;
        mips64el) echo 5kc-malta ;;
        *) die "unsupported architecture '$1'" ;;
    esac
}

# metapackage:arch -> concrete image package name (without :arch), or empty.
resolve_image() {
    { apt-cache depends --no-recommends --no-suggests "$1" 2>/dev/null || true; } |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:.*/, "", $2); print $2; exit }'
}

# Newest complete cached tree for a metapackage (offline fallback), or empty.
cached_version() {
    local meta=$1 d
    for d in "$CACHE_ROOT"/*/"$STAMP"; do
        if [[ -f $d ]] && grep -qx "meta=$meta" "$d"; then sed -n 's/^kernel=//p' "$d"; fi
    done | sort -V | tail -n1
}

# Cheap fingerprint of the apt package lists (changes on apt-get update / new arch).
lists_sig() {
    local LISTS=/var/lib/apt/lists/
    eval "$(apt-config shell LISTS Dir::State::lists/d 2>/dev/null)" || true
    { stat -c '%n %s %Y' "$LISTS"*_Packages* 2>/dev/null || true; } | md5sum | cut -c1-32
}

# apt-get download PKG:ARCH into DIR; prints the .deb path.
download() {
    (cd "$2" && apt-get "${APT_OPTS[@]}" download "$1" >&2) || return 1
    local name=${1%%:*}
    compgen -G "$2/${name}_*.deb" | head -n1 | grep .
}

prepare() {
    local spec=$1 arch flavour meta pkg kver root
    arch=${spec%%:*}
    flavour=$(default_flavour "$arch")
    [[ $spec == *:* ]] && flavour="${spec#*:}-$flavour"
    meta="linux-image-$flavour:$arch"

    # Fast warm path: apt-cache is slow (~1-2 s, no pkgcache.bin on this
    # image), so memoise the resolution keyed on the apt lists' signature.
    local memo="$CACHE_ROOT/.resolved-${meta/:/-}" sig msig mkver
    sig=$(lists_sig)
    if [[ -f $memo ]] && read -r msig mkver <"$memo" && [[ $msig == "$sig" ]] &&
        [[ -f $CACHE_ROOT/$arch-$mkver/$STAMP ]]; then
        printf '%s\t%s\t%s\n' "$spec" "$mkver" "$CACHE_ROOT/$arch-$mkver"
        return 0
    fi

    # Resolve the ABI version from apt; add the arch / refresh lists only if
    # that fails (and we are root). Fall back to the newest cached tree.
    pkg=
    if arch_known "$arch"; then pkg=$(resolve_image "$meta"); fi
    if [[ -z $pkg && $EUID -eq 0 ]]; then
        ensure_arch "$arch"
        pkg=$(resolve_image "$meta")
        [[ -n $pkg ]] || { apt_update; pkg=$(resolve_image "$meta"); }
    fi
    if [[ -n $pkg ]]; then
        kver=${pkg#linux-image-}
        sig=$(lists_sig)
        { mkdir -p "$CACHE_ROOT" && printf '%s %s\n' "$sig" "$kver" >"$memo.$$" && mv "$memo.$$" "$memo"; } 2>/dev/null || true
    else
        kver=$(cached_version "$meta")
        [[ -n $kver ]] || die "cannot resolve $meta from the apt archive (run as root to add the arch / update apt lists)"
        log "cannot resolve $meta from apt; using cached $kver"
    fi
    root="$CACHE_ROOT/$arch-$kver"

    # Warm path: complete tree already cached.
    if [[ -f $root/$STAMP ]]; then
        printf '%s\t%s\t%s\n' "$spec" "$kver" "$root"
        return 0
    fi

    mkdir -p "$CACHE_ROOT"
    # Serialise concurrent runs for the same tree.
    exec 9>"$CACHE_ROOT/.lock-$arch-$kver"
    flock 9
    if [[ -f $root/$STAMP ]]; then
        printf '%s\t%s\t%s\n' "$spec" "$kver" "$root"
        return 0
    fi

    ensure_tools
    # Leftovers of interrupted runs (we hold the lock, so nobody else owns them).
    rm -rf "$root" "$CACHE_ROOT/.tmp-$arch-$kver".*
    local tmp dl
    tmp=$(mktemp -d "$CACHE_ROOT/.tmp-$arch-$kver.XXXXXX")   # same fs as $root: mv is a rename
    dl=$(mktemp -d "${TMPDIR:-/tmp}/kernel-tree-dl.XXXXXX")
    trap 'rm -rf "$tmp" "$dl"' EXIT
    trap 'exit 130' INT TERM HUP   # make the EXIT trap run on signals too
    mkdir -p "$tmp/root" "$tmp/hdr" "$tmp/depmod.d"
    # Let apt's sandbox user write the download dir (avoids an "unsandboxed" warning).
    if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$dl"; fi

    log "downloading $pkg:$arch"
    local deb
    deb=$(download "$pkg:$arch" "$dl") || die "apt-get download $pkg:$arch failed"
    log "extracting ${deb##*/}"
    dpkg -x "$deb" "$tmp/root"
    local mdir="$tmp/root/lib/modules/$kver"
    [[ -d $mdir ]] || die "${deb##*/} has no lib/modules/$kver"

    # Symbol check: Debian ships only a stub System.map (the real one is in the
    # huge -dbg package), but linux-headers-$kver has Module.symvers (~2 MB
    # download), which lets `depmod -e -E` verify every module symbol. It does
    # not change the generated files, only validates them. Optional.
    local dargs=(-a -b "$tmp/root" -C "$tmp/depmod.d") hdeb symvers="usr/src/linux-headers-$kver/Module.symvers"
    local smap="$tmp/root/boot/System.map-$kver" check=none
    if hdeb=$(download "linux-headers-$kver:$arch" "$dl") && dpkg -x "$hdeb" "$tmp/hdr" &&
        [[ -s $tmp/hdr/$symvers ]]; then
        install -D -m 644 "$tmp/hdr/$symvers" "$tmp/root/$symvers"   # keep it, at its real path
        dargs+=(-e -E "$tmp/root/$symvers") check=Module.symvers
    elif [[ -f $smap ]] && grep -q ' __ksymtab_' "$smap"; then
        dargs+=(-e -F "$smap") check=System.map
    else
        log "note: no Module.symvers / real System.map; running depmod without symbol check"
    fi
    # (An empty -C dir keeps the host's depmod.d configuration out of it.)
    log "depmod ${dargs[*]} $kver"
    local derr nwarn
    derr=$(depmod "${dargs[@]}" "$kver" 2>&1) || { printf '%s\n' "$derr" >&2; die "depmod failed"; }
    nwarn=$(printf '%s' "$derr" | grep -c . || true)
    if ((nwarn)); then
        log "depmod: $nwarn warning line(s), first 20:"
        printf '%s\n' "$derr" | head -n 20 | sed "s|$tmp/root||g; s/^/  /" >&2
    fi

    local f
    for f in modules.dep modules.alias modules.symbols modules.builtin modules.builtin.modinfo \
        modules.dep.bin modules.alias.bin modules.symbols.bin modules.builtin.bin; do
        [[ -s $mdir/$f ]] || die "missing or empty $f in generated tree"
    done

    # Note module compression (Debian bookworm ships plain .ko; newer may use .ko.xz).
    local comp
    comp=$(find "$mdir" -type f -name '*.ko*' |
        awk '{ n = split($0, p, "/"); e = p[n]; sub(/^.*\.ko/, "", e); c[e == "" ? "none" : substr(e, 2)]++ }
             END { for (k in c) printf "%s=%d ", k, c[k] }')
    comp=${comp% }
    log "$arch $kver: modules by compression: $comp"

    # Rename into place, then stamp (the stamp marks completeness).
    mv -T "$tmp/root" "$root"
    {
        echo "meta=$meta"
        echo "arch=$arch"
        echo "kernel=$kver"
        echo "package=$(dpkg-deb -f "$deb" Package)"
        echo "version=$(dpkg-deb -f "$deb" Version)"
        echo "sha256=$(sha256sum "$deb" | cut -d' ' -f1)"
        echo "compression=$comp"
        echo "symbol_check=$check"
        echo "depmod_warnings=$nwarn"
        echo "created=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >"$root/$STAMP.new"
    mv "$root/$STAMP.new" "$root/$STAMP"
    rm -rf "$tmp" "$dl"
    trap - EXIT
    printf '%s\t%s\t%s\n' "$spec" "$kver" "$root"
}

(($#)) || set -- amd64
for spec in "$@"; do
    # Subshell: scopes the lock fd and the cleanup trap to one tree.
    (prepare "$spec")
done
