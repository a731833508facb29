#!/usr/bin/env python3
"""`netsift stats` end to end: per-packet direction, GeoIP (tiny MaxMind-format
databases built here, in MaxMind's nested layout and in DB-IP's flat one, exact strings
asserted), services, the text line, and the SQLite store (contents by query, append and
replace, a file that is not a database left untouched, a run killed midway still
readable with every committed batch).

Usage: stats_test.py --bin build/netsift
"""
import argparse, json, os, signal, sqlite3, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmdb_writer import write_mmdb  # noqa: E402
from pcap_build import Pcap  # noqa: E402

T0 = 1503062621.0  # 2017-08-18 13:23:41 UTC, the ancestor's example
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL", what)


def run(binary, args, env=None, **kw):
    e = dict(os.environ, NETSIFT_GEOIP_DIR="/nonexistent")
    e.update(env or {})
    return subprocess.run([binary, "stats"] + args, capture_output=True, env=e, timeout=60, **kw)


def events(p):
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def sample_capture(path):
    c = Pcap()
    c.tcp(T0, "58.217.200.117", "10.0.0.2", 14000, 58747, "PA", b"x" * 200)
    c.tcp(T0 + 0.1, "10.0.0.2", "58.217.200.117", 58747, 14000, "A")
    c.udp(T0 + 0.2, "10.0.0.2", "8.8.8.8", 40000, 53, b"q" * 20)
    c.tcp(T0 + 0.3, "10.0.0.2", "203.0.113.5", 40001, 27017, "S")
    c.tcp(T0 + 0.4, "10.0.0.2", "198.51.100.7", 40002, 6379, "S")
    c.tcp(T0 + 0.5, "10.0.0.2", "198.51.100.8", 40003, 9200, "S")
    c.udp(T0 + 0.6, "10.0.0.3", "224.0.0.251", 5353, 5353, b"m" * 10)
    c.tcp(T0 + 0.7, "127.0.0.1", "127.0.0.1", 40004, 5432, "S")
    c.tcp(T0 + 0.8, "58.217.200.117", "8.8.8.8", 40005, 443, "S")
    c.tcp(T0 + 0.9, "2001:db9::1", "fd00::5", 443, 50000, "SA")
    c.write(path)
    return 10


def databases(d):
    city = {"city": {"names": {"en": "Nanjing"}}, "subdivisions": [{"names": {"en": "Jiangsu"}}],
            "country": {"iso_code": "CN", "names": {"en": "China"}}}
    mm = os.path.join(d, "city.mmdb")
    write_mmdb(mm, [("58.217.200.0/24", city), ("2001:db9::/32", {"country": {"iso_code": "SE"}})],
               ip_version=6, database_type="GeoLite2-City")
    asn = os.path.join(d, "asn.mmdb")
    write_mmdb(asn, [("58.217.0.0/16", {"autonomous_system_number": 4134,
                                        "autonomous_system_organization": "Chinanet"})],
               ip_version=6, database_type="GeoLite2-ASN")
    v4 = os.path.join(d, "dbip-city-ipv4.mmdb")
    write_mmdb(v4, [("58.217.200.0/24", {"city": "Nanjing", "state1": "Jiangsu", "state2": "",
                                         "country_code": "CN", "latitude": 32.06})],
               ip_version=4, database_type="city ipv4")
    v6 = os.path.join(d, "dbip-city-ipv6.mmdb")
    write_mmdb(v6, [("2001:db9::/32", {"city": "Lund", "state1": "Skane", "country_code": "SE"})],
               ip_version=6, database_type="city ipv6")
    return mm, asn, v4, v6


def per_packet(binary, cap, args, env=None):
    p = run(binary, ["-r", cap, "--json", "--per-packet", "--no-sqlite"] + args, env)
    check(p.returncode == 0, f"exit {p.returncode}: {p.stderr.decode()[-300:]}")
    return [e for e in events(p) if e["event"] == "ip"], p


