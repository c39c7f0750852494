#!/usr/bin/env bash
# Builds the Debian package from a clean copy of HEAD (git archive, so nothing untracked
# leaks in and nothing is written beside the worktree) and checks it: lintian reports no
# error or warning, and the .deb holds a stripped static /usr/sbin/autoloadd, the units, the
# udev rule, the initramfs-tools hook, the dracut module, the kernel hooks and autoloadd.8.
#
#   scripts/build-deb.sh [OUTDIR]      # default: a new /tmp/autoload-deb.XXXXXX
#
# Prints the path of the .deb on stdout. Needs root for apt-get build-dep; swift on PATH;
# the network on a first build (debian/README.source).
set -euo pipefail
SCRIPT_NAME=build-deb
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/scripts/lib/common.sh"

[[ ${1:-} == -h || ${1:-} == --help ]] && usage
(($# <= 1)) || usage_error "at most one argument (OUTDIR)"
out=${1:-$(mktemp -d /tmp/autoload-deb.XXXXXX)}
command -v swift >/dev/null || die "swift is not on PATH (debian/README.source)"
ensure_pkgs dpkg-dev debhelper lintian

src=$out/autoload
rm -rf "$src" && mkdir -p "$src"
git -C "$REPO" archive HEAD | tar -x -C "$src"
(cd "$src" && apt-get build-dep -y -qq ./ >/dev/null) || die "apt-get build-dep failed"
log "dpkg-buildpackage -b -us -uc in $src (log: $out/build.log)"
(cd "$src" && dpkg-buildpackage -b -us -uc >"$out/build.log" 2>&1) || { tail -n 30 "$out/build.log" >&2; die "dpkg-buildpackage failed"; }

version=$(cd "$src" && dpkg-parsechangelog -S Version)
deb=$out/autoload_${version}_amd64.deb
[[ -s $deb && -s $out/autoload-dbgsym_${version}_amd64.deb ]] || die "no $deb or its -dbgsym package"

tags=$(lintian "$out/autoload_${version}_amd64.changes" 2>&1 | grep -E '^[EW]: ' || true)
[[ -z $tags ]] || die "lintian: $tags"

x=$out/contents
rm -rf "$x" && dpkg-deb -x "$deb" "$x"
for f in usr/sbin/autoloadd lib/systemd/system/autoloadd.service lib/systemd/system/autoload-coldplug.service \
         usr/share/autoload/udev/80-drivers.rules usr/share/initramfs-tools/hooks/autoload \
         usr/lib/dracut/modules.d/96autoload/module-setup.sh etc/kernel/postinst.d/zz-autoload \
         etc/kernel/postrm.d/zz-autoload usr/share/man/man8/autoloadd.8.gz usr/share/man/man5/autoload.conf.5.gz; do
    [[ -e $x/$f ]] || die "$deb has no /$f"
done
! readelf -l "$x/usr/sbin/autoloadd" | grep -q INTERP || die "/usr/sbin/autoloadd is not static"
! readelf -S "$x/usr/sbin/autoloadd" | grep -q '\.debug_info' || die "/usr/sbin/autoloadd is not stripped"
log "lintian clean; static, stripped autoloadd; units, hooks, dracut module, man pages present"
echo "$deb"
