#!/usr/bin/env python3
"""Robustness over hostile captures: every file under the given directories is run
through every output mode; each run must end on its own (no crash, no hang, no
sanitizer report) with exit status 0, 1 or 2, and one packet event per frame read.
A mode may name `{tmp}`, a fresh directory per run (for --sqlite, --extract-files).
--bench-cut FILE:MB adds the first MB megabytes of a large capture (when it exists).

Usage: malformed_corpus.py --bin build/netsift DIR|FILE... [--jobs N] [--timeout S]
           [--only-modes] [--mode "sessions --json --sqlite {tmp}/e.db"]... [--exclude S]
"""
import argparse, concurrent.futures, glob, json, os, struct, subprocess, sys, tempfile

MODES = [
    ["packets", "--json"],
    ["packets", "--utc"],
    ["packets", "--utc", "--hex", "-x"],
    ["packets", "-q", "--verify-checksums"],
]


def run_one(binary, cap, mode, timeout):
    with tempfile.TemporaryDirectory(prefix="netsift-robust-") as tmp:
        cmd = [binary] + [m.replace("{tmp}", tmp) for m in mode] + ["-r", cap, "--no-progress"]
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"{cap} {' '.join(mode)}: hang (> {timeout}s)"
    return judge(p, cap, mode)


def judge(p, cap, mode):
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


def cut_pcap(src, limit, dst):
    """The first records of a classic pcap file, whole, up to `limit` bytes."""
    with open(src, "rb") as f, open(dst, "wb") as out:
        header = f.read(24)
        out.write(header)
        order = "<" if header[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        done = 24
        while done < limit:
            rec = f.read(16)
            if len(rec) < 16:
                break
            incl = struct.unpack(order + "IIII", rec)[2]
            data = f.read(incl)
            if len(data) < incl:
                break
            out.write(rec + data)
            done += 16 + incl
    return dst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--mode", action="append", default=[], help="extra mode, e.g. 'sessions --json'")
    ap.add_argument("--only-modes", action="store_true", help="the --mode ones, not the packet modes")
    ap.add_argument("--exclude", action="append", default=[], help="skip paths containing this")
    ap.add_argument("--bench-cut", help="FILE:MB, the first MB megabytes of FILE")
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    caps = []
    for d in a.dirs:
        if os.path.isfile(d):
            caps.append(d)
            continue
        caps += sorted(f for f in glob.glob(os.path.join(d, "**", "*"), recursive=True)
                       if os.path.isfile(f) and not f.endswith((".md", ".yaml", ".tsv", ".json")))
    caps = [c for c in caps if not any(x in c for x in a.exclude)]
    modes = ([] if a.only_modes else MODES) + [m.split() for m in a.mode]
    cut_dir = tempfile.TemporaryDirectory(prefix="netsift-bench-cut-")
    if a.bench_cut:
        src, mb = a.bench_cut.rsplit(":", 1)
        if os.path.exists(src):
            caps.append(cut_pcap(src, int(mb) << 20, os.path.join(cut_dir.name, "bench-cut.pcap")))
        else:
            print(f"note: {src} absent, no bench cut")
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
