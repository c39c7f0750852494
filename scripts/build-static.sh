#!/usr/bin/env bash
# Builds autoloadd as one static executable: no ELF interpreter, no shared library. This is
# the binary to install (udev helper, initramfs, daemon): it starts in about 1 ms where the
# dynamic build spends about 6 ms in ld.so (libswiftCore, libstdc++, and libkmod's libcrypto).
#
#   scripts/build-static.sh [SCRATCH]      # default SCRATCH: .build-static
#
# prints the path of the binary ($SCRATCH/release/autoloadd) on stdout.
#
# Debian ships no libkmod.a, so this compiles one from Debian's own source package of the
# installed libkmod-dev version: fetched with apt-get source from a private apt state (the
# signed Release file vouches for the .dsc, the .dsc for the tarball) and unpacked with
# dpkg-source, Debian's patches applied. Same code as the system's libkmod2, built with xz and
# zstd and without OpenSSL (only modinfo's signature fields use it). The source and the
# archive are cached in ~/.cache/autoload/libkmod-static/VERSION.
#
# Needs: gcc, dpkg-dev, libzstd-dev, liblzma-dev, libkmod-dev (for the version), network.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scratch=${1:-$repo/.build-static}
log() { printf '== %s\n' "$*" >&2; }
die() { printf 'build-static: %s\n' "$*" >&2; exit 1; }

version=$(dpkg-query -W -f '${Version}' libkmod-dev 2>/dev/null) || die "libkmod-dev is not installed"
upstream=${version%-*}
upstream=${upstream#*:}
cache=${AUTOLOAD_LIBKMOD_CACHE:-$HOME/.cache/autoload/libkmod-static}/$version
lib=$cache/lib/libkmod.a

if [[ ! -s $lib ]]; then
    rm -rf "$cache"
    mkdir -p "$cache/apt/lists/partial" "$cache/src" "$cache/obj" "$cache/lib"
    . /etc/os-release
    suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
    mirror=${AUTOLOAD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
    printf 'deb-src %s %s main\ndeb-src %s %s-updates main\n' "$mirror" "$suite" "$mirror" "$suite" > "$cache/apt/sources.list"
    apt_opts=(-q -o "Dir::Etc::SourceList=$cache/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o "Dir::State::Lists=$cache/apt/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
              -o APT::Sandbox::User=root)
    log "libkmod $version: Debian source package from $mirror $suite"
    apt-get "${apt_opts[@]}" update >&2
    (cd "$cache/src" && apt-get "${apt_opts[@]}" source --download-only "kmod=$version" >&2)
    dsc=$(ls "$cache"/src/kmod_*.dsc)
    dpkg-source -x "$dsc" "$cache/src/kmod" >&2
    src=$cache/src/kmod
    tr -d '\n\t ' < "$src/configure.ac" | grep -q "AC_INIT(\[kmod\],\[30\]" \
        || die "kmod $version is not kmod 30 (configure.ac): config.h below is written for kmod 30"

    # What configure finds on Debian 12 (glibc 2.36, gcc 12), plus Debian's --with-xz
    # --with-zstd --enable-debug, minus --with-openssl. glibc has no finit_module wrapper:
    # libkmod's own syscall() fallback is used, as in Debian's build.
    cat > "$cache/obj/config.h" <<EOF
#define _GNU_SOURCE 1
#define PACKAGE "kmod"
#define VERSION "${upstream%%+*}"
#define SYSCONFDIR "/etc"
#define KMOD_FEATURES "+ZSTD +XZ -ZLIB -LIBCRYPTO -EXPERIMENTAL"
#define ENABLE_LOGGING 1
#define ENABLE_DEBUG 1
#define ENABLE_XZ 1
#define ENABLE_ZSTD 1
#define HAVE_SECURE_GETENV 1
#define HAVE_STRUCT_STAT_ST_MTIM 1
#define HAVE_DECL_STRNDUPA 1
#define HAVE_DECL_BE32TOH 1
#define HAVE_LINUX_MODULE_H 1
#define HAVE_STATIC_ASSERT 1
#define HAVE_NORETURN 1
#define HAVE___BUILTIN_UADDL_OVERFLOW 1
#define HAVE___BUILTIN_UADDLL_OVERFLOW 1
EOF
    log "compiling libkmod.a"
    for f in "$src"/libkmod/libkmod*.c "$src"/shared/{array,hash,scratchbuf,strbuf,util}.c; do
        gcc -O2 -g -Wall -Werror=implicit-function-declaration -include "$cache/obj/config.h" \
            -I"$cache/obj" -I"$src" -I"$src/libkmod" -c "$f" -o "$cache/obj/$(basename "$f" .c).o"
    done
    ar rcs "$lib.tmp" "$cache"/obj/*.o
    mv "$lib.tmp" "$lib"
fi

for a in libzstd.a liblzma.a; do
    gcc -print-file-name="$a" | grep -q / || die "$a not found (apt-get install libzstd-dev liblzma-dev)"
done

log "swift build -c release -static-executable (scratch $scratch)"
swift build -c release --package-path "$repo" --scratch-path "$scratch" --product autoloadd \
    -Xswiftc -static-executable -Xlinker -L"$(dirname "$lib")" -Xlinker -lzstd -Xlinker -llzma >&2
bin=$scratch/release/autoloadd
! readelf -l "$bin" | grep -q INTERP || die "$bin is not statically linked (it has an ELF interpreter)"
echo "$bin"
