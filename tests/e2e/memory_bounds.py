#!/usr/bin/env python3
"""Memory stays bounded whatever the traffic:
  1. one million distinct SYNs (a SYN flood / scan) with --max-flows 100000: peak RSS
     stays far below what a million tracked flows would need, and every flow that the cap
     ended early is reported (evicted count in the summary, one tcp_session each);
  2. one never-closing connection whose first segment is missing, followed by 64 MB of
     data that can never become contiguous: with --max-buffer-per-direction 1 MiB the
     held bytes stay capped, the hole is reported as a gap, and RSS stays small;
  3. `stats` over the same SYN flood (a million spoofed sources) with its caps at
     100,000 (flows, addresses, set entries): RSS stays bounded, the bucket totals still
     count every packet and flow, and what the caps turned away is reported (summary
     `capped`, bucket `host_updates_capped`, a line on stderr) instead of lost silently.
Peak RSS is read from getrusage of the child. Usage: memory_bounds.py --bin build/netsift
"""
import argparse, json, os, struct, subprocess, sys, tempfile

RESULTS = []


def check(name, cond, detail=""):
    RESULTS.append(cond)
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))


def checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def frame(src, dst, sport, dport, seq, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + tcp + payload


def write_pcap(path, frames):
    with open(path, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1000000 + i // 10000, i % 10000, len(fr), len(fr)))
            f.write(fr)


class Result:
    pass


def run(binary, args, out_path):
    """Runs netsift with stdout to a file (keeps this process small, so the child's
    peak RSS is its own) and returns exit status, stderr and the child's peak RSS."""
    with open(out_path, "wb") as out, open(out_path + ".err", "wb") as err:
        child = subprocess.Popen([binary] + args, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
    r = Result()
    r.returncode = os.waitstatus_to_exitcode(status)
    r.stderr = open(out_path + ".err", "rb").read()
    r.out_path = out_path
    return r, usage.ru_maxrss, 0


def lines(path):
    with open(path, "rb") as f:
        for line in f:
            yield line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--syns", type=int, default=1_000_000)
    ap.add_argument("--max-flows", type=int, default=100_000)
    ap.add_argument("--no-rss", action="store_true", help="skip the RSS bounds (sanitizer builds)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="netsift-mem-")
    try:
        flood = os.path.join(tmp, "flood.pcap")
        dst = bytes([10, 0, 0, 1])

        def syns():
            for i in range(a.syns):
                src = bytes([172, 16 + (i >> 16) % 16, (i >> 8) & 255, i & 255])
                yield frame(src, dst, 1024 + (i % 50000), 80, (i * 7919) & 0xffffffff, 0x02)
        write_pcap(flood, syns())
        p, rss, _ = run(a.bin, ["sessions", "-r", flood, "--json", "--max-flows", str(a.max_flows), "--no-progress"],
                        os.path.join(tmp, "flood.out"))
        sessions = sum(1 for l in lines(p.out_path) if b'"tcp_session"' in l)
        check("SYN flood: exit 0", p.returncode == 0, p.stderr[-500:])
        check("SYN flood: one tcp_session per SYN", sessions == a.syns, sessions)
        evicted = [l for l in p.stderr.decode().splitlines() if "evicted" in l]
        check("SYN flood: evictions reported", evicted and f"{a.syns - a.max_flows} evicted" in evicted[0], evicted)
        if not a.no_rss:
            check(f"SYN flood: peak RSS {rss // 1024} MiB < 160 MiB", rss < 160 * 1024, rss)

        cap = str(a.max_flows)
        p, rss, _ = run(a.bin, ["stats", "-r", flood, "--json", "--no-sqlite", "--no-geoip", "--no-progress",
                                "--max-flows", cap, "--max-addresses", cap, "--max-set-entries", cap],
                        os.path.join(tmp, "stats.out"))
        # Not the million `flow` events: this process's size would be inherited as the
        # next child's peak RSS (Linux keeps the high-water mark across fork + exec).
        events = [json.loads(l) for l in lines(p.out_path) if not l.startswith(b'{"event":"flow"')]
        buckets = [e for e in events if e["event"] == "stats_bucket"]
        summary = [e for e in events if e["event"] == "stats_summary"]
        check("stats SYN flood: exit 0", p.returncode == 0, p.stderr[-500:])
        check("stats SYN flood: every packet and flow in the buckets",
              sum(b["packets"] for b in buckets) == a.syns and sum(b["flows"] for b in buckets) == a.syns,
              [(b["packets"], b["flows"]) for b in buckets])
        check("stats SYN flood: no bucket holds more host rows than the cap",
              all(b["hosts"] <= a.max_flows for b in buckets), [b["hosts"] for b in buckets])
        dropped = sum(b.get("host_updates_capped", 0) for b in buckets)
        check("stats SYN flood: capped host rows reported per bucket", dropped >= a.syns - 3 * a.max_flows, dropped)
        capped = summary[0].get("capped", {}) if summary else {}
        check("stats SYN flood: summary reports the caps",
              capped.get("bucket_host_updates") == dropped and capped.get("bucket_set_entries", 0) > 0
              and summary[0].get("flows_evicted") == a.syns - a.max_flows, summary[-1:])
        check("stats SYN flood: caps named on stderr", b"stats memory caps reached" in p.stderr, p.stderr[-300:])
        check("stats SYN flood: the flood is still alerted",
              any(e["event"] == "alert" and e.get("kind") == "syn_flood" for e in events), "no syn_flood alert")
        if not a.no_rss:
            check(f"stats SYN flood: peak RSS {rss // 1024} MiB < 400 MiB", rss < 400 * 1024, rss)

        hole = os.path.join(tmp, "hole.pcap")
        src, dst = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 3])
        chunk = bytes(range(256)) * 5 + b"x" * 120  # 1400 bytes
        n = (64 << 20) // len(chunk)

        def segments():
            yield frame(src, dst, 40000, 8080, 1000, 0x02)
            # the first 1400 data bytes (seq 1001) are never captured
            for i in range(1, n):
                yield frame(src, dst, 40000, 8080, 1001 + i * len(chunk), 0x18, chunk)
        write_pcap(hole, segments())
        p, rss, before = run(a.bin, ["sessions", "-r", hole, "--json", "--max-buffer-per-direction",
                                     str(1 << 20), "--no-progress"], os.path.join(tmp, "hole.out"))
        events = [json.loads(l) for l in lines(p.out_path)]
        s = [e for e in events if e["event"] == "tcp_session"]
        check("hole: exit 0", p.returncode == 0, p.stderr[-500:])
        check("hole: one session", len(s) == 1, len(s))
        if s:
            check("hole: gap reported", s[0]["gaps"] >= 1 and s[0]["gap_bytes"] >= 1400, s[0])
            check("hole: cap-dropped bytes reported", s[0].get("cap_dropped_bytes", 0) >= 1400, s[0])
            check("hole: data after the hole delivered", s[0]["bytes_to_server"] == (n - 1) * len(chunk), s[0])
        if not a.no_rss:
            check(f"hole: peak RSS {rss // 1024} MiB < 160 MiB", rss < 160 * 1024, rss)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    passed = sum(1 for r in RESULTS if r)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    sys.exit(0 if passed == len(RESULTS) else 1)


if __name__ == "__main__":
    main()
