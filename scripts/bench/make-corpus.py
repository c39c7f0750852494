#!/usr/bin/env python3
"""Benchmark corpora of MODALIAS strings, made from a module tree's own modules.alias.

Every string instantiates one pattern of the tree: each `*` is filled with text shaped like
the field it stands for (8 hex digits after pci's `v`, a comma list after input's `k`, a
compatible string after of's `C`, ...), `?` with one character, `[...]` with one member,
so that the strings look like the uevents a kernel sends. The expected answers never come
from here: the benchmarks ask libkmod and autoload the same strings and compare.

  make-corpus.py --tree DIR --family pci --count 4000           one family, stdout
  make-corpus.py --tree DIR --families pci,usb,names --out OUT   OUT/FAMILY.txt each
  make-corpus.py --tree DIR --mixed 100000                       every family, stdout

Families are the pattern prefix before the first ':' (`acpi*:` counts as acpi, `dmi*:` as
dmi), plus `names`: the module names of modules.dep (a third spelled with '-' for '_').
The mixed corpus draws patterns uniformly from the whole modules.alias, with 5% module
names and 5% near misses (one byte changed) so that some inputs match nothing.
Output is deterministic for a given tree and --seed.
"""
import argparse
import os
import random
import re
import sys

HEX = "0123456789ABCDEF"


def hexs(rng, n):
    return "".join(rng.choice(HEX) for _ in range(n))


