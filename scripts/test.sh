#!/usr/bin/env bash
# The test command: prepares the real Debian kernel module trees the differential tests use
# (amd64 and arm64, the archive's 6.1 and 6.12 kernels), builds, and runs every test.
# Then the real-kernel test: `autoloadd coldplug` in Debian's kernel under qemu (TCG) must load
# exactly what systemd-udevd loads (scripts/vm/test-coldplug.sh; two boots, a few minutes),
# in the 6.1 kernel (plain .ko) and the 6.12 kernel (.ko.xz).
# Also a 10 s fuzz smoke run per libFuzzer target (scripts/fuzz.sh).
# AUTOLOAD_SKIP_VM=1 / AUTOLOAD_SKIP_FUZZ=1 skip those (for quick local runs; CI never sets them).
# Needs the packages .ci/run installs (libkmod-dev, kmod, gcc, qemu-system-x86, busybox-static,
# cpio, python3, udev, scdoc).
set -euo pipefail
cd "$(dirname "$0")/.."

trees=()
while IFS=$'\t' read -r _arch _version root; do
    trees+=("$root/lib/modules/$_version")
done < <(scripts/kernel-tree.sh amd64 arm64 amd64:6.12 arm64:6.12)

AUTOLOAD_KERNEL_TREES=$(IFS=:; echo "${trees[*]}")
export AUTOLOAD_KERNEL_TREES
echo "module trees: ${AUTOLOAD_KERNEL_TREES//:/ }"

# The real-kernel uevent suites must run, not skip themselves: CI is root with netlink.
export AUTOLOAD_REQUIRE_UEVENTS=${AUTOLOAD_REQUIRE_UEVENTS:-1}
# The static build is the one to install: NoProcTests run it too, and the VM test boots it.
AUTOLOAD_STATIC_BINARY=$(scripts/build-static.sh)
export AUTOLOAD_STATIC_BINARY
swift build --build-tests
swift test --skip-build
# The man pages must build (scdoc syntax); ManPageTests checked them against --help.
scripts/man.sh "$(mktemp -d /tmp/autoload-man.XXXXXX)"

# Fuzz smoke run: every libFuzzer target for 10 s and 100,000 AliasMatcher = fnmatch(3)
# pairs (ASan; a crash or a disagreement fails). Long runs: Fuzz/README.md.
if [[ ${AUTOLOAD_SKIP_FUZZ:-0} == 1 ]]; then
    echo "AUTOLOAD_SKIP_FUZZ=1: fuzz smoke run skipped"
else
    FUZZ_LOG_DIR=${FUZZ_LOG_DIR:-$(mktemp -d /tmp/autoload-fuzz.XXXXXX)} scripts/fuzz.sh 10
fi

if [[ ${AUTOLOAD_SKIP_VM:-0} == 1 ]]; then
    echo "AUTOLOAD_SKIP_VM=1: real-kernel coldplug test skipped"
else
    scripts/vm/test-coldplug.sh --binary "$AUTOLOAD_STATIC_BINARY"
    # Debian's 6.12 kernel ships its modules as .ko.xz: the static build's libkmod must
    # decompress them (xz and zstd are compiled in).
    scripts/vm/test-coldplug.sh --binary "$AUTOLOAD_STATIC_BINARY" --kernel amd64:6.12
fi