def test_geo(binary, d, cap):
    mm, asn, v4, v6 = databases(d)
    ip, p = per_packet(binary, cap, ["--geoip-db", mm, "--geoip-db", asn])
    check(len(ip) == 10, f"10 ip events, got {len(ip)}")
    first = ip[0]
    want = {"direct": "IN", "proto": "tcp", "src_ip": "58.217.200.117", "src_port": 14000,
            "src_ip_geo": "Nanjing, Jiangsu, CN", "src_country": "CN", "src_asn": 4134,
            "src_as_org": "Chinanet", "dst_ip": "10.0.0.2", "dst_port": 58747, "dst_ip_geo": "LAN",
            "src_port_service": "scotty-ft", "tcp_flags": "PA", "packet_length": 240,
            "data_length": 200}
    for k, v in want.items():
        check(first.get(k) == v, f"first packet {k}={first.get(k)!r}, want {v!r}")
    check("dst_port_service" not in first, "no service for port 58747")
    geo = {(e["src_ip"], e["dst_ip"]): (e.get("src_ip_geo"), e.get("dst_ip_geo")) for e in ip}
    check(geo[("10.0.0.2", "8.8.8.8")] == ("LAN", "unknown"), f"8.8.8.8: {geo[('10.0.0.2', '8.8.8.8')]}")
    check(geo[("10.0.0.2", "203.0.113.5")][1] == "documentation", "203.0.113.5 is documentation")
    check(geo[("10.0.0.3", "224.0.0.251")][1] == "multicast", "224.0.0.251 is multicast")
    check(geo[("127.0.0.1", "127.0.0.1")] == ("loopback", "loopback"), "127.0.0.1 is loopback")
    check(geo[("2001:db9::1", "fd00::5")] == ("SE", "LAN"), f"v6: {geo[('2001:db9::1', 'fd00::5')]}")
    svc = {e.get("dst_port"): e.get("dst_port_service") for e in ip}
    for port, name in ((27017, "mongodb"), (6379, "redis"), (9200, "elasticsearch"), (53, "dns"),
                       (5432, "postgresql"), (443, "https")):
        check(svc.get(port) == name, f"port {port} service {svc.get(port)!r}, want {name}")
    dirs = {(e["src_ip"], e["dst_ip"]): e["direct"] for e in ip}
    check(dirs[("10.0.0.2", "8.8.8.8")] == "OUT", "10.0.0.2 -> 8.8.8.8 is OUT")
    check(dirs[("127.0.0.1", "127.0.0.1")] == "LOOP", "loopback is LOOP")
    check(dirs[("58.217.200.117", "8.8.8.8")] == "OTHER", "public to public is OTHER")
    check(b"no GeoIP database" not in p.stderr, "databases given: no warning")
    # DB-IP's flat layout, IPv4 and IPv6 in separate files.
    ip, _ = per_packet(binary, cap, ["--geoip-db", v4, "--geoip-db", v6])
    check(ip[0].get("src_ip_geo") == "Nanjing, Jiangsu, CN", f"DB-IP layout: {ip[0].get('src_ip_geo')}")
    check(ip[-1].get("src_ip_geo") == "Lund, Skane, SE", f"DB-IP IPv6: {ip[-1].get('src_ip_geo')}")
    # The default database directory (what scripts/setup.sh installs).
    ip, p = per_packet(binary, cap, [], env={"NETSIFT_GEOIP_DIR": d})
    check(ip[-1].get("src_ip_geo") == "Lund, Skane, SE", "default directory found")
    # --home moves the boundary.
    ip, _ = per_packet(binary, cap, ["--home", "58.217.200.0/24", "--no-geoip"])
    check(ip[0]["direct"] == "OUT", f"--home: {ip[0]['direct']}")
    check(ip[1]["direct"] == "IN", f"--home: {ip[1]['direct']}")
    # Without any database: said once, private ranges still named.
    ip, p = per_packet(binary, cap, [])
    check(p.stderr.decode().count("no GeoIP database") == 1, "no database: said exactly once")
    check("src_ip_geo" not in ip[0] and ip[0].get("dst_ip_geo") == "LAN", f"no database: {ip[0]}")
    bad = run(binary, ["-r", cap, "--no-sqlite", "--geoip-db", cap])
    check(bad.returncode == 1 and b"GeoIP database" in bad.stderr, "a non-MMDB file is an error")
    # The ancestor's text line.
    p = run(binary, ["-r", cap, "--per-packet", "--utc", "--no-sqlite", "--geoip-db", mm])
    line = p.stdout.decode().splitlines()[0]
    want_line = ("IN\t2017-08-18 13:23:41 TCP 58.217.200.117:14000(Nanjing, Jiangsu, CN)(scotty-ft) "
                 "10.0.0.2:58747(LAN)(NONE) 240")
    check(line == want_line, f"text line {line!r}")
    check(b"== netsift stats ==" in p.stdout, "text report follows")


