#!/usr/bin/env bash
# Shared parts of the boot tests (sourced by scripts/boot/*-test.sh; bash).
# Callers set NAME (log prefix), REPO and CACHE before sourcing.

log() { printf '%s: %s\n' "$NAME" "$*" >&2; }
die() { log "error: $*"; exit 2; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

MIRROR=${AUTOLOAD_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Install missing host packages: ensure_host_pkgs COMMAND:PACKAGE...
ensure_host_pkgs() {
    local need=() spec
    for spec in "$@"; do command -v "${spec%%:*}" >/dev/null || need+=("${spec#*:}"); done
    ((${#need[@]})) || return 0
    log "apt-get install ${need[*]}"
    apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
        apt-get -qq -o DPkg::Lock::Timeout=300 update >/dev/null 2>&1 || true
        apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${need[@]}" >/dev/null ||
            die "apt-get install ${need[*]} failed"
    }
}

# Sets KVER, KROOT, MODDIR from scripts/kernel-tree.sh (Debian's real kernel).
kernel_tree() {
    IFS=$'\t' read -r _ KVER KROOT < <("$REPO/scripts/kernel-tree.sh" amd64) || die "scripts/kernel-tree.sh amd64 failed"
    MODDIR=$KROOT/lib/modules/$KVER
    [[ -f $MODDIR/modules.dep && -f $KROOT/boot/vmlinuz-$KVER && -f $KROOT/boot/config-$KVER ]] ||
        die "incomplete kernel tree at $KROOT"
}

# Sets BINARY: --binary as given, else a release build of this checkout.
ensure_binary() {
    if [[ -z ${BINARY:-} ]]; then
        command -v swift >/dev/null || die "no --binary given and no swift on PATH to build one"
        # The build links libkmod (found through pkg-config), as the main README says.
        local missing=() p
        for p in libkmod-dev pkg-config dpkg-dev libzstd-dev liblzma-dev; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
        if ((${#missing[@]})); then
            log "apt-get install ${missing[*]}"
            apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >/dev/null ||
                die "apt-get install ${missing[*]} failed"
        fi
        log "building the static autoloadd (scripts/build-static.sh)"
        BINARY=$("$REPO/scripts/build-static.sh") || die "scripts/build-static.sh failed"
    fi
    [[ -x $BINARY ]] || die "no executable autoloadd at $BINARY"
}

# ensure_chroot NAME PACKAGES(comma separated) VERSION: a cached Debian 12
# minbase chroot with PACKAGES at $CACHE/NAME (built once with debootstrap;
# rebuilt when the package list or VERSION changes). Sets CHROOT.
ensure_chroot() {
    local name=$1 pkgs=$2 version=$3 stamp t
    CHROOT=$CACHE/$name
    stamp="v=$version pkgs=$pkgs mirror=$MIRROR"
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock-$name"
    flock 9   # one build, and one test per chroot, at a time
    if [[ -f $CHROOT/.autoload-stamp ]] && [[ $(cat "$CHROOT/.autoload-stamp") == "$stamp" ]]; then return 0; fi
    t=$(now)
    log "debootstrap --variant=minbase bookworm (+ $pkgs) into $CHROOT"
    rm -rf "$CHROOT" "$CHROOT.tmp"
    debootstrap --variant=minbase --include="$pkgs" bookworm "$CHROOT.tmp" "$MIRROR" >"$CACHE/debootstrap-$name.log" 2>&1 ||
        { tail -n 20 "$CACHE/debootstrap-$name.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap-$name.log)"; }
    echo "$stamp" >"$CHROOT.tmp/.autoload-stamp"
    mv "$CHROOT.tmp" "$CHROOT"
    log "chroot ready in $(secs "$t" "$(now)") s"
}

# work_root DIR: a copy of $CHROOT at DIR (hard links: everything the tests
# change is written as a new file, so the cache stays pristine) with the kernel
# visible as if its package were installed: module tree (hard links, depmod's
# indexes included) and config (mkinitramfs/dracut read it).
work_root() {
    local w=$1
    cp -al "$CHROOT" "$w"
    mkdir -p "$w/lib/modules"
    cp -al "$MODDIR" "$w/lib/modules/$KVER"
    cp "$KROOT/boot/config-$KVER" "$w/boot/"
}

# install_autoload ROOT: rules/install.sh into ROOT, plus (for a dynamic build) the Swift
# runtime the binary links (RUNPATH /opt/swift/...) copied from the host to the same paths,
# standing in for the runtime package a distribution build would depend on.
# Everything else comes from the chroot's own packages (libkmod2, libc).
# Leaves ROOT's ldd output in $WORK/ldd.txt.
install_autoload() {
    local root=$1 lib
    "$REPO/rules/install.sh" --destdir "$root" --binary "$BINARY" >&2
    # The static build (scripts/build-static.sh) has no ELF interpreter: nothing to link.
    if ! readelf -l "$BINARY" | grep -q INTERP; then : >"$WORK/ldd.txt"; return 0; fi
    while read -r lib; do
        [[ -e $root$lib ]] && continue
        install -D -m 644 "$(readlink -f "$lib")" "$root$lib"
    done < <(ldd "$BINARY" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
    chroot "$root" ldd /usr/sbin/autoloadd >"$WORK/ldd.txt" || die "autoloadd does not link inside the chroot"
    ! grep -q 'not found' "$WORK/ldd.txt" || die "libraries missing in the chroot: $(grep 'not found' "$WORK/ldd.txt")"
}

FAIL=0   # set by check(); the caller reports it
check() {  # DESCRIPTION COMMAND...: records a failed assertion, keeps going
    local what=$1; shift
    # shellcheck disable=SC2034  # FAIL is read by the sourcing script
    if "$@"; then log "ok: $what"; else log "FAIL: $what"; FAIL=1; fi
}

# check_libs FILELIST ROOT: every library in $WORK/ldd.txt is in the image
# listing FILELIST (one absolute path a line), at its path or its real path.
check_libs() {
    local files=$1 root=$2 lib real
    while read -r lib; do
        real=$(readlink -f "$root$lib"); real=${real#"$root"}
        check "library $lib in the initramfs" \
            bash -c "grep -qx -e '$lib' -e '$real' -e '/usr$lib' -e '/usr$real' '$files'"
    done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' "$WORK/ldd.txt")
}

# Probe output: module names from /proc/modules between run.sh's markers.
# Shell builtins only: a dracut image has no cut/sort unless busybox is in.
# probe_sh NAME: shell lines printing section boottest/NAME.
probe_sh() {
    cat <<EOF
echo "=== BEGIN boottest/$1 ==="
while read -r name _; do echo "\$name"; done </proc/modules
echo "=== END boottest/$1 rc=0 ==="
EOF
}
# probe_end_sh: the status section, the POWEROFF marker and the power-off.
probe_end_sh() {
    cat <<'EOF'
read -r up _ </proc/uptime
echo "=== BEGIN boottest/status ==="
if [ -r /run/autoload/coldplug.status ]; then read -r st </run/autoload/coldplug.status; else st=none; fi
echo "coldplug_status=$st"
echo "uptime=$up"
echo "=== END boottest/status rc=0 ==="
echo "=== POWEROFF uptime=$up ==="
# busybox's poweroff; the sysrq trigger where there is none (dracut).
poweroff -f 2>/dev/null || echo o >/proc/sysrq-trigger
EOF
}
