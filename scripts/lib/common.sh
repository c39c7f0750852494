# Shared by the bash scripts under scripts/: messages, usage, exit statuses, package installs.
# Source it after setting SCRIPT_NAME (the prefix of every message):
#   SCRIPT_NAME=compare-coldplug; . "$REPO/scripts/lib/common.sh"
# Exit statuses, the same in every script: 0 success; 1 a failure (die: a step failed, a
# check did not hold); 2 usage (an unknown option or a bad value: usage_error).

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }
# usage [STATUS]: the comment block at the top of the script (line 2 up to `set -euo`).
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit "${1:-0}"; }
usage_error() { log "$*"; usage 2 >&2; }
need_root() { [[ $EUID -eq 0 ]] || die "$1 requires root"; }

# ensure_pkgs PACKAGE...: apt-get install the packages dpkg does not list as installed
# (one `apt-get update` first if the install fails: a fresh machine has no lists).
ensure_pkgs() {
    local missing=() p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    ((${#missing[@]})) || return 0
    need_root "installing ${missing[*]}"
    log "apt-get install ${missing[*]}"
    apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        apt-get -qq -o DPkg::Lock::Timeout=300 update >/dev/null 2>&1 || true
        apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >/dev/null ||
            die "apt-get install ${missing[*]} failed"
    }
}

# ensure_commands COMMAND:PACKAGE...: ensure_pkgs for each COMMAND not on the PATH.
ensure_commands() {
    local need=() spec
    for spec in "$@"; do command -v "${spec%%:*}" >/dev/null || need+=("${spec#*:}"); done
    ((${#need[@]})) || return 0
    ensure_pkgs "${need[@]}"
}

# guest_index BINARY MODULES_DIR KVER OUT: compiles MODULES_DIR's index on the host, as an
# installed system has it (log in OUT/index.log), and sets GUEST_INDEX to the
# build-initramfs.sh/run.sh arguments that put it where the guest's autoloadd looks.
guest_index() {
    local binary=$1 moddir=$2 kver=$3 out=$4
    rm -rf "$out/idx"
    mkdir -p "$out"
    "$binary" index --modules-dir "$moddir" --cache-dir "$out/idx" >"$out/index.log" 2>&1 ||
        die "autoloadd index failed (log: $out/index.log)"
    mv "$out"/idx/*.idx "$out/lib_modules_$kver.idx"
    rmdir "$out/idx"
    GUEST_INDEX=(--add "$out/lib_modules_$kver.idx:/var/cache/autoload/lib_modules_$kver.idx")
}
