#!/usr/bin/env python3
"""Results against the goals: one markdown section from the benchmark result files.

Usage: scripts/bench/report.py [--lookup FILE]... [--process DIR]... [--coldplug DIR]...
                               [--hotplug DIR]... [--latency DIR]... [--readme FILE]

  --lookup FILE    stdout of `cd Benchmarks && swift run -c release LookupRatio` (its
                   "Per-lookup" and "Details" markdown tables)
  --process DIR    BENCH_DIR of scripts/bench/resolve-process.sh (DIR/results.tsv)
  --coldplug DIR   --out DIR of scripts/vm/compare-coldplug.sh (DIR/results.tsv and each
                   boot's sections/SCENARIO__modules.txt)
  --hotplug DIR    --out DIR of scripts/vm/compare-hotplug.sh (DIR/results.tsv)
  --latency DIR    --out DIR of scripts/vm/compare-latency.sh (DIR/trials.tsv)
  --readme FILE    replace the lines between `<!-- bench-report:begin -->` and
                   `<!-- bench-report:end -->` in FILE instead of printing

Each option may be repeated (the same benchmark on different occasions: rows then take the
median of the per-file ratios, or pool the VM boots). Every figure comes from those files: a
peer measured in the same run (libkmod, modprobe, udevd, the floor), medians over runs, run
counts. A goal whose input is missing says "not measured". Coldplug medians and set
differences follow scripts/vm/coldplug-table.py (its contender names are imported from it);
hotplug medians follow compare-hotplug.sh: successful runs only. Needs python3 only.
"""
import argparse
import csv
import importlib.util
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- bench-report:begin -->", "<!-- bench-report:end -->"
CMD_LOOKUP = "cd Benchmarks && swift run -c release LookupRatio"
CMD_PROCESS = "scripts/bench/resolve-process.sh"
CMD_COLD = 'scripts/vm/compare-coldplug.sh --binary "$(scripts/build-static.sh)" --runs 3 --out DIR'
CMD_HOT = 'scripts/vm/compare-hotplug.sh --binary "$(scripts/build-static.sh)" --runs 3 --out DIR'
CMD_LAT = 'scripts/vm/compare-latency.sh --binary "$(scripts/build-static.sh)" --runs 2 --out DIR'
FAMILIES = ["pci", "usb", "of", "acpi", "dmi", "hid", "input", "cpu", "names"]
sources, missing = [], []


def med(xs):
    return statistics.median(xs) if xs else None


def x(v):
    return f"{v:,.1f}×" if v < 100 else f"{v:,.0f}×"


def num(v):
    return f"{v:.2f}" if v >= 1 else f"{v:.3f}"


def row(goal, figure, target, met, command):
    verdict = "—" if met is None else ("met" if met else "missed")
    return f"| {goal} | {figure or 'not measured'} | {target} | {verdict} | `{command}` |"


def found(kind, path, note=""):
    """True when path exists; records it (with its time and note) among the inputs."""
    p = Path(path)
    if not p.is_file():
        missing.append(f"{kind} {p}")
        return False
    # A committed result's date is in its path (a checkout sets every mtime to the clone's
    # time); a fresh one's is its mtime.
    dated = re.search(r"\b(20\d\d-\d\d-\d\d)\b", str(p))
    t = dated.group(1) if dated else time.strftime("%Y-%m-%d %H:%M", time.localtime(p.stat().st_mtime))
    sources.append(f"{kind} {p} ({t}{note})")
    return True


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def idx_kernel(d, pattern):
    """The kernel named by the index file in d (or, as older runs left it, in d/idx)."""
    names = sorted(p.name for p in Path(d).glob(pattern)) or sorted(p.name for p in (Path(d) / "idx").glob("*.idx"))
    m = re.search(r"lib_modules_(.*)\.idx$", names[0]) if names else None
    return f", kernel {m.group(1)}" if m else ""


# ---- LookupRatio ----------------------------------------------------------------------------
def md_tables(text):
    """Every markdown table in text: (header cells, rows as dicts keyed by header cell)."""
    tables, inside = [], False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|"):
            inside = False
        elif not inside:
            tables.append((cells, []))
            inside = True
        elif not all(set(c) <= set("-:") for c in cells):
            tables[-1][1].append(dict(zip(tables[-1][0], cells)))
    return tables


