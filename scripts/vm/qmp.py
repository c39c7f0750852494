#!/usr/bin/env python3
"""Minimal QMP client (stdlib only) for the autoload test VM.

Usage:
  qmp.py SOCKET COMMAND [JSON-ARGUMENTS]     one command, e.g.
      qmp.py /tmp/q.sock device_add '{"driver":"e1000e","id":"hpnic","bus":"hp1"}'
  qmp.py SOCKET --script FILE|-              JSON lines, one command each:
      {"execute": "device_add", "arguments": {...}}
      {"sleep": 0.5}                          pause (seconds)
      {"events": 2}                           print events for N seconds
      blank lines and lines starting with # are ignored
Options (before the command): --connect-timeout SECONDS (default 10),
  --keep-going (run remaining commands after an error).
Each reply is printed as one JSON line ({"return": ...} or {"error": ...});
asynchronous events that arrive meanwhile go to stderr. Exit status is 1 if
any command failed, 2 on connection/protocol problems.
"""
import json
import socket
import sys
import time


class QMP:
    def __init__(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(60)
        self.buf = b""
        greeting = self.read()
        if "QMP" not in greeting:
            raise RuntimeError(f"unexpected greeting: {greeting}")
        self.command("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("QMP connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, execute, arguments=None):
        msg = {"execute": execute}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self.read()
            if "event" in reply:
                print(json.dumps(reply), file=sys.stderr, flush=True)
                continue
            return reply

    def events(self, seconds):
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                print(json.dumps(self.read()), file=sys.stderr, flush=True)
            except (socket.timeout, TimeoutError):
                break
        self.sock.settimeout(60)


def main(argv):
    timeout, keep_going = 10.0, False
    args = list(argv)
    while args and args[0].startswith("--") and args[0] != "--script":
        opt = args.pop(0)
        if opt == "--connect-timeout":
            timeout = float(args.pop(0))
        elif opt == "--keep-going":
            keep_going = True
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, rest = args[0], args[1:]
    if rest[0] == "--script":
        src = sys.stdin if rest[1] == "-" else open(rest[1])
        steps = [json.loads(l) for l in src if l.strip() and not l.lstrip().startswith("#")]
    else:
        steps = [{"execute": rest[0], "arguments": json.loads(rest[1]) if len(rest) > 1 else None}]
    try:
        qmp = QMP(path, timeout)
    except Exception as e:  # noqa: BLE001 - report any connection failure
        print(f"qmp: cannot connect to {path}: {e}", file=sys.stderr)
        return 2
    failed = False
    for step in steps:
        if "sleep" in step:
            time.sleep(float(step["sleep"]))
            continue
        if "events" in step:
            qmp.events(float(step["events"]))
            continue
        reply = qmp.command(step["execute"], step.get("arguments"))
        print(json.dumps(reply), flush=True)
        if "error" in reply:
            failed = True
            print(f"qmp: {step['execute']} failed: {reply['error'].get('desc')}", file=sys.stderr)
            if not keep_going:
                break
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
