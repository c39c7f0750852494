#!/usr/bin/env bash
# Builds the man pages from their scdoc sources (man/*.scd) into OUTDIR (default .build-man):
# man/autoloadd.8.scd -> OUTDIR/autoloadd.8. debian/rules runs it at package build time.
#
#   scripts/man.sh [OUTDIR]
#
# Needs: scdoc (installed with apt-get when missing).
set -euo pipefail
SCRIPT_NAME=man
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/scripts/lib/common.sh"

[[ ${1:-} == -h || ${1:-} == --help ]] && usage
(($# <= 1)) || usage_error "at most one argument (OUTDIR)"
out=${1:-$REPO/.build-man}
ensure_commands scdoc:scdoc
mkdir -p "$out"
for src in "$REPO"/man/*.scd; do
    page=$out/$(basename "$src" .scd)
    scdoc <"$src" >"$page.tmp" || die "scdoc failed on $src"
    mv "$page.tmp" "$page"
    log "$page"
done