def lookup_rows(files):
    per = {f: [] for f in FAMILIES}  # family -> [(speedup, libkmod ns, autoload ns, runs, mismatches)]
    for path in files:
        if not found("lookup", path):
            continue
        text = Path(path).read_text()
        m = re.search(r"median of (up to )?(\d+) runs", text)
        default_runs = (("≤" if m.group(1) else "") + m.group(2)) if m else "?"
        tables = md_tables(text)
        details = {r["family"]: r for h, rs in tables if h[:2] == ["family", "libkmod C ns/lookup"] for r in rs}
        for h, rs in tables:
            if h[:3] != ["family", "strings", "libkmod ns/lookup"]:
                continue
            for r in rs:
                try:
                    k, a = float(r["libkmod ns/lookup"]), float(r["autoload ns/lookup"])
                except (KeyError, ValueError):
                    continue
                if r["family"] != "all" and r["family"].isalnum():  # not the summary rows
                    d = details.get(r["family"], {})
                    per.setdefault(r["family"], []).append(
                        (k / a, k, a, d.get("runs", default_runs), d.get("mismatches", "0")))
    out = []
    for fam, v in per.items():
        goal = f"per lookup, {'module names' if fam == 'names' else f'`{fam}:`'}: autoload vs libkmod (warm)"
        if not v:
            out.append(row(goal, None, "≥100×", None, CMD_LOOKUP))
            continue
        s, runs = med([e[0] for e in v]), "+".join(str(e[3]) for e in v)
        if len(v) == 1:
            fig = f"{x(s)} (libkmod {v[0][1]:,.0f} ns, autoload {v[0][2]:,.0f} ns; median of {runs} runs)"
        else:
            fig = f"{x(s)} (median of {len(v)} files: {', '.join(x(e[0]) for e in v)}; {runs} runs)"
        if any(e[4] not in ("0", "") for e in v):
            fig += f", **{'/'.join(e[4] for e in v)} answers differ from libkmod**"
        out.append(row(goal, fig, "≥100×", s >= 100, CMD_LOOKUP))
    return out


# ---- resolve-process.sh ---------------------------------------------------------------------
def process_rows(dirs):
    corpus, single = [], []
    for d in dirs:
        f = Path(d) / "results.tsv"
        if not f.is_file():
            found("process", f)
            continue
        r = {e["command"]: e for e in read_tsv(f)}
        found("process", f, ", kernel " + next(iter(r.values()))["kernel"] if r else "")
        for dest, mine, peer in ((corpus, "autoloadd resolve -", "libkmod loop"),
                                 (single, "autoloadd modalias --dry-run X", "modprobe -n X")):
            a, k = r.get(mine), r.get(peer)
            if a and k:
                dest.append((float(a["mean"]), float(k["mean"]), a, k))
    several = lambda v: "" if len(v) == 1 else ", median of the ratios"
    goal = f"whole process, {'/'.join(sorted({e[2]['strings'] for e in corpus})) or '100000'} strings: " \
           "`autoloadd resolve -` vs C libkmod loop"
    fig = s = None
    if corpus:
        s = med([k / a for a, k, _, _ in corpus])
        fig = (f"{x(s)} (libkmod {num(med([e[1] for e in corpus]))} s, autoloadd {num(med([e[0] for e in corpus]))} s; "
               f"mean of {'+'.join(e[2]['runs'] for e in corpus)} runs{several(corpus)})")
    out = [row(goal, fig, "≥10×", None if s is None else s >= 10, CMD_PROCESS)]
    goal = "one device per process: `autoloadd modalias --dry-run X` vs `modprobe -n X`"
    fig = s = None
    if single:
        s = med([a / k for a, k, _, _ in single])
        unit = single[0][2]["unit"]
        fig = (f"{s:.2f}× (autoloadd {num(med([e[0] for e in single]))} {unit}, modprobe "
               f"{num(med([e[1] for e in single]))} {unit}, wall; mean of "
               f"{'+'.join(e[2]['runs'] for e in single)} / {'+'.join(e[3]['runs'] for e in single)} runs{several(single)})")
    out.append(row(goal, fig, "≤0.8×", None if s is None else s <= 0.8, CMD_PROCESS))
    return out


