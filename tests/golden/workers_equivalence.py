#!/usr/bin/env python3
"""`sessions --json` gives the same results whatever the number of worker threads.

For every capture given (files or directories, searched recursively): the events with
--workers 1 and with each other count are the same lines as a multiset (sorted), and
the run summaries on stderr are the same; with --ordered every count gives the very
same bytes (and --ordered with one worker differs from the plain run only in the
order lines come in). Each file is also run with the login detectors' thresholds at 1
so that alerts (which depend on the order attempts are seen) are compared too.
Runs the captures in parallel; exits 1 listing every difference."""
import argparse
import concurrent.futures
import os
import struct
import subprocess
import sys
import tempfile

from capture_files import every_capture


def many_flows_pcap(path, flows):
    """`flows` TCP handshakes (SYN, SYN-ACK) left open, from distinct clients: at the end
    of input each worker ends thousands of flows in one round, more than one output
    chunk holds (~1 MiB / 4096 events), so the chunked hand-over and merge are tested."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(flows):
            client = bytes([10, 1 + (i >> 16) & 255, (i >> 8) & 255, i & 255])
            server = bytes([192, 0, 2, 1 + i % 7])
            sport = 1024 + i % 50000
            for k, (src, dst, sp, dp, flags) in enumerate(((client, server, sport, 80, 0x02),
                                                            (server, client, 80, sport, 0x12))):
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0, src, dst)
                tcp = struct.pack("!HHIIBBHHH", sp, dp, 1000 + i, 0 if k == 0 else 1001 + i,
                                  0x50, flags, 1024, 0, 0)
                frame = b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x08\x00" + ip + tcp
                usec = i * 100 + k * 10
                f.write(struct.pack("<IIII", 1700000000 + usec // 1000000, usec % 1000000,
                                    len(frame), len(frame)))
                f.write(frame)


CONFIG = []  # --config FILE for the runs with several workers


def run(binary, path, workers, extra):
    more = CONFIG if workers > 1 else []
    r = subprocess.run([binary, "sessions", "-r", path, "--json", "--workers", str(workers),
                        "--no-progress"] + more + extra, capture_output=True, timeout=300)
    return r.returncode, r.stdout, r.stderr


def check(binary, path, counts):
    problems = []
    events = 0
    # Second pass: every failed login an alert, so that the detectors' order shows.
    for extra, ns in (([], counts), (["--brute-force-failures", "1", "--spray-users", "1",
                                      "--compromise-failures", "1"], counts[-1:])):
        label = " ".join(extra) or "defaults"
        rc1, out1, err1 = run(binary, path, 1, extra)
        if rc1 not in (0, 2):
            problems.append(f"{path} [{label}]: exit {rc1}: {err1.decode(errors='replace')}")
            continue
        lines1 = sorted(out1.splitlines())
        events += len(lines1)
        orc1, oout1, oerr1 = run(binary, path, 1, extra + ["--ordered"])
        if sorted(oout1.splitlines()) != lines1 or orc1 != rc1 or oerr1 != err1:
            problems.append(f"{path} [{label}]: --ordered with 1 worker changes the events")
        for n in ns:
            rc, out, err = run(binary, path, n, extra)
            if rc != rc1:
                problems.append(f"{path} [{label}]: exit {rc} with {n} workers, {rc1} with 1")
            if sorted(out.splitlines()) != lines1:
                a, b = set(lines1), set(out.splitlines())
                problems.append(f"{path} [{label}]: {n} workers: events differ "
                                f"({len(a - b)} only with 1, {len(b - a)} only with {n}): "
                                f"{sorted(a - b)[:1]} {sorted(b - a)[:1]}")
            if err != err1:
                problems.append(f"{path} [{label}]: {n} workers: summary differs:\n"
                                f"{err1.decode(errors='replace')}---\n"
                                f"{err.decode(errors='replace')}")
            orc, oout, oerr = run(binary, path, n, extra + ["--ordered"])
            if oout != oout1 or oerr != oerr1:
                problems.append(f"{path} [{label}]: {n} workers --ordered: not the bytes of 1")
    return problems, events


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--workers", default="2,3,4")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("--many-flows", type=int, default=0,
                    help="also check a generated capture of this many open TCP flows")
    ap.add_argument("--config", help="config file for the runs with several workers only "
                    "(engine.read_ahead: on reads ahead in lent blocks)")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    if args.config:
        CONFIG[:] = ["--config", args.config]
    counts = [int(n) for n in args.workers.split(",")]
    files = list(every_capture(args.paths, args.exclude))
    tmp = tempfile.TemporaryDirectory(prefix="netsift-workers-")
    if args.many_flows:
        files.append(os.path.join(tmp.name, "many-flows.pcap"))
        many_flows_pcap(files[-1], args.many_flows)
    if not files:
        print("no captures found", file=sys.stderr)
        return 1
    problems = []
    events = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for p, n in pool.map(lambda f: check(args.bin, f, counts), files):
            problems += p
            events += n
    for p in problems:
        print(p)
    print(f"{len(files)} captures, {events} events, workers 1 vs {args.workers}: "
          f"{len(problems)} differences")
    # A run that produced nothing proves nothing.
    return 1 if problems or events == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