def word(rng, lo=2, hi=10, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def hexlist(rng, width, lo, hi, maximum):
    """`1,4,1A,` — a sorted comma list, as input: and cpu: modaliases write bitmaps."""
    k = rng.randint(lo, hi)
    vals = sorted(rng.sample(range(maximum), min(k, maximum)))
    return "".join(("%0*X," % (width, v)) for v in vals)


# Field widths of the fixed-format modaliases (drivers/base, scripts/mod/file2alias.c).
PCI = {"v": 8, "d": 8, "sv": 8, "sd": 8, "bc": 2, "sc": 2, "i": 2}
USB = {"v": 4, "p": 4, "d": 4, "dc": 2, "dsc": 2, "dp": 2, "ic": 2, "isc": 2, "ip": 2, "in": 2}
HID = {"b": 4, "g": 4, "v": 8, "p": 8}
INPUT_HEX = {"b": 4, "v": 4, "p": 4, "e": 4}
INPUT_LIST = {"e": (0, 6, 0x20), "k": (0, 40, 0x300), "r": (0, 4, 0x10), "a": (0, 8, 0x40),
              "m": (0, 2, 0x8), "l": (0, 3, 0x10), "s": (0, 2, 0x8), "f": (0, 4, 0x80), "w": (0, 1, 0x8)}
DMI_KEYS = ["bvn", "bvr", "bd", "br", "efr", "svn", "pn", "pvr", "rvn", "rn", "rvr", "cvn", "ct", "cvr", "sku"]
VENDORS = ["LENOVO", "Dell Inc.", "HP", "ASUSTeK COMPUTER INC.", "Acer", "Micro-Star International Co., Ltd.",
           "Gigabyte Technology Co., Ltd.", "Apple Inc.", "Google", "Intel Corporation", "Framework"]
OF_NAMES = ["serial", "i2c", "spi", "gpio", "ethernet", "usb", "mmc", "pinctrl", "clock-controller",
            "interrupt-controller", "pmic", "regulator", "codec", "display", "camera", "watchdog"]


class Filler:
    """Fills one pattern. `field` is the key a `*` belongs to: the letters (fixed-format
    families) or the `key:` (colon families) seen last, `done` what of its value is out."""

    def __init__(self, family, rng):
        self.family, self.rng = family, rng

    def star(self, out, rest):
        rng, fam = self.rng, self.family
        head = "".join(out)
        m = re.search(r"([a-z]+)([0-9A-F]*)$", head)
        key, done = (m.group(1), len(m.group(2))) if m else ("", 0)
        if fam == "pci" and key in PCI:
            return hexs(rng, max(0, PCI[key] - done))
        if fam == "usb" and key in USB:
            return hexs(rng, max(0, USB[key] - done))
        if fam == "hid" and key in HID:
            return hexs(rng, max(0, HID[key] - done))
        if fam == "input":
            m2 = re.search(r"([a-z])([0-9A-F,]*)$", head)
            k2 = m2.group(1) if m2 else ""
            if head.endswith("-e") or (k2 in INPUT_LIST and "-" in head and k2 != "b"):
                lo, hi, mx = INPUT_LIST.get(k2, (0, 4, 0x10))
                return hexlist(rng, 1, lo, hi, mx)
            if k2 in INPUT_HEX:
                return hexs(rng, max(0, 4 - len(m2.group(2))))
            return hexlist(rng, 1, 0, 3, 0x10)
        if fam == "cpu":
            if head.endswith("type:"):
                return "x86,ven%04Xfam%04Xmod%04X" % (rng.choice([0, 2]), rng.choice([6, 0x17, 0x19]), rng.randrange(0x100))
            if ":feature:" in head:
                return hexlist(rng, 4, 5, 40, 0x200)
            return hexs(rng, 4)
        if fam == "of":
            if head.endswith("N"):
                return rng.choice(OF_NAMES)
            if head.endswith("T"):
                return rng.choice(["<NULL>", "<NULL>", "(null)", word(rng)])
            if head.endswith("C") and rest == "":
                return word(rng, 3, 6) + "," + word(rng, 4, 12)
            return word(rng, 0, 8)
        if fam == "acpi":
            if head.endswith("acpi"):
                return ""
            if head.endswith(":") and rest == "":
                return rng.choice(["", "PNP%04X:" % rng.randrange(0x10000)])
            return hexs(rng, 4)
        if fam == "dmi":
            if head.endswith("dmi"):
                return ""
            if head.endswith(":"):
                # Whole fields the pattern does not care about.
                keys = rng.sample(DMI_KEYS, rng.randint(0, 4))
                return "".join("%s%s:" % (k, rng.choice(VENDORS) if k.endswith("vn") else word(rng, 1, 12)) for k in keys)
            return word(rng, 0, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .-")
        # Other families (i2c, spi, platform, ...): a short identifier-ish fill.
        return rng.choice(["", word(rng, 1, 8), hexs(rng, 4)])

    def instance(self, pattern):
        out, i, n = [], 0, len(pattern)
        while i < n:
            c = pattern[i]
            if c == "*":
                out.append(self.star(out, pattern[i + 1:]))
                i += 1
            elif c == "?":
                out.append(self.rng.choice(HEX))
                i += 1
            elif c == "[":
                close = pattern.find("]", i + 2)
                if close < 0:
                    out.append(c)
                    i += 1
                    continue
                body = pattern[i + 1:close]
                negate = body[:1] in ("!", "^")
                if negate:
                    body = body[1:]
                members = set()
                j = 0
                while j < len(body):
                    if j + 2 < len(body) and body[j + 1] == "-":
                        members.update(chr(x) for x in range(ord(body[j]), ord(body[j + 2]) + 1))
                        j += 3
                    else:
                        members.add(body[j])
                        j += 1
                if negate:
                    choices = [ch for ch in HEX + "xyz" if ch not in members] or ["x"]
                else:
                    choices = sorted(members) or ["0"]
                out.append(self.rng.choice(choices))
                i = close + 1
            elif c == "\\" and i + 1 < n:
                out.append(pattern[i + 1])
                i += 2
            else:
                out.append(c)
                i += 1
        return "".join(out)


def family_of(pattern):
    m = re.match(r"[A-Za-z0-9_]+", pattern)
    return m.group(0) if m else ""


def read_aliases(tree):
    by_family = {}
    with open(os.path.join(tree, "modules.alias"), encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("alias "):
                continue
            body = line[len("alias "):]
            sp = body.rfind(" ")
            if sp <= 0:
                continue
            pattern = body[:sp]
            by_family.setdefault(family_of(pattern), []).append(pattern)
    return by_family


def read_names(tree):
    names = []
    with open(os.path.join(tree, "modules.dep"), encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            path = line.split(":", 1)[0]
            base = os.path.basename(path)
            name = base.split(".ko", 1)[0].replace("-", "_")
            names.append(name)
    return names


def near_miss(rng, s):
    if not s:
        return "x"
    i = rng.randrange(len(s))
    return s[:i] + rng.choice(HEX + "xyz_") + s[i + 1:]


def clean(s):
    # One string per line: nothing that a line reader or C string would cut.
    return s.replace("\n", " ").replace("\0", " ")


def family_corpus(tree, family, count, seed):
    rng = random.Random("%s/%s/%d" % (os.path.realpath(tree), family, seed))
    if family == "names":
        names = read_names(tree)
        out = []
        while len(out) < count:
            for n in rng.sample(names, min(len(names), count - len(out))):
                out.append(n.replace("_", "-") if rng.randrange(3) == 0 else n)
        return out
    patterns = read_aliases(tree).get(family, [])
    if not patterns:
        raise SystemExit("make-corpus: %s has no %s: patterns" % (tree, family))
    filler = Filler(family, rng)
    out = []
    # Every pattern once per round (in shuffled order) until there are `count` strings.
    while len(out) < count:
        order = patterns[:]
        rng.shuffle(order)
        for p in order[: count - len(out)]:
            out.append(clean(filler.instance(p)))
    return out


def mixed_corpus(tree, count, seed):
    rng = random.Random("%s/mixed/%d" % (os.path.realpath(tree), seed))
    by_family = read_aliases(tree)
    entries = [(fam, p) for fam, ps in by_family.items() for p in ps]
    fillers = {fam: Filler(fam, rng) for fam in by_family}
    names = read_names(tree)
    out = []
    while len(out) < count:
        r = rng.random()
        if r < 0.05:
            n = rng.choice(names)
            out.append(n.replace("_", "-") if rng.randrange(3) == 0 else n)
        else:
            fam, p = rng.choice(entries)
            s = clean(fillers[fam].instance(p))
            out.append(clean(near_miss(rng, s)) if r < 0.10 else s)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", required=True, help="the modules directory (ROOT/lib/modules/KVER)")
    ap.add_argument("--family", help="one family, to stdout")
    ap.add_argument("--families", help="comma-separated families, to --out/FAMILY.txt")
    ap.add_argument("--out", help="directory for --families")
    ap.add_argument("--mixed", type=int, help="this many strings of every family, to stdout")
    ap.add_argument("--count", type=int, default=4000, help="strings per family [4000]")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.mixed:
        lines = mixed_corpus(a.tree, a.mixed, a.seed)
        sys.stdout.write("\n".join(lines) + "\n")
    elif a.family:
        sys.stdout.write("\n".join(family_corpus(a.tree, a.family, a.count, a.seed)) + "\n")
    elif a.families and a.out:
        os.makedirs(a.out, exist_ok=True)
        for fam in a.families.split(","):
            lines = family_corpus(a.tree, fam, a.count, a.seed)
            tmp = os.path.join(a.out, fam + ".txt.tmp")
            with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write("\n".join(lines) + "\n")
            os.replace(tmp, os.path.join(a.out, fam + ".txt"))
    else:
        ap.error("give --family, --families with --out, or --mixed")


if __name__ == "__main__":
    main()
