#!/usr/bin/env python3
"""USB churn for fault-lab scenario c: hot-add and remove a usb-kbd on qemu-xhci over QMP.

Usage: usb-churn.py QMP_SOCKET SIGNAL_FILE [--period 0.5] [--max 300] [--bus xhci.0]

Waits (up to --max seconds) until SIGNAL_FILE (the guest's ttyS1, a qemu -serial file) holds
"churn-start", then every --period seconds alternately device_add's a usb-kbd (a new id each
time) and device_del's it, until the file holds "churn-stop", qemu goes away or --max seconds
have passed. Prints one summary line: churn adds=N dels=N errors=N seconds=S.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from qmp import QMP  # noqa: E402  (scripts/vm/qmp.py)


def has(path, word):
    try:
        with open(path, "rb") as f:
            return word.encode() in f.read()
    except OSError:
        return False


def main(argv):
    args = list(argv)
    opts = {"--period": 0.5, "--max": 300.0, "--bus": "xhci.0"}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts:
            opts[a] = type(opts[a])(args.pop(0))
        elif a.startswith("-"):
            print(__doc__, file=sys.stderr)
            return 2
        else:
            pos.append(a)
    if len(pos) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    sock, signal = pos
    end = time.monotonic() + opts["--max"]
    while not has(signal, "churn-start"):
        if time.monotonic() > end:
            print("churn: no churn-start from the guest", flush=True)
            return 1
        time.sleep(0.1)
    qmp = QMP(sock, 30)
    adds = dels = errors = 0
    t0 = time.monotonic()
    n, present = 0, None
    try:
        while not has(signal, "churn-stop") and time.monotonic() < end:
            if present is None:
                n += 1
                present = f"churnkbd{n}"
                r = qmp.command("device_add", {"driver": "usb-kbd", "id": present, "bus": opts["--bus"]})
                adds += 1
            else:
                r = qmp.command("device_del", {"id": present})
                present = None
                dels += 1
            if "error" in r:
                errors += 1
                print(f"churn: {r['error'].get('desc')}", file=sys.stderr, flush=True)
            time.sleep(opts["--period"])
    except (OSError, EOFError) as e:
        print(f"churn: QMP gone: {e}", file=sys.stderr, flush=True)
    print(f"churn adds={adds} dels={dels} errors={errors} seconds={time.monotonic() - t0:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