def test_sqlite(binary, d, cap):
    db = os.path.join(d, "s.sqlite")
    p = run(binary, ["-r", cap, "--per-packet", "--sqlite", db, "--no-geoip"])
    check(p.returncode == 0, f"sqlite run exit {p.returncode} {p.stderr.decode()[-200:]}")
    con = sqlite3.connect(db)
    q = lambda sql: con.execute(sql).fetchall()
    check(q("PRAGMA journal_mode")[0][0] == "wal", "WAL journal")
    check(q("SELECT count(*) FROM ip_statistic_tuple")[0][0] == 10, "10 per-packet rows")
    check(q("SELECT direct, src_ip, src_port, dst_ip, dst_port, packet_length FROM ip_statistic_tuple "
            "ORDER BY ts LIMIT 1") == [("IN", "58.217.200.117", 14000, "10.0.0.2", 58747, 240)],
          "first per-packet row")
    top = q("SELECT ip, sum(bytes_in + bytes_out) b FROM host_stats GROUP BY ip ORDER BY b DESC, ip LIMIT 1")
    check(top == [("10.0.0.2", 240 + 40 + 48 + 40 * 3)], f"top talker {top}")
    flows = q("SELECT client_ip, client_port, server_ip, server_port, packets_to_server, "
              "packets_to_client, service FROM flows WHERE server_port = 14000")
    check(flows == [("10.0.0.2", 58747, "58.217.200.117", 14000, 1, 1, "scotty-ft")], f"flow {flows}")
    check(q("SELECT count(*), sum(complete) FROM stats_runs") == [(1, 1)], "one complete run")
    summ = json.loads(q("SELECT summary FROM stats_runs")[0][0])
    check(summ["ipv4_packets"] == 9 and summ["ipv6_packets"] == 1, "summary stored")
    con.close()
    p = run(binary, ["-r", cap, "--per-packet", "--sqlite", db, "--no-geoip"])
    con = sqlite3.connect(db)
    check(con.execute("SELECT count(*) FROM stats_runs").fetchone()[0] == 2, "append: two runs")
    check(con.execute("SELECT count(*) FROM ip_statistic_tuple").fetchone()[0] == 20, "append: 20 rows")
    con.close()
    p = run(binary, ["-r", cap, "--per-packet", "--sqlite", db, "--sqlite-replace", "--no-geoip"])
    con = sqlite3.connect(db)
    check(con.execute("SELECT count(*), min(run_id) FROM stats_runs").fetchone() == (1, 3),
          "replace: only the new run")
    check(con.execute("SELECT count(*) FROM ip_statistic_tuple").fetchone()[0] == 10, "replace: 10 rows")
    check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity")
    con.close()
    # Without --per-packet there is no per-packet table in a fresh database.
    db2 = os.path.join(d, "agg.sqlite")
    run(binary, ["-r", cap, "--sqlite", db2, "--no-geoip"])
    con = sqlite3.connect(db2)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    check("ip_statistic_tuple" not in tables and "host_stats" in tables, f"tables {sorted(tables)}")
    con.close()
    # A file that is not a database is refused and left alone.
    junk = os.path.join(d, "junk.sqlite")
    open(junk, "wb").write(b"not a database, just text\n" * 100)
    before = open(junk, "rb").read()
    p = run(binary, ["-r", cap, "--sqlite", junk, "--no-geoip"])
    check(p.returncode == 1 and b"junk.sqlite" in p.stderr, f"junk: exit {p.returncode} {p.stderr[-200:]}")
    check(open(junk, "rb").read() == before, "junk file untouched")
    # The default name: after the input, in the current directory.
    run(binary, ["-r", cap, "--no-geoip"], cwd=d)
    check(os.path.exists(os.path.join(d, "sample.stats.sqlite")), "default database name")


