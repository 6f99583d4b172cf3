#!/usr/bin/env python3
"""Times how long resolvers take to follow an RPZ change.

poll.py GO_FILE WANT TAG TREE TIMEOUT_S LABEL=PORT[=NAME[=TIMEOUT_S]]...

For each resolver (one thread each) sends an A query for a fresh name "TAG-N.TREE" to
127.0.0.1:PORT every 50 ms (POLL_MS), until the answer is WANT: "NXDOMAIN", or "ANSWER" (NOERROR
with an A record). Fresh names keep caches out of the measurement. It prints "ready" once polling,
and the caller then makes the change and writes into GO_FILE the time.time_ns() at which the
change went out (the NOTIFY); the poller then prints "NAME MS" (from that time to the first
answer that follows the change) or "NAME timeout LAST_ANSWER" per resolver, and exits 0 when
every resolver got there within TIMEOUT_S. A target with a NAME asks that same name every time
instead (a name that was asked before the change: how long a cached answer outlives it).
"""
import os
import random
import socket
import struct
import sys
import threading
import time

INTERVAL = float(os.environ.get("POLL_MS", "50")) / 1000
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def query(name):
    qid = random.randrange(65536)
    wire = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD
    for label in name.rstrip(".").split("."):
        wire += bytes([len(label)]) + label.encode()
    return qid, wire + b"\0" + struct.pack("!HH", 1, 1)


def skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def parse(msg):
    """Returns (rcode name, [A addresses])."""
    _, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    i = 12
    for _ in range(qd):
        i = skip_name(msg, i) + 4
    addrs = []
    for _ in range(an):
        i = skip_name(msg, i)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(msg[i:i + 4]))
        i += rdlen
    return RCODES.get(flags & 0xF, str(flags & 0xF)), addrs


def ask(port, name):
    qid, wire = query(name)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        s.sendto(wire, ("127.0.0.1", port))
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                msg, _ = s.recvfrom(65535)
            except socket.timeout:
                break
            if len(msg) >= 12 and struct.unpack("!H", msg[:2])[0] == qid:
                return parse(msg)
    return "TIMEOUT", []


def main():
    go, want, tag, tree, timeout = sys.argv[1:6]
    timeout = float(timeout)
    targets = [(a.split("=") + [None, None])[:4] for a in sys.argv[6:]]
    results, last = {}, {}
    state = {"t0": None}
    started = time.time()

    def poll(label, port, name, limit):
        n, limit = 0, float(limit or timeout)
        while True:
            n += 1
            rcode, addrs = ask(int(port), name or f"{tag}-{n}.{tree}")
            now = time.time()
            last[label] = " ".join([rcode] + addrs)
            ok = rcode == "NXDOMAIN" if want == "NXDOMAIN" else (rcode == "NOERROR" and addrs)
            if ok:
                results[label] = now
                return
            t0 = state["t0"]
            if (t0 is not None and now - t0 > limit) or now - started > 120 + limit:
                return
            time.sleep(INTERVAL)

    threads = [threading.Thread(target=poll, args=t) for t in targets]
    for t in threads:
        t.start()
    print("ready", flush=True)
    while not os.path.exists(go):
        if time.time() - started > 120:
            print("no go file", file=sys.stderr)
            break
        time.sleep(0.001)
    else:
        with open(go) as f:
            state["t0"] = int(f.read()) / 1e9
    for t in threads:
        t.join()
    failed = False
    for label, *_ in targets:
        if label in results and state["t0"] is not None:
            print(label, round((results[label] - state["t0"]) * 1000))
        else:
            failed = True
            print(label, "timeout", last.get(label, ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
