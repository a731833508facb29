#!/usr/bin/env python3
"""Times netsift against its peers on one capture, in one run, output to /dev/null, and
prints each command's best-of-N wall time and the ratios the project tracks.

Usage: bench/compare.py [--pcap FILE] [--runs N] [--only packets|sessions]
  --pcap defaults to /tmp/bench/bench-1000m.pcap (make it with
  ../shared/bench/make-bench-pcap.sh /tmp/bench 1000; see bench/README.md).
"""
import argparse, os, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def best_time(cmd, runs, env=None):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        with open(os.devnull, "wb") as null:
            p = subprocess.run(cmd, stdout=null, stderr=subprocess.DEVNULL, env=env)
        elapsed = time.perf_counter() - start
        if p.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed with {p.returncode}")
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", default="/tmp/bench/bench-1000m.pcap")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "netsift"))
    ap.add_argument("--nids", default=os.path.join(ROOT, "build", "bench", "nids_reassemble"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=["packets", "sessions"])
    a = ap.parse_args()
    if not os.path.exists(a.pcap):
        raise SystemExit(f"{a.pcap} missing: see bench/README.md")
    # Warm the page cache so every command reads from memory.
    with open(a.pcap, "rb") as f:
        while f.read(1 << 24):
            pass
    size_mb = os.path.getsize(a.pcap) / 1e6
    utc = dict(os.environ, TZ="UTC")
    local = {k: v for k, v in os.environ.items() if k != "TZ"}
    rows = []

    def t(name, cmd, env=None):
        s = best_time(cmd, a.runs, env)
        rows.append((name, s))
        print(f"  {name:44s} {s:7.3f} s  {size_mb / s:8.0f} MB/s", flush=True)
        return s

    print(f"capture: {a.pcap} ({size_mb:.0f} MB), best of {a.runs} runs, output to /dev/null")
    if a.only in (None, "packets"):
        ns_text = t("netsift packets (text)", [a.bin, "packets", "-r", a.pcap, "--no-progress"], local)
        ns_json = t("netsift packets --json", [a.bin, "packets", "-r", a.pcap, "--json", "--no-progress"], local)
        ns_hex = t("netsift packets --hex", [a.bin, "packets", "-r", a.pcap, "--hex", "--no-progress"], local)
        td = t("tcpdump -nn", ["tcpdump", "-nn", "-r", a.pcap], local)
        td_utc = t("TZ=UTC tcpdump -nn", ["tcpdump", "-nn", "-r", a.pcap], utc)
        td_x = t("tcpdump -nn -X", ["tcpdump", "-nn", "-X", "-r", a.pcap], utc)
        print("ratios (higher = netsift faster; targets in parentheses):")
        print(f"  text vs tcpdump -nn          {td / ns_text:6.1f}x  (>= 20)")
        print(f"  text vs TZ=UTC tcpdump -nn   {td_utc / ns_text:6.1f}x  (>= 12)")
        print(f"  --hex vs tcpdump -nn -X      {td_x / ns_hex:6.1f}x  (>= 20)")
        print(f"  --json time / text time      {ns_json / ns_text:6.2f}   (<= 1.2)")
    if a.only in (None, "sessions"):
        ns_s = t("netsift sessions --json", [a.bin, "sessions", "-r", a.pcap, "--json", "--no-progress"])
        # TCP only, like libnids: the BPF filter keeps UDP (and its DNS analysis) out.
        ns_tcp = t("netsift sessions --json tcp", [a.bin, "sessions", "-r", a.pcap, "--json",
                                                   "--no-progress", "tcp"])
        if os.path.exists(a.nids):
            nids = t("libnids reassembly only (bench/nids_reassemble)", [a.nids, a.pcap])
            print("ratios (lower = netsift faster):")
            print(f"  sessions --json tcp / libnids        {ns_tcp / nids:5.2f}  (<= 1.0; both TCP only)")
            print(f"  sessions --json / libnids            {ns_s / nids:5.2f}  (netsift also emits every UDP "
                  "datagram and analyses every DNS message)")
        else:
            print(f"  ({a.nids} not built: cmake with libnids-dev installed)")


if __name__ == "__main__":
    main()
