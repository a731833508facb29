#!/usr/bin/env python3
"""Robustness over hostile captures: every file under the given directories is run
through every output mode; each run must end on its own (no crash, no hang, no
sanitizer report) with exit status 0, 1 or 2, and one packet event per frame read.

Usage: malformed_corpus.py --bin build/netsift DIR... [--jobs N] [--timeout S]
"""
import argparse, concurrent.futures, glob, json, os, subprocess, sys

MODES = [
    ["packets", "--json"],
    ["packets", "--utc"],
    ["packets", "--utc", "--hex", "-x"],
    ["packets", "-q", "--verify-checksums"],
]


def run_one(binary, cap, mode, timeout):
    cmd = [binary] + mode + ["-r", cap, "--no-progress"]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{cap} {' '.join(mode)}: hang (> {timeout}s)"
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0 or p.returncode not in (0, 1, 2):
        return f"{cap} {' '.join(mode)}: exit {p.returncode}\n{err[-2000:]}"
    if "Sanitizer" in err or "runtime error:" in err:
        return f"{cap} {' '.join(mode)}: sanitizer report\n{err[-3000:]}"
    if mode[:2] == ["packets", "--json"]:
        events = []
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                return f"{cap}: non-JSON output line: {line[:200]}"
        read = [l for l in err.splitlines() if "frames read" in l]
        if read:
            n = int(read[-1].split()[1])
            got = sum(1 for e in events if e.get("event") == "packet")
            if n != got:
                return f"{cap}: {got} packet events for {n} frames read"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--mode", action="append", default=[], help="extra mode, e.g. 'sessions --json'")
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    caps = []
    for d in a.dirs:
        caps += sorted(f for f in glob.glob(os.path.join(d, "**", "*"), recursive=True) if os.path.isfile(f))
    modes = MODES + [m.split() for m in a.mode]
    failures = []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futs = [pool.submit(run_one, a.bin, c, m, a.timeout) for c in caps for m in modes]
        for f in futs:
            r = f.result()
            if r:
                failures.append(r)
    for f in failures:
        print("FAIL", f)
    print(f"{len(caps)} captures x {len(modes)} modes: {len(failures)} failures")
    sys.exit(1 if failures or not caps else 0)


if __name__ == "__main__":
    main()
