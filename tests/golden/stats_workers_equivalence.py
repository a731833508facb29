#!/usr/bin/env python3
"""`netsift stats` gives the same results whatever the number of worker threads.

For every capture given (files or directories, searched recursively) and each worker
count: the JSON Lines output (per-packet `ip` events, buckets, alerts, flow records,
the summary) is the very same bytes as with --workers 1, the run summary on stderr is
the same, and so is every row of every table of the SQLite database, in rowid order
(only stats_runs.started, the wall-clock start, may differ). Two settings: the
defaults, and a busy one (1 s buckets, 2 s flow timeout, per-packet records, every
detector's threshold at its lowest) so that buckets close, flows end between buckets
and alerts fire on small captures. Exits 1 listing every difference."""
import argparse
import concurrent.futures
import os
import sqlite3
import subprocess
import sys
import tempfile

from capture_files import every_capture

BUSY = ["--bucket", "1", "--flow-timeout", "2", "--per-packet", "--scan-ports", "2",
        "--scan-hosts", "2", "--syn-flood-rate", "0.01", "--icmp-flood-rate", "0.01",
        "--udp-flood-rate", "0.01", "--volume-factor", "1.01", "--volume-min-bytes", "1",
        "--nxdomain-count", "1", "--dns-tunnel-queries", "1"]


def tables(db):
    """Every table's rows in rowid order (stats_runs without its wall-clock start)."""
    con = sqlite3.connect(db)
    out = {}
    names = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for name in names:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({name})") if r[1] != "started"]
        out[name] = con.execute(
            f"SELECT {', '.join(cols)} FROM {name} ORDER BY rowid").fetchall()
    con.close()
    return out


def run(binary, path, workers, extra, db):
    r = subprocess.run([binary, "stats", "-r", path, "--json", "--workers", str(workers),
                        "--no-progress", "--sqlite", db] + extra,
                       capture_output=True, timeout=300)
    return r.returncode, r.stdout, r.stderr, tables(db) if os.path.exists(db) else {}


def check(binary, path, counts, tmp):
    problems = []
    lines = 0
    base = os.path.join(tmp, f"{abs(hash(path))}")
    for label, extra in (("defaults", []), ("busy", BUSY)):
        rc1, out1, err1, db1 = run(binary, path, 1, extra, f"{base}-{label}-1.sqlite")
        if rc1 not in (0, 2):
            problems.append(f"{path} [{label}]: exit {rc1}: {err1.decode(errors='replace')}")
            continue
        lines += out1.count(b"\n")
        for n in counts:
            rc, out, err, db = run(binary, path, n, extra, f"{base}-{label}-{n}.sqlite")
            if rc != rc1:
                problems.append(f"{path} [{label}]: exit {rc} with {n} workers, {rc1} with 1")
            if out != out1:
                a, b = out1.splitlines(), out.splitlines()
                first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]),
                             min(len(a), len(b)))
                problems.append(f"{path} [{label}]: {n} workers: output differs at line "
                                f"{first + 1} ({len(a)} lines with 1, {len(b)} with {n}): "
                                f"{a[first:first + 1]} / {b[first:first + 1]}")
            if err != err1:
                problems.append(f"{path} [{label}]: {n} workers: summary differs:\n"
                                f"{err1.decode(errors='replace')}---\n"
                                f"{err.decode(errors='replace')}")
            for t in sorted(set(db1) | set(db)):
                if db1.get(t) != db.get(t):
                    r1, r = db1.get(t, []), db.get(t, [])
                    diff = next((i for i in range(min(len(r1), len(r))) if r1[i] != r[i]),
                                min(len(r1), len(r)))
                    problems.append(f"{path} [{label}]: {n} workers: table {t} differs at row "
                                    f"{diff + 1} ({len(r1)} rows with 1, {len(r)} with {n}): "
                                    f"{r1[diff:diff + 1]} / {r[diff:diff + 1]}")
            os.remove(f"{base}-{label}-{n}.sqlite")
        os.remove(f"{base}-{label}-1.sqlite")
    return problems, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--workers", default="2,3,4")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    files = list(every_capture(args.paths, args.exclude))
    if not files:
        print("no captures found", file=sys.stderr)
        return 1
    problems = []
    lines = 0
    with tempfile.TemporaryDirectory(prefix="netsift-stats-workers-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for p, n in pool.map(lambda f: check(args.bin, f, counts, tmp), files):
                problems += p
                lines += n
    for p in problems:
        print(p)
    print(f"{len(files)} captures, {lines} output lines, workers 1 vs {args.workers}: "
          f"{len(problems)} differences")
    # A run that produced nothing proves nothing.
    return 1 if problems or lines == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
