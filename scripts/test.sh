#!/usr/bin/env bash
# The test command: prepares the real Debian kernel module trees the differential tests use
# (amd64 and arm64, the archive's 6.1 and 6.12 kernels), builds, and runs every test.
# Then the real-kernel test: `autoloadd coldplug` in Debian's kernel under qemu (TCG) must load
# exactly what systemd-udevd loads (scripts/vm/test-coldplug.sh; two boots, a few minutes).
# AUTOLOAD_SKIP_VM=1 skips it (for quick local runs; CI never sets it).
# Needs the packages .ci/run installs (libkmod-dev, kmod, gcc, qemu-system-x86, busybox-static,
# cpio, python3, udev).
set -euo pipefail
cd "$(dirname "$0")/.."

trees=()
while IFS=$'\t' read -r _arch _version root; do
    trees+=("$root/lib/modules/$_version")
done < <(scripts/kernel-tree.sh amd64 arm64 amd64:6.12 arm64:6.12)

AUTOLOAD_KERNEL_TREES=$(IFS=:; echo "${trees[*]}")
export AUTOLOAD_KERNEL_TREES AUTOLOAD_REQUIRE_KERNEL_TREES=1
echo "module trees: ${AUTOLOAD_KERNEL_TREES//:/ }"

swift build --build-tests
swift test --skip-build

if [[ ${AUTOLOAD_SKIP_VM:-0} == 1 ]]; then
    echo "AUTOLOAD_SKIP_VM=1: real-kernel coldplug test skipped"
else
    scripts/vm/test-coldplug.sh
fi
