#!/bin/sh
# Install autoload's distribution integration files (and the autoloadd binary)
# into a root file system. Installing changes nothing about how modules are
# loaded yet: switching udev over, or enabling a unit, is a separate step
# (rules/README.md, "Switch over"), so a package can ship all of this inert.
#
# Usage: rules/install.sh [--destdir DIR] [--binary PATH] [--no-binary]
#   --destdir DIR   root to install into (default /; e.g. a chroot or package dir)
#   --binary PATH   autoloadd to install as DIR/usr/sbin/autoloadd
#                   (default: .build-static/release/autoloadd, from scripts/build-static.sh)
#   --no-binary     install only the integration files
#
# Installed (paths on a merged-/usr Debian 12):
#   /usr/sbin/autoloadd
#   /usr/share/autoload/udev/80-drivers.rules          (inert until linked into /etc/udev/rules.d)
#   /usr/lib/systemd/system/autoload-coldplug.service  (inert until enabled)
#   /usr/lib/systemd/system/autoloadd.service          (inert until enabled)
#   /usr/share/initramfs-tools/hooks/autoload          (active at the next update-initramfs)
#   /usr/share/initramfs-tools/scripts/init-top/autoload
#   /usr/share/initramfs-tools/scripts/init-premount/autoload
#   /usr/share/initramfs-tools/scripts/init-bottom/autoload
#   (initramfs-tools settings: /etc/initramfs-tools/conf.d/autoload, see README)
#   /usr/lib/dracut/modules.d/96autoload/              (active at the next dracut run)
#   /etc/kernel/postinst.d/zz-autoload                 (compiles the index after a kernel install;
#                                                       zz-: run-parts runs it after dkms's)
#   /etc/kernel/postrm.d/zz-autoload                   (removes a removed kernel's index)
#   /usr/share/autoload/busybox/init                   (example only)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DESTDIR=/ BINARY=$HERE/../.build-static/release/autoloadd WITH_BINARY=1

die() { echo "install.sh: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case $1 in
        --destdir) [ $# -ge 2 ] || die "--destdir needs a directory"; DESTDIR=$2; shift 2 ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; BINARY=$2; shift 2 ;;
        --no-binary) WITH_BINARY=0; shift ;;
        -h|--help) sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (try --help)" ;;
    esac
done
[ -d "$DESTDIR" ] || die "--destdir $DESTDIR is not a directory"
D=${DESTDIR%/}

if [ "$WITH_BINARY" = 1 ]; then
    [ -x "$BINARY" ] || die "no autoloadd binary at $BINARY (build it: scripts/build-static.sh; or pass --binary)"
    install -D -m 755 "$BINARY" "$D/usr/sbin/autoloadd"
fi

install -D -m 644 "$HERE/udev/80-drivers.rules" "$D/usr/share/autoload/udev/80-drivers.rules"
install -D -m 644 "$HERE/systemd/autoload-coldplug.service" "$D/usr/lib/systemd/system/autoload-coldplug.service"
install -D -m 644 "$HERE/systemd/autoloadd.service" "$D/usr/lib/systemd/system/autoloadd.service"

install -D -m 755 "$HERE/initramfs-tools/hooks/autoload" "$D/usr/share/initramfs-tools/hooks/autoload"
install -D -m 755 "$HERE/initramfs-tools/scripts/init-top/autoload" \
    "$D/usr/share/initramfs-tools/scripts/init-top/autoload"
install -D -m 755 "$HERE/initramfs-tools/scripts/init-premount/autoload" \
    "$D/usr/share/initramfs-tools/scripts/init-premount/autoload"
install -D -m 755 "$HERE/initramfs-tools/scripts/init-bottom/autoload" \
    "$D/usr/share/initramfs-tools/scripts/init-bottom/autoload"

for f in module-setup.sh autoload-coldplug.sh autoload-stop.sh; do
    install -D -m 755 "$HERE/dracut/96autoload/$f" "$D/usr/lib/dracut/modules.d/96autoload/$f"
done

install -D -m 755 "$HERE/kernel/postinst.d/autoload" "$D/etc/kernel/postinst.d/zz-autoload"
install -D -m 755 "$HERE/kernel/postrm.d/autoload" "$D/etc/kernel/postrm.d/zz-autoload"
install -D -m 755 "$HERE/busybox/init" "$D/usr/share/autoload/busybox/init"
echo "install.sh: installed into $DESTDIR (nothing switched over yet; see rules/README.md)"