def test_kill(binary, d):
    c = Pcap()
    for i in range(6000):
        c.udp(T0 + i * 0.0001, "10.0.0.2", "10.0.0.3", 40000 + i % 100, 9999, b"k" * 20)
    cap = os.path.join(d, "kill.pcap")
    c.write(cap)
    data = open(cap, "rb").read()
    db = os.path.join(d, "kill.sqlite")
    p = subprocess.Popen([binary, "stats", "-r", "-", "--per-packet", "--sqlite", db,
                          "--sqlite-batch", "100", "--no-geoip", "--json"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Header and the first half at once, the rest never: the run blocks on its input.
    p.stdin.write(data[:24 + (16 + 14 + 20 + 8 + 20) * 3050])
    p.stdin.flush()
    rows, deadline = 0, time.time() + 30
    while time.time() < deadline and rows < 3000:
        time.sleep(0.1)
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            rows = con.execute("SELECT count(*) FROM ip_statistic_tuple").fetchone()[0]
            con.close()
        except sqlite3.Error:
            pass
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdin.close()
    con = sqlite3.connect(db)
    check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "killed: integrity ok")
    n = con.execute("SELECT count(*) FROM ip_statistic_tuple").fetchone()[0]
    check(n == 3000, f"killed: every committed batch of 100 is there ({n} rows of 3050 sent)")
    check(con.execute("SELECT count(*), sum(complete) FROM stats_runs").fetchone() == (1, 0),
          "killed: the run is recorded as incomplete")
    con.close()

    # SIGINT while the file is being read: what was read is counted and stored with its
    # summary, but the run did not cover the input, so it stays complete = 0 and the
    # summary says `interrupted`; a file read to its end is complete.
    db = os.path.join(d, "int.sqlite")
    p = subprocess.Popen([binary, "stats", "-r", "-", "--sqlite", db, "--no-geoip", "--json"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(data[:24 + (16 + 14 + 20 + 8 + 20) * 3050])
    p.stdin.flush()
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
    p.stdin.close()
    out = p.stdout.read().decode().splitlines()
    summary = json.loads(out[-1]) if out else {}
    check(p.returncode == 0 and summary.get("event") == "stats_summary"
          and summary.get("packets") == 3050 and summary.get("interrupted") is True,
          f"SIGINT: summary of the 3050 packets read, interrupted ({p.returncode}, {summary})")
    con = sqlite3.connect(db)
    row = con.execute("SELECT count(*), sum(complete), max(packets) FROM stats_runs").fetchone()
    check(row == (1, 0, 3050), f"SIGINT: the stored run has its packets and is not complete {row}")
    stored = json.loads(con.execute("SELECT summary FROM stats_runs").fetchone()[0])
    check(stored.get("interrupted") is True, "SIGINT: the stored summary says interrupted")
    con.close()
    whole = os.path.join(d, "whole.sqlite")
    subprocess.run([binary, "stats", "-r", cap, "--sqlite", whole, "--no-geoip", "--json"],
                   stdout=subprocess.DEVNULL, check=True)
    con = sqlite3.connect(whole)
    check(con.execute("SELECT sum(complete) FROM stats_runs").fetchone()[0] == 1
          and "interrupted" not in con.execute("SELECT summary FROM stats_runs").fetchone()[0],
          "a file read to its end: complete, not interrupted")
    con.close()


def http_flow(c, t, client, server, cport, sport):
    c.tcp(t, client, server, cport, sport, "S")
    c.tcp(t + 0.001, server, client, sport, cport, "SA")
    c.tcp(t + 0.002, client, server, cport, sport, "A")
    c.tcp(t + 0.003, client, server, cport, sport, "PA",
          b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n\r\n")
    c.tcp(t + 0.004, server, client, sport, cport, "PA",
          b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello")
    c.tcp(t + 0.005, client, server, cport, sport, "FA")
    c.tcp(t + 0.006, server, client, sport, cport, "FA")


def test_dpi(binary, d):
    c = Pcap()
    http_flow(c, T0, "10.0.0.2", "10.0.0.3", 40000, 5601)  # HTTP on Kibana's port
    http_flow(c, T0 + 1, "10.0.0.2", "10.0.0.3", 40001, 80)  # HTTP where expected
    cap = os.path.join(d, "dpi.pcap")
    c.write(cap)
    p = run(binary, ["-r", cap, "--json", "--no-sqlite", "--no-geoip"])
    flows = {e["dst_port"]: e for e in events(p) if e["event"] == "flow"}
    check(flows[5601].get("service") == "kibana" and flows[5601].get("app") == "HTTP",
          f"nDPI names HTTP on 5601: {flows[5601]}")
    check(flows[80].get("service") == "http" and "app" not in flows[80],
          f"no app where the service says it: {flows[80]}")
    check(flows[5601].get("tcp_state") == "closed", "handshake and FINs seen")
    p = run(binary, ["-r", cap, "--json", "--no-sqlite", "--no-geoip", "--no-dpi"])
    check(all("app" not in e for e in events(p) if e["event"] == "flow"), "--no-dpi: no app")
    db = os.path.join(d, "dpi.sqlite")
    run(binary, ["-r", cap, "--sqlite", db, "--no-geoip"])
    con = sqlite3.connect(db)
    rows = con.execute("SELECT server_port, service, app FROM flows ORDER BY server_port").fetchall()
    check(rows == [(80, "http", None), (5601, "kibana", "HTTP")], f"flows.app {rows}")
    con.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, "sample.pcap")
        sample_capture(cap)
        test_geo(binary, d, cap)
        test_sqlite(binary, d, cap)
        test_kill(binary, d)
        test_dpi(binary, d)
    print("stats e2e:", "FAILED" if FAILS else "ok", len(FAILS), "failures")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
