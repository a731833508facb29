#!/usr/bin/env python3
"""Every SQL query the documentation gives (the ```sql blocks of docs/stats.md and
docs/events.md) runs on the databases netsift writes for a capture built here: a port
scan and a Redis brute force next to ordinary traffic, on 2017-08-18 13:01 UTC (the
documented top-talkers window). Each query must run and return rows; the alert queries
must name the scan and the brute force. `stats` is run without --sqlite in a scratch
directory: its database must be NAME.stats.sqlite there, as docs/stats.md says.

Usage: docs_queries_test.py --bin build/netsift --docs docs
"""
import argparse, os, re, sqlite3, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcap_build import Pcap, TcpConversation  # noqa: E402

T0 = 1503061260.0  # 2017-08-18 13:01:00 UTC
FAILS = []


def check(name, cond, detail=""):
    print("ok  " if cond else "FAIL", name, "" if cond else detail)
    if not cond:
        FAILS.append(name)


def build(path):
    c = Pcap()
    # A vertical scan: 150 ports of one host, refused (RST) but two.
    for i, port in enumerate(range(1, 151)):
        t = T0 + i * 0.05
        c.tcp(t, "10.0.0.66", "10.0.0.9", 50000, port, "S")
        c.tcp(t + 0.001, "10.0.0.9", "10.0.0.66", port, 50000, "SA" if port in (22, 80) else "RA")
    # A Redis brute force as 'admin' from 10.0.0.67: 11 refused passwords, then the right one.
    for i in range(12):
        conv = TcpConversation(c, T0 + 10 + i, "10.0.0.67", "10.0.0.9", 41000 + i, 6379)
        pw = b"Secret-9" if i == 11 else b"guess%02d" % i
        conv.client(b"*3\r\n$4\r\nAUTH\r\n$5\r\nadmin\r\n$%d\r\n%s\r\n" % (len(pw), pw))
        conv.server(b"+OK\r\n" if i == 11 else
                    b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        conv._seg(True, "FA", b"")
        conv._seg(False, "FA", b"")
        conv._seg(True, "A", b"")
    # Ordinary traffic with a public address (the documented country query): a web fetch.
    conv = TcpConversation(c, T0 + 30, "10.0.0.2", "58.217.200.117", 40000, 80)
    conv.client(b"GET / HTTP/1.1\r\nHost: example.cn\r\n\r\n")
    conv.server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    c.write(path)


def queries(doc):
    """The statements of every ```sql block, comments dropped."""
    text = open(doc).read()
    out = []
    for block in re.findall(r"```sql\n(.*?)```", text, re.S):
        body = "\n".join(l for l in block.splitlines() if not l.strip().startswith("--"))
        out += [q.strip() for q in body.split(";") if q.strip()]
    return out


def run_all(db, doc, allow_empty=()):
    con = sqlite3.connect(db)
    qs = queries(doc)
    check(f"{os.path.basename(doc)} has queries", len(qs) >= 3, qs)
    results = {}
    for q in qs:
        try:
            rows = con.execute(q).fetchall()
        except sqlite3.Error as e:
            check(f"query runs: {q[:60]}...", False, e)
            continue
        empty_ok = any(word in q for word in allow_empty)
        check(f"query returns rows: {' '.join(q.split())[:70]}", rows or empty_ok, rows)
        results[q] = rows
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--docs", required=True)
    a = ap.parse_args()
    b, docs = os.path.abspath(a.bin), os.path.abspath(a.docs)
    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, "attack.pcap")
        build(cap)
        p = subprocess.run([b, "stats", "-r", cap, "--scan-ports", "100"], cwd=d, capture_output=True,
                           timeout=120)
        db = os.path.join(d, "attack.stats.sqlite")
        check("stats exits 0 and writes NAME.stats.sqlite in the current directory",
              p.returncode == 0 and os.path.exists(db), (p.returncode, p.stderr[-300:], os.listdir(d)))
        check("the text report names the scan", b"port_scan 10.0.0.66 -> 10.0.0.9" in p.stdout, p.stdout[-600:])
        if os.path.exists(db):
            # Without the GeoIP database (scripts/setup.sh installs it) no address is 'CN'.
            geo = os.path.isdir("/usr/local/share/netsift/geoip") or os.environ.get("NETSIFT_GEOIP_DIR")
            r = run_all(db, os.path.join(docs, "stats.md"), () if geo else ("'CN'",))
            scans = [rows for q, rows in r.items() if "kind = 'port_scan'" in q]
            check("the scan query names the scanner", scans and scans[0]
                  and scans[0][0][:2] == ("10.0.0.66", "10.0.0.9") and scans[0][0][4] == 148, scans)
        ev = os.path.join(d, "events.db")
        p = subprocess.run([b, "sessions", "-r", cap, "--sqlite", ev, "--json"], capture_output=True,
                           timeout=120)
        check("sessions --sqlite exits 0", p.returncode == 0, p.stderr[-300:])
        r = run_all(ev, os.path.join(docs, "events.md"))
        alerts = [rows for q, rows in r.items() if "event = 'alert'" in q]
        kinds = sorted({row[1] for row in alerts[0]}) if alerts else []
        check("the alert query shows the brute force and the login after it",
              kinds == ["brute_force", "login_after_failures"], alerts)
        fails = [rows for q, rows in r.items() if "FROM auth_summary" in q]
        check("the failed-logins query counts 11 for admin",
              fails and fails[0] == [("10.0.0.67", "redis", "admin", 11)], fails)
    print(f"{'FAILED: ' + ', '.join(FAILS) if FAILS else 'all passed'}")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
