#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Send QMP commands to a running QEMU, for the VM tests' hotplug scenarios.

usage: qmp.py [--wait SECONDS] [--log FILE --pattern TEXT] [--delay SECONDS]
              [--listen] SOCKET [COMMAND...]

Waits up to --wait seconds for QEMU to create the unix SOCKET and negotiates
capabilities; with --log, then waits (up to --wait seconds again) until FILE, the
serial log being written, contains TEXT; then sleeps --delay seconds and sends each
COMMAND (a QMP JSON object) in turn. With --listen, then prints every event (such as
SHUTDOWN and its reason) until QEMU exits. Prints a timestamped transcript; exits 1 on
the first error reply or if the socket never appears. Standard library only.
"""
import argparse
import json
import socket
import sys
import time

T0 = time.monotonic()


def say(msg):
    print(f"[{time.monotonic() - T0:7.3f}] {msg}", flush=True)


def say_event(msg):
    say(f"<- event {msg['event']} {json.dumps(msg.get('data', {}), sort_keys=True)}")


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.file = self.sock.makefile("r", encoding="utf-8")

    def recv(self):
        line = self.file.readline()
        if not line:
            raise EOFError("QEMU closed the QMP socket")
        return json.loads(line)

    # Events (such as DEVICE_DELETED or a guest's RESET) may come before the reply.
    def command(self, cmd):
        say(f"-> {json.dumps(cmd)}")
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        while True:
            msg = self.recv()
            if "event" in msg:
                say_event(msg)
                continue
            say(f"<- {json.dumps(msg)}")
            return msg


def connect(path, wait):
    deadline = time.monotonic() + wait
    while True:
        try:
            return Qmp(path)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def wait_for_text(path, text, wait):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                if text in f.read():
                    say(f"saw '{text}' in {path}")
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wait", type=float, default=30)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--log")
    ap.add_argument("--pattern")
    ap.add_argument("socket")
    ap.add_argument("--listen", action="store_true")
    ap.add_argument("commands", nargs="*")
    args = ap.parse_args()

    cmds = [json.loads(c) for c in args.commands]
    try:
        qmp = connect(args.socket, args.wait)
    except OSError as e:
        say(f"cannot connect to {args.socket}: {e}")
        return 1
    say(f"connected: {json.dumps(qmp.recv()['QMP']['version']['qemu'])}")
    if "error" in qmp.command({"execute": "qmp_capabilities"}):
        return 1
    if args.log and not wait_for_text(args.log, args.pattern, args.wait):
        say(f"no '{args.pattern}' in {args.log} after {args.wait} s")
        return 1
    time.sleep(args.delay)
    for cmd in cmds:
        if "error" in qmp.command(cmd):
            return 1
    say("done")
    while args.listen:
        try:
            msg = qmp.recv()
        except (EOFError, OSError):
            say("QEMU closed the QMP socket")
            break
        if "event" in msg:
            say_event(msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
