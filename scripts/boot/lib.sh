#!/usr/bin/env bash
# Shared parts of the boot tests (sourced by scripts/boot/*-test.sh; bash).
# Callers set NAME (log prefix) and REPO before sourcing.

export LC_ALL=C DEBIAN_FRONTEND=noninteractive
export PATH="$PATH:/usr/sbin:/sbin"
CACHE="${AUTOLOAD_CACHE:-$HOME/.cache/autoload}/boot"

SCRIPT_NAME=$NAME
# shellcheck source=../lib/common.sh
. "$REPO/scripts/lib/common.sh"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

MIRROR=${AUTOLOAD_DEBIAN_MIRROR:-http://deb.debian.org/debian}


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
# probe_quiet_sh QUIET MAX: shell lines waiting until /proc/modules has not grown for QUIET
# seconds (at most MAX), for probes where autoloadd daemon keeps loading in the background.
probe_quiet_sh() {
    cat <<EOF
_nmod() { _c=0; while read -r _ _; do _c=\$((_c + 1)); done </proc/modules; echo "\$_c"; }
read -r _t0 _ </proc/uptime; _t0=\${_t0%.*}; _tl=\$_t0; _last=\$(_nmod)
while :; do
    sleep 1
    read -r _t _ </proc/uptime; _t=\${_t%.*}; _n=\$(_nmod)
    [ "\$_n" = "\$_last" ] || { _last=\$_n; _tl=\$_t; }
    [ \$((_t - _tl)) -ge $1 ] && break
    [ \$((_t - _t0)) -ge $2 ] && { echo "boottest: /proc/modules still growing after $2 s"; break; }
done
echo "boottest: waited \$((_t - _t0)) s for /proc/modules to stay at \$_last modules for $1 s"
EOF
}
# probe_end_sh: the status section, the POWEROFF marker and the power-off.
probe_end_sh() {
    cat <<'EOF'
read -r up _ </proc/uptime
echo "=== BEGIN boottest/status ==="
if [ -r /run/autoload/coldplug.status ]; then read -r st </run/autoload/coldplug.status; else st=none; fi
echo "coldplug_status=$st"
if [ -r /run/autoload/mode ]; then read -r st </run/autoload/mode; else st=none; fi
echo "mode=$st"
# The daemon's READY line, and whether the process in daemon.pid is still autoloadd.
if [ -r /run/autoload/daemon.json ]; then
    while read -r line; do case $line in *'"event":"ready"'*) echo "daemon_ready=$line"; break ;; esac; done </run/autoload/daemon.json
fi
run=0
if [ -r /run/autoload/daemon.pid ]; then
    read -r pid </run/autoload/daemon.pid
    [ -r "/proc/$pid/comm" ] && read -r comm <"/proc/$pid/comm" && [ "$comm" = autoloadd ] && run=1
fi
echo "daemon_running=$run"
echo "uptime=$up"
echo "=== END boottest/status rc=0 ==="
echo "=== POWEROFF uptime=$up ==="
# busybox's poweroff; the sysrq trigger where there is none (dracut).
poweroff -f 2>/dev/null || echo o >/proc/sysrq-trigger
EOF
}

# usb_root_image IMG LABEL: an ext4 image labelled LABEL whose /sbin/init (busybox-static)
# reports to the serial console and powers off: the real root of the usb-storage boots
# (initramfs-tools-test.sh / dracut-test.sh --usb-root). Sections: boottest/root (`root DEV
# TYPE` of /, pid1=COMM), boottest/booted (/proc/modules), boottest/procs (every process's
# comm: the initramfs's autoloadd must be gone), boottest/autoload (what the initramfs left in
# /run/autoload, which initramfs-tools and dracut move to the real root's /run).
usb_root_image() {
    local img=$1 label=$2 r=$WORK/usbroot bb
    dpkg -s busybox-static >/dev/null 2>&1 || {
        log "apt-get install busybox-static"
        apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends busybox-static >/dev/null ||
            die "apt-get install busybox-static failed"
    }
    bb=$(dpkg -L busybox-static | grep -m1 -E '/bin/busybox$') || die "busybox-static has no /bin/busybox"
    rm -rf "$r"
    mkdir -p "$r"/{bin,sbin,dev,proc,sys,run,tmp}
    install -m 755 "$bb" "$r/bin/busybox"
    {
        echo '#!/bin/busybox sh'
        echo 'b=/bin/busybox'
        echo '[ -r /proc/mounts ] || $b mount -t proc proc /proc'
        echo 'echo "=== BEGIN boottest/root ==="'
        echo "\$b awk '\$2 == \"/\" { print \"root\", \$1, \$3 }' /proc/mounts"
        echo 'echo "pid1=$($b cat /proc/1/comm)"'
        echo 'echo "=== END boottest/root rc=0 ==="'
        probe_sh booted
        echo 'echo "=== BEGIN boottest/procs ==="'
        echo 'for c in /proc/[0-9]*/comm; do read -r n <"$c" && echo "${c#/proc/} $n"; done 2>/dev/null'
        echo 'echo "=== END boottest/procs rc=0 ==="'
        echo 'echo "=== BEGIN boottest/autoload ==="'
        echo 'for f in /run/autoload/*; do [ -f "$f" ] || continue; case $f in *.json) continue ;; esac; echo "$f: $($b head -c 300 "$f" | $b tr "\n" " ")"; done'
        echo '[ ! -f /run/autoload/daemon.json ] || $b grep -E "\"event\":\"(listening|ready|stopping|error)\"|\"module\":\"(usb_storage|sd_mod|xhci_pci|uas)\"" /run/autoload/daemon.json'
        echo 'echo "=== END boottest/autoload rc=0 ==="'
        echo 'read -r up _ </proc/uptime'
        echo 'echo "=== POWEROFF uptime=$up ==="'
        echo '$b poweroff -f'
    } >"$r/sbin/init"
    chmod 755 "$r/sbin/init"
    mkfs.ext4 -q -L "$label" -d "$r" "$img" 64M || die "mkfs.ext4 -d failed"
}

# Checks on a --usb-root boot's sections in $S (DAEMON=1: the initramfs ran autoloadd daemon).
check_usb_root() {
    local daemon=$1
    check "/ is the usb-storage disk (ext4 on /dev/sd*)" grep -qE '^root /dev/sd[a-z]+ ext4$' "$S/boottest__root.txt"
    check "the root's /sbin/init is PID 1" grep -qx 'pid1=init' "$S/boottest__root.txt"
    for m in xhci_pci usb_storage sd_mod; do check "$m loaded" grep -qx "$m" "$S/boottest__booted.txt"; done
    check "no autoloadd process left in the real root" bash -c "! grep -qE '^[0-9]+/comm autoloadd\$' '$S/boottest__procs.txt'"
    if ((daemon)); then
        check "the initramfs's daemon reported ready" grep -q '"event":"ready"' "$S/boottest__autoload.txt"
        check "the daemon loaded sd_mod (the usb disk's SCSI device, after delay_use)" \
            grep -qE '"event":"load","module":"sd_mod","outcome":"loaded"' "$S/boottest__autoload.txt"
        check "the daemon was stopped by SIGTERM before the switch to the real root" \
            grep -qE '"event":"stopping","signal":15' "$S/boottest__autoload.txt"
    fi
}