# ---- compare-coldplug.sh --------------------------------------------------------------------
def coldplug(dirs):
    sys.dont_write_bytecode = True  # no __pycache__ in scripts/vm
    spec = importlib.util.spec_from_file_location("coldplug_table", HERE.parent / "vm" / "coldplug-table.py")
    ct = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ct)
    runs = {}  # contender -> [(dir, row)], in the file's order
    for d in dirs:
        f = Path(d) / "results.tsv"
        if found("coldplug", f, idx_kernel(d, "lib_modules_*.idx") if f.is_file() else ""):
            for r in read_tsv(f):
                runs.setdefault(r["contender"], []).append((Path(d), r))

    def ok(r):  # as coldplug-table.py
        return r["rc"] == "0" and r["last_live_ms"] != ""

    def modset(d, r):
        f = d / f"r{r['run']}-{r['contender']}" / "sections" / f"{ct.SCENARIO.get(r['contender'])}__modules.txt"
        return set(f.read_text().split()) if f.exists() else None

    def live(c):
        return med([int(r["last_live_ms"]) for _, r in runs.get(c, []) if ok(r)])

    def paired(c, other):  # boots of the same round in the same directory
        theirs = {(d, r["run"]): int(r["last_live_ms"]) for d, r in runs.get(other, []) if ok(r)}
        return med([int(r["last_live_ms"]) / theirs[(d, r["run"])] for d, r in runs.get(c, [])
                    if ok(r) and theirs.get((d, r["run"]))])

    def nok(c):
        return f"{sum(ok(r) for _, r in runs.get(c, []))}/{len(runs.get(c, []))}"

    ref_sets = [s for s in (modset(d, r) for d, r in runs.get("udevd", []) if ok(r)) if s is not None]
    counts = Counter(m for s in ref_sets for m in s)
    majority = {m for m, k in counts.items() if k * 2 > len(ref_sets)}

    def setdiff(c):  # module counts; differences against udevd's majority set, as coldplug-table.py
        good = [(d, r) for d, r in runs.get(c, []) if ok(r)]
        mods = "/".join(str(n) for n in sorted({int(r["modules"]) for _, r in good if r["modules"]})) or "?"
        if c == "udevd" and len(ref_sets) > 1:
            varying = set().union(*ref_sets) - set.intersection(*ref_sets)
            return mods, "stable" if not varying else "varies: " + " ".join(sorted(varying))
        if c == "udevd" or not ref_sets:
            return mods, "—"
        plus, minus, n = Counter(), Counter(), 0
        for s in (modset(d, r) for d, r in good):
            if s is not None:
                n += 1
                plus.update(s - majority)
                minus.update(majority - s)
        items = [f"+{m}({k}/{n})" for m, k in sorted(plus.items())] + [f"−{m}({k}/{n})" for m, k in sorted(minus.items())]
        more = f" … {len(items) - 6} more (−{len(minus)} +{len(plus)} in all)" if len(items) > 6 else ""
        return mods, ("—" if not n else "same set" if not items else " ".join(items[:6]) + more)

    out = []
    a, u, fl = live("autoloadd"), live("udevd"), live("floor")
    for peer, name, pv, target, limit in (("udevd", "systemd-udevd", u, "≤0.85×", 0.85),
                                          ("floor", "the floor", fl, "≤1.05×", 1.05)):
        goal = f"coldplug in the VM, time until the last module is live: `autoloadd coldplug` vs {name}"
        if a is None or not pv:
            out.append(row(goal, None, target, None, CMD_COLD))
            continue
        p = paired("autoloadd", peer)
        mods, diff = setdiff("autoloadd")
        fig = (f"{a / pv:.2f}× (autoloadd {a / 1000:.1f} s, {peer} {pv / 1000:.1f} s; medians of boots ok: "
               f"{nok('autoloadd')}, {nok(peer)}{'' if p is None else f'; same-round pairs {p:.2f}×'}); "
               f"{mods} modules, vs udevd: {diff}")
        out.append(row(goal, fig, target, a / pv <= limit, CMD_COLD))
    table = []
    if runs:
        table += ["| contender | boots ok | last module live, median (s) | × udevd | × floor | modules | vs udevd's set |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for c in runs:
            v, (mods, diff) = live(c), setdiff(c)
            r = lambda b: "—" if v is None or not b else f"{v / b:.2f}"
            table.append(f"| {ct.LABEL.get(c, c)} | {nok(c)} | {'—' if v is None else f'{v / 1000:.1f}'} | "
                         f"{r(u)} | {r(fl)} | {mods} | {diff} |")
    return out, table


# ---- compare-hotplug.sh ---------------------------------------------------------------------
def hotplug_rows(dirs):
    rows = []
    for d in dirs:
        f = Path(d) / "results.tsv"
        if found("hotplug", f, idx_kernel(d, "lib_modules_*.idx") if f.is_file() else ""):
            rows += read_tsv(f)

    def m(c, key):  # as compare-hotplug.sh: successful runs with the field
        v = [int(r[key]) for r in rows if r["contender"] == c and r["status"] == "0" and r.get(key)]
        return med(v), len(v)

    out = []
    for key, goal, unit in (
            ("hotplug_live_ms", "hotplug (e1000e + usb-storage added with QMP) until Live: autoloadd daemon vs systemd-udevd", "ms"),
            ("idle_pss_total_kb", "idle Pss (smaps_rollup), all of the contender's processes: autoloadd daemon vs systemd-udevd", "kB")):
        (a, na), (u, nu) = m("autoloadd-daemon", key), m("udevd-hotplug", key)
        if a is None or not u:
            out.append(row(goal, None, "≤1.00× (≤ udevd)", None, CMD_HOT))
            continue
        fig = f"{a / u:.2f}× (autoloadd {a:,.0f} {unit}, udevd {u:,.0f} {unit}; medians of {na}, {nu} runs)"
        (ap, _), (up, _) = m("autoloadd-daemon", "idle_private_total_kb"), m("udevd-hotplug", "idle_private_total_kb")
        if unit == "kB" and ap is not None and up:
            fig += f"; Private {ap:,.0f} vs {up:,.0f} kB ({ap / up:.2f}×)"
        out.append(row(goal, fig, "≤1.00× (≤ udevd)", a / u <= 1.0, CMD_HOT))
    return out


# ---- compare-latency.sh ---------------------------------------------------------------------
def latency_rows(dirs):
    spec = importlib.util.spec_from_file_location("latency_table", HERE.parent / "vm" / "latency-table.py")
    lt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lt)
    trials = []
    for d in dirs:
        f = Path(d) / "trials.tsv"
        if found("latency", f, idx_kernel(d, "lib_modules_*.idx") if f.is_file() else ""):
            trials += read_tsv(f)
    out = []
    for mode, what in (("serial", "one device at a time"), ("burst", "every leaf driver's device at once")):
        goal = f"hotplug reaction, kernel's uevent → finit_module (tracefs), {what}: autoloadd daemon vs systemd-udevd p50 / p99"
        v = {c: [float(t["latency_ms"]) for t in trials if t["contender"] == c and t["mode"] == mode and t["latency_ms"]]
             for c in ("autoloadd", "udevd")}
        if not v["autoloadd"] or not v["udevd"]:
            out.append(row(goal, None, "≤0.50× udevd's p50 and p99", None, CMD_LAT))
            continue
        (a50, a99), (u50, u99) = [(lt.pct(v[c], 50), lt.pct(v[c], 99)) for c in ("autoloadd", "udevd")]
        n = {c: sum(1 for t in trials if t["contender"] == c and t["mode"] == mode) for c in v}
        fig = (f"{a50 / u50:.2f}× / {a99 / u99:.2f}× (autoloadd {a50:.1f} / {a99:.1f} ms, udevd {u50:.1f} / {u99:.1f} ms; "
               f"{len(v['autoloadd'])} of {n['autoloadd']} and {len(v['udevd'])} of {n['udevd']} trials)")
        out.append(row(goal, fig, "≤0.50× udevd's p50 and p99", a50 / u50 <= 0.5 and a99 / u99 <= 0.5, CMD_LAT))
    return out


