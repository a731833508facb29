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
import subprocess
import sys

EXTS = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz")


def captures(paths, exclude):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in sorted(files):
                    full = os.path.join(root, f)
                    if f.endswith(EXTS) and not any(x in full for x in exclude):
                        yield full
        else:
            yield p


def run(binary, path, workers, extra):
    r = subprocess.run([binary, "sessions", "-r", path, "--json", "--workers", str(workers),
                        "--no-progress"] + extra, capture_output=True, timeout=300)
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
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    files = list(captures(args.paths, args.exclude))
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
