#!/usr/bin/env python3
"""How late do packets come after a TCP connection closed? The evidence behind
limits.tcp_closed_linger (docs/architecture.md, FlowTable).

For every TCP connection in the given captures (tshark's tcp.stream) that closed (a FIN
from each side, or a RST), lists the packets of the connection that came after the
close: their kind and how long after it. Usage: late_packets.py CAPTURE...
(default: ../shared/corpus, without its malformed/ folder)."""
import collections
import glob
import os
import subprocess
import sys

FIELDS = ["frame.time_epoch", "tcp.stream", "tcp.flags.fin", "tcp.flags.reset", "tcp.srcport",
          "tcp.len", "tcp.flags.syn"]


def flag(v):
    return v in ("1", "True")


def connections(path):
    cmd = ["tshark", "-n", "-r", path, "-Y", "tcp", "-T", "fields"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    conns = {}
    for line in out.splitlines():
        p = line.split("\t")
        if len(p) < len(FIELDS) or not p[1]:
            continue
        t, stream = float(p[0]), p[1]
        fin, rst, syn, length = flag(p[2]), flag(p[3]), flag(p[6]), int(p[5] or 0)
        c = conns.setdefault(stream, {"fins": set(), "close": None, "how": None, "late": []})
        if c["close"] is not None:
            kind = "rst" if rst else "fin" if fin else "data" if length else "syn" if syn else "ack"
            c["late"].append((t - c["close"], kind))
        elif rst:
            c["close"], c["how"] = t, "rst"
        elif fin:
            c["fins"].add(p[4])
            if len(c["fins"]) == 2:
                c["close"], c["how"] = t, "fin"
    return [c for c in conns.values() if c["close"] is not None]


def main():
    paths = sys.argv[1:] or [
        f for f in glob.glob(os.path.join(os.path.dirname(__file__), "../../shared/corpus/**/*"),
                             recursive=True)
        if f.endswith((".pcap", ".pcapng", ".cap")) and "/malformed/" not in f]
    closed, delays, kinds, worst = 0, [], collections.Counter(), []
    for path in paths:
        for c in connections(path):
            closed += 1
            for dt, kind in c["late"]:
                delays.append(dt)
                kinds[(c["how"], kind)] += 1
            if c["late"]:
                worst.append((max(dt for dt, _ in c["late"]), os.path.basename(path), c["how"]))
    print(f"{len(paths)} captures, {closed} closed connections, {len(delays)} packets after a close")
    print("by (closed by, late packet):", dict(kinds))
    delays.sort()
    for q in (0.5, 0.9, 0.99, 1.0):
        if delays:
            print(f"  p{int(q * 100)}: {delays[min(len(delays) - 1, int(q * len(delays)))]:.3f} s")
    worst.sort(reverse=True)
    for limit in (1, 5, 30):
        print(f"connections with a packet more than {limit} s after the close:",
              sum(1 for w in worst if w[0] > limit))
    print("latest:", [(round(d, 2), f, how) for d, f, how in worst[:5]])


if __name__ == "__main__":
    main()
