#!/usr/bin/env python3
"""Summarise a compare-coldplug.sh output directory as a markdown table.

Usage: coldplug-table.py OUTDIR [REFERENCE]

Reads OUTDIR/results.tsv and each boot's module set (sections/SCENARIO__modules.txt, the
names in /proc/modules after the race). Per contender: medians over its successful runs of
the time until the last module went live and of its own "done" time, the ratio of the
last-live median to the reference's (udevd) and to the floor's, the median of the same ratios
taken per round (boots adjacent in time), module counts, and the set
differences against the reference's majority set (a module in more than half of its runs),
each with the number of runs it happened in.
"""
import csv
import statistics
import sys
from collections import Counter
from pathlib import Path

SCENARIO = {"autoloadd": "autoloadd-race", "autoloadd-b": "autoloadd-race", "daemon": "autoloadd-daemon-race", "udevd": "udevd-coldplug", "alpine": "alpine-coldplug",
            "mdev": "mdev-coldplug", "floor": "floor-coldplug"}
LABEL = {"autoloadd": "`autoloadd coldplug`", "autoloadd-b": "`autoloadd coldplug` (build B)",
         "daemon": "`autoloadd daemon` (done = READY)",
         "udevd": "systemd-udevd 252 (trigger + settle)",
         "alpine": "Alpine/Buildroot loop (find /sys -name modalias, xargs modprobe -b -a) to fixpoint",
         "mdev": "busybox mdev -d + trigger",
         "floor": "floor: known leaf set, all modprobes at once"}


def main():
    out = Path(sys.argv[1])
    ref = sys.argv[2] if len(sys.argv) > 2 else "udevd"
    rows = list(csv.DictReader(open(out / "results.tsv"), delimiter="\t"))
    order, runs = [], {}
    for row in rows:
        c = row["contender"]
        if c not in runs:
            order.append(c)
            runs[c] = []
        runs[c].append(row)

    def ok(row):
        return row["rc"] == "0" and row["last_live_ms"] != ""

    def modset(row):
        f = out / f"r{row['run']}-{row['contender']}" / "sections" / f"{SCENARIO[row['contender']]}__modules.txt"
        return set(f.read_text().split()) if f.exists() else None

    def med(c, key):
        v = [int(r[key]) for r in runs.get(c, []) if ok(r)]
        return statistics.median(v) if v else None

    ref_sets = [s for s in (modset(r) for r in runs.get(ref, []) if ok(r)) if s is not None]
    majority = set()
    if ref_sets:
        counts = Counter(m for s in ref_sets for m in s)
        majority = {m for m, k in counts.items() if k * 2 > len(ref_sets)}
    ref_live, floor_live = med(ref, "last_live_ms"), med("floor", "last_live_ms")

    # Ratios of boots in the same round (adjacent in time): on a shared host the load changes
    # over minutes, so these are steadier than ratios of medians taken at different times.
    def paired(c, other):
        mine = {r["run"]: int(r["last_live_ms"]) for r in runs.get(c, []) if ok(r)}
        theirs = {r["run"]: int(r["last_live_ms"]) for r in runs.get(other, []) if ok(r)}
        v = [mine[k] / theirs[k] for k in mine if k in theirs and theirs[k]]
        return f"{statistics.median(v):.2f}" if v and c != other else "—"

    # How long after its last module went live a contender said it was done (its command
    # returned, or READY): the boot time a settled loader still costs.
    def lag(c):
        v = [int(r["done_ms"]) - int(r["last_live_ms"]) for r in runs.get(c, []) if ok(r) and r["done_ms"]]
        return f"{statistics.median(v):.0f}" if v else "—"

    print(f"| contender | runs ok | last module live, median (s) | × {ref} | × floor | × {ref}, paired | × floor, paired | done, median (s) | done − last live, median (ms) | modules | vs {ref} set |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    details = []
    for c in order:
        good = [r for r in runs[c] if ok(r)]
        live, done = med(c, "last_live_ms"), med(c, "done_ms")
        counts = sorted({int(r["modules"]) for r in good})
        diff = "—"
        if ref_sets and c != ref:
            plus, minus, n = Counter(), Counter(), 0
            for r in good:
                s = modset(r)
                if s is None:
                    continue
                n += 1
                plus.update(s - majority)
                minus.update(majority - s)
            if n:
                items = ([f"+{m}({k}/{n})" for m, k in sorted(plus.items())] +
                         [f"−{m}({k}/{n})" for m, k in sorted(minus.items())])
                # A contender that missed most of the set would swamp the table: name a few.
                more = f" … {len(items) - 12} more (−{len(minus)} +{len(plus)} in all)" if len(items) > 12 else ""
                diff = "same" if not items else " ".join(items[:12]) + more
        elif c == ref and len(ref_sets) > 1:
            varying = set().union(*ref_sets) - set.intersection(*ref_sets)
            diff = "stable" if not varying else "varies: " + " ".join(sorted(varying))
        fmt = lambda v: "—" if v is None else f"{v / 1000:.1f}"
        ratio = lambda a, b: "—" if a is None or not b else f"{a / b:.2f}"
        print(f"| {LABEL.get(c, c)} | {len(good)}/{len(runs[c])} | {fmt(live)} | {ratio(live, ref_live)} | "
              f"{ratio(live, floor_live)} | {paired(c, ref)} | {paired(c, 'floor')} | {fmt(done)} | {lag(c)} | {'/'.join(map(str, counts)) or '—'} | {diff} |")
        details.append(f"{c}: last_live_ms " + " ".join(r["last_live_ms"] or "?" for r in runs[c]) +
                       "; done_ms " + " ".join(r["done_ms"] or "?" for r in runs[c]) +
                       "; rc " + " ".join(r["rc"] for r in runs[c]))
    print()
    print("Per run (boot order rotates every round):")
    for d in details:
        print(f"- {d}")


if __name__ == "__main__":
    main()
