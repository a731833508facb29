#!/usr/bin/env python3
"""Command-line behaviour of netsift: exit codes, -r/-c/-w, stdin, BPF filters,
asset filters, damaged files, several inputs. Runs against the bundled examples.

Usage: cli_test.py --bin build/netsift --examples examples
Prints 'N passed, M failed' and exits non-zero on any failure.
"""
import argparse, json, os, shutil, sqlite3, subprocess, sys, tempfile

RESULTS = []


def check(name, cond, detail=""):
    RESULTS.append((name, bool(cond), detail))
    if not cond:
        print(f"FAIL {name}: {detail}")


def run(binary, *args, stdin=None):
    return subprocess.run([binary, *args], capture_output=True, input=stdin, timeout=120)


def events(p):
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--examples", required=True)
    a = ap.parse_args()
    b, ex = os.path.abspath(a.bin), os.path.abspath(a.examples)
    http = os.path.join(ex, "http-get.pcap")
    tmp = tempfile.mkdtemp(prefix="netsift-cli-")
    try:
        p = run(b, "--help")
        check("help exits 0", p.returncode == 0 and b"packets" in p.stdout, p.stderr)
        p = run(b, "packets", "--no-such-flag", "-r", http)
        check("bad flag exits 64", p.returncode == 64, p.returncode)
        p = run(b, "packets")
        check("no input exits 1", p.returncode == 1 and b"-r FILE" in p.stderr, p.stderr)

        p = run(b, "packets", "-r", os.path.join(tmp, "missing.pcap"))
        check("missing file exits 1 naming it", p.returncode == 1 and b"missing.pcap" in p.stderr, p.stderr)

        p = run(b, "packets", "-r", http, "--json")
        all_events = events(p)
        check("one event per frame", len(all_events) == 14 and [e["frame"] for e in all_events] == list(range(1, 15)),
              len(all_events))
        check("summary on stderr", b"14 frames read" in p.stderr, p.stderr)

        p = run(b, "packets", "-r", http, "--json", "-c", "3")
        check("-c 3 stops after three", len(events(p)) == 3, len(events(p)))

        p = run(b, "packets", "-r", http, "--json", "tcp", "and", "src", "port", "80")
        ev = events(p)
        check("BPF filter", len(ev) > 0 and all(e["src_port"] == 80 for e in ev), ev[:1])
        check("BPF filtered counted", b"filtered out" in p.stderr and b" 0 filtered" not in p.stderr, p.stderr)
        p = run(b, "packets", "-r", http, "icmp")
        check("BPF excluding all", p.returncode == 0 and p.stdout == b"", p.stdout[:100])
        p = run(b, "packets", "-r", http, "tcp", "port", "(")
        check("bad BPF exits 1", p.returncode == 1 and b"filter" in p.stderr, p.stderr)

        p = run(b, "packets", "-r", http, "--json", "--host", "192.150.187.43", "--port", "80")
        check("asset filters keep matching", len(events(p)) == 14)
        p = run(b, "packets", "-r", http, "--json", "--host", "10.9.9.9")
        check("asset host filter drops others", len(events(p)) == 0)
        p = run(b, "packets", "-r", http, "--json", "--port", "443,22")
        check("asset port filter drops others", len(events(p)) == 0)
        p = run(b, "packets", "-r", http, "--host", "not-an-ip")
        check("bad --host exits 1", p.returncode == 1, p.stderr)

        out = os.path.join(tmp, "copy.pcap")
        p = run(b, "packets", "-r", http, "-w", out, "-q", "port", "80")
        check("-w writes", p.returncode == 0 and os.path.getsize(out) > 24, p.stderr)
        p = run(b, "packets", "-r", out, "--json")
        copy = events(p)
        check("-w round trip", [(e["tcp_seq"], e["ts"]) for e in copy] == [(e["tcp_seq"], e["ts"]) for e in all_events])

        with open(http, "rb") as f:
            data = f.read()
        p = run(b, "packets", "-r", "-", "--json", stdin=data)
        check("stdin", len(events(p)) == 14, p.stderr)

        cut = os.path.join(tmp, "cut.pcap")
        with open(cut, "wb") as f:
            f.write(data[: len(data) - 30])
        p = run(b, "packets", "-r", cut, "--json")
        check("damaged file exits 2", p.returncode == 2, p.returncode)
        check("damaged file: packets before the damage", len(events(p)) == 13, len(events(p)))
        check("damaged file: names file and offset", b"cut.pcap" in p.stderr and b"byte offset" in p.stderr, p.stderr)

        p = run(b, "packets", "-r", http, "-r", os.path.join(ex, "zeek-icmp-ping.pcap"), "--json")
        ev = events(p)
        check("several inputs", len(ev) == 18 and ev[14]["frame"] == 1, len(ev))

        p = run(b, "packets", "-r", os.path.join(ex, "pcapng-multi-interface.pcapng"), "--json")
        ev = events(p)
        check("pcapng multi-interface", len(ev) == 6 and p.returncode == 0, p.stderr)

        p = run(b, "packets", "-r", http, "--utc")
        lines = p.stdout.decode().splitlines()
        check("text one line per frame", len(lines) == 14 and lines[0].startswith("[TCP]\t[1362692526.869344\t2013-03-07 21:42:06]"),
              lines[:1])
        p = run(b, "packets", "-r", http, "--hex", "-c", "1")
        check("--hex dump", b"\t0x0000:  " in p.stdout, p.stdout[:200])

        # sessions
        p = run(b, "sessions", "-r", http, "--json")
        ev = events(p)
        s = [e for e in ev if e["event"] == "tcp_session"]
        check("sessions: one tcp_session", len(s) == 1 and s[0]["bytes_to_server"] == 136
              and s[0]["bytes_to_client"] == 5007 and s[0]["state"] == "fin", s)
        p = run(b, "sessions", "-r", http, "--json", "--stream")
        data = [e for e in events(p) if e["event"] == "tcp_data"]
        check("sessions --stream: chunks in order per direction",
              sum(e["length"] for e in data if e["direction"] == "to_client") == 5007
              and data[0]["direction"] == "to_server" and data[0]["offset"] == 0, data[:1])
        p = run(b, "sessions", "-r", http, "--utc")
        check("sessions text", b"[TCP DATA Bi-Direct]" in p.stdout and b">>> client to server data (136 bytes)" in p.stdout,
              p.stdout[:200])
        p = run(b, "sessions", "-r", http, "--utc", "--max-session-data-total", "100")
        check("whole-session text respects the total cap and says so",
              b"[36 bytes to_server not shown" in p.stdout and b"[5007 bytes to_client not shown" in p.stdout,
              p.stdout[-300:])
        p = run(b, "sessions", "-r", http, "--json", "--tcp-dst-port", "443")
        check("sessions filter by server port", not [e for e in events(p) if e["event"] == "tcp_session"])

        cfg = os.path.join(ex, "netsift.yaml")
        p = subprocess.run([b, "run", "--config", cfg], capture_output=True, cwd=os.path.dirname(ex))
        check("run --config example", p.returncode == 0 and b"[TCP DATA Bi-Direct]" in p.stdout, p.stderr)
        p = subprocess.run([b, "sessions", "--config", cfg, "--json"], capture_output=True, cwd=os.path.dirname(ex))
        check("command line overrides config (--json)", p.returncode == 0 and p.stdout.startswith(b"{"), p.stdout[:80])
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("output:\n  jsn: true\n")
        p = run(b, "run", "--config", bad)
        check("unknown config key names it", p.returncode == 1 and b"output.jsn" in p.stderr, p.stderr)
        with open(bad, "w") as f:
            f.write("limits:\n  udp_timeout: -3\n")
        p = run(b, "run", "--config", bad)
        check("bad config value names it", p.returncode == 1 and b"limits.udp_timeout" in p.stderr, p.stderr)

        outdir = os.path.join(tmp, "out")
        db = os.path.join(tmp, "events.db")
        p = run(b, "sessions", "-r", os.path.join(ex, "ipv6-fragmented-dns.pcap"), "--output-dir", outdir,
                "--sqlite", db)
        files = sorted(os.listdir(outdir)) if os.path.isdir(outdir) else []
        check("--output-dir: one file per event kind", files == ["dns.jsonl", "udp.jsonl"], files)
        rows = sqlite3.connect(db).execute("select event, count(*) from events group by event").fetchall()
        check("--sqlite stores events", rows == [("dns", 5), ("udp", 5)], rows)
    finally:
        shutil.rmtree(tmp)
    passed = sum(1 for r in RESULTS if r[1])
    failed = len(RESULTS) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
