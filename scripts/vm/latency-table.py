#!/usr/bin/env python3
"""Reaction latency from latency.sh's tracefs dumps: pairs each trial mark with the return of
the sysfs uevent write for its device (the kernel has broadcast the uevent) and the finit_module(2) of the thread that then logs
module_load for its driver; writes one row per trial and prints p50/p99 per contender and mode.

Usage: latency-table.py OUT.tsv CONTENDER=TRACE [CONTENDER=TRACE ...]
A trial with no uevent or no finit_module is counted as missing, never dropped silently."""
import re
import statistics
import sys

LINE = re.compile(r"^\s*(?P<task>.+?)-(?P<pid>\d+)\s+\[\d+\]\s+(?:\S+\s+)?(?P<ts>\d+\.\d+): (?P<ev>\w+)(?:: |\()(?P<rest>.*)$")


def events(path):
    for raw in open(path, errors="replace"):
        m = LINE.match(raw)
        if m:
            yield float(m["ts"]), int(m["pid"]), m["ev"], m["rest"]


def trials(path):
    """(mode, module, device, latency ms or None, why) for every mark in one trace."""
    evs = list(events(path))
    out = []
    for i, (ts, _pid, ev, rest) in enumerate(evs):
        if ev != "tracing_mark_write" or not rest.startswith("latency "):
            continue
        mode, module, device = rest.split()[1:4]
        if mode == "probe":
            continue
        uevent = next((e for e in evs[i:] if e[2] == "uevent" and f'name="{device}"' in e[3]), None)
        if uevent is None:
            out.append((mode, module, device, None, "no uevent"))
            continue
        j = evs.index(uevent)
        sent = next((e for e in evs[j:] if e[2] == "uevent_sent" and e[1] == uevent[1]), None)
        if sent is None:
            out.append((mode, module, device, None, "no uevent return"))
            continue
        load = next((e for e in evs[j:] if e[2] == "module_load" and e[3].split()[0] == module), None)
        if load is None:
            out.append((mode, module, device, None, "not loaded"))
            continue
        k = evs.index(load)
        call = next((e for e in reversed(evs[j:k]) if e[2] == "sys_finit_module" and e[1] == load[1]), None)
        if call is None:
            out.append((mode, module, device, None, "no finit_module"))
            continue
        out.append((mode, module, device, (call[0] - sent[0]) * 1000, ""))
    return out


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(p / 100 * len(v) + 0.5) - 1))]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = []
    for spec in sys.argv[2:]:
        contender, path = spec.split("=", 1)
        run = path
        for mode, module, device, ms, why in trials(path):
            rows.append((contender, run, "serial" if mode == "serial" else "burst", module, device, ms, why))
    with open(sys.argv[1], "w") as f:
        f.write("contender\ttrace\tmode\tmodule\tdevice\tlatency_ms\tmissing\n")
        for r in rows:
            f.write("\t".join("" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x)) for x in r) + "\n")
    contenders = list(dict.fromkeys(r[0] for r in rows))
    print("| contender | mode | trials | missing | p50 (ms) | p99 (ms) | max (ms) |")
    print("|---|---|---|---|---|---|---|")
    stats = {}
    for c in contenders:
        for mode in ("serial", "burst"):
            sel = [r for r in rows if r[0] == c and r[2] == mode]
            ok = [r[5] for r in sel if r[5] is not None]
            if not ok:
                print(f"| {c} | {mode} | {len(sel)} | {len(sel)} | — | — | — |")
                continue
            stats[c, mode] = (pct(ok, 50), pct(ok, 99))
            print(f"| {c} | {mode} | {len(sel)} | {len(sel) - len(ok)} | {pct(ok, 50):.1f} | {pct(ok, 99):.1f} | {max(ok):.1f} |")
    if len(contenders) == 2:
        a, u = contenders
        for mode in ("serial", "burst"):
            if (a, mode) in stats and (u, mode) in stats:
                (a50, a99), (u50, u99) = stats[a, mode], stats[u, mode]
                print(f"\n{mode}: {a}/{u} p50 {a50 / u50:.2f}×, p99 {a99 / u99:.2f}×", end="")
        print()


if __name__ == "__main__":
    main()