def report(args):
    rows = lookup_rows(args.lookup) + process_rows(args.process)
    cold, cold_table = coldplug(args.coldplug)
    rows += cold + hotplug_rows(args.hotplug) + latency_rows(args.latency)
    lines = ["### Results against the goals", "",
             "Generated by `scripts/bench/report.py` (every benchmark: `scripts/bench/all.sh --update-readme`). "
             "Every figure is a ratio against a peer measured in the same run; medians over runs, with "
             "the run counts. Machine: 2 shared cores; VM figures are qemu TCG boots.", "",
             "| goal | measured | target | verdict | reproduce |", "|---|---|---|---|---|", *rows]
    if cold_table:
        lines += ["", "Coldplug contenders (medians over boots; × = ratio of medians):", "", *cold_table]
    lines += ["", "Inputs: " + ("; ".join(sources) if sources else "none") + "."]
    if missing:
        lines += ["Missing: " + "; ".join(missing) + "."]
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for o in ("lookup", "process", "coldplug", "hotplug", "latency"):
        p.add_argument(f"--{o}", action="append", default=[], metavar="FILE" if o == "lookup" else "DIR")
    p.add_argument("--readme", metavar="README.md")
    args = p.parse_args()
    text = report(args)
    if not args.readme:
        sys.stdout.write(text)
        return
    old = Path(args.readme).read_text().split("\n")
    if BEGIN not in old or END not in old or old.index(END) < old.index(BEGIN):
        sys.exit(f"report.py: {args.readme} has no {BEGIN} ... {END} lines")
    i, j = old.index(BEGIN), old.index(END)
    tmp = args.readme + ".tmp"
    Path(tmp).write_text("\n".join(old[:i + 1] + text.rstrip("\n").split("\n") + old[j:]))
    os.replace(tmp, args.readme)
    print(f"report.py: {args.readme}: {len(text.splitlines())} lines between the markers", file=sys.stderr)


if __name__ == "__main__":
    main()
