#!/usr/bin/env python3
"""Anomaly alerts of `netsift stats` on synthetic captures built here, and on real nmap
traffic from examples/: each scenario
must give exactly the alerts listed (kind, source, destination, port, count) — the
attack is found and the ordinary traffic next to it is not. Thresholds are lowered
with the command-line flags where the defaults would need huge captures.

Usage: stats_alerts_test.py --bin build/netsift
"""
import argparse, json, os, random, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcap_build import Pcap, dns_query, dns_response  # noqa: E402

T0 = 1700000040.0  # a multiple of 60: every scenario starts a bucket
FAILS = []


def alerts(binary, cap, args):
    p = subprocess.run([binary, "stats", "-r", cap, "--json", "--no-sqlite", "--no-geoip"] + args,
                       capture_output=True, timeout=120)
    if p.returncode != 0:
        FAILS.append(f"{cap}: exit {p.returncode} {p.stderr.decode()[-300:]}")
    out = []
    for l in p.stdout.decode().splitlines():
        e = json.loads(l)
        if e["event"] == "alert":
            out.append((e["kind"], e.get("src_ip"), e.get("dst_ip"), e.get("port"), e["count"]))
    return sorted(out, key=str)


def scenario(name, binary, d, build, args, want):
    if isinstance(build, str):  # a real capture
        cap = build
    else:
        c = Pcap()
        build(c)
        cap = os.path.join(d, name + ".pcap")
        c.write(cap)
    got = alerts(binary, cap, args)
    want = sorted(want, key=str)
    ok = got == want
    print("ok  " if ok else "FAIL", name, got if not ok else "")
    if not ok:
        FAILS.append(f"{name}: got {got}, want {want}")


def vertical_scan(c):
    for i, port in enumerate(range(1, 201)):
        t = T0 + i * 0.05
        c.tcp(t, "10.0.0.66", "10.0.0.9", 50000, port, "S")
        if port in (22, 80):
            c.tcp(t + 0.001, "10.0.0.9", "10.0.0.66", port, 50000, "SA")
        else:
            c.tcp(t + 0.001, "10.0.0.9", "10.0.0.66", port, 50000, "RA")
    # A busy but ordinary client: 150 connections to one web server, all answered.
    for i in range(150):
        t = T0 + 1 + i * 0.1
        c.tcp(t, "10.0.0.70", "10.0.0.80", 40000 + i, 443, "S")
        c.tcp(t + 0.001, "10.0.0.80", "10.0.0.70", 443, 40000 + i, "SA")
        c.tcp(t + 0.002, "10.0.0.70", "10.0.0.80", 40000 + i, 443, "A")


def horizontal_scan(c):
    for i in range(60):
        c.tcp(T0 + i * 0.1, "10.0.0.66", f"10.0.1.{i + 1}", 50001, 22, "S")
    # A client that reaches 60 web servers, each answering.
    for i in range(60):
        t = T0 + i * 0.1
        c.tcp(t, "10.0.0.71", f"10.0.2.{i + 1}", 41000 + i, 443, "S")
        c.tcp(t + 0.001, f"10.0.2.{i + 1}", "10.0.0.71", 443, 41000 + i, "SA")


def syn_flood(c):
    rnd = random.Random(1)
    for i in range(1000):
        src = f"100.{rnd.randrange(64, 128)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
        t = T0 + i * 0.05
        c.tcp(t, src, "10.0.0.9", rnd.randrange(1024, 65535), 80, "S")
        c.tcp(t + 0.001, "10.0.0.9", src, 80, 1024 + i, "SA")
    # As many new connections to another server, each completed.
    for i in range(800):
        t = T0 + i * 0.07
        c.tcp(t, "10.0.0.72", "10.0.0.10", 20000 + i, 443, "S")
        c.tcp(t + 0.001, "10.0.0.10", "10.0.0.72", 443, 20000 + i, "SA")
        c.tcp(t + 0.002, "10.0.0.72", "10.0.0.10", 20000 + i, 443, "A")


def conn_burst(c):
    # A password guesser: 40 SSH connections in a minute, each a handshake, a few
    # segments both ways and a close.
    for i in range(40):
        t, sp = T0 + i * 1.2, 51000 + i
        c.tcp(t, "10.0.0.66", "10.0.0.9", sp, 22, "S")
        c.tcp(t + 0.001, "10.0.0.9", "10.0.0.66", 22, sp, "SA")
        c.tcp(t + 0.002, "10.0.0.66", "10.0.0.9", sp, 22, "A")
        c.tcp(t + 0.01, "10.0.0.9", "10.0.0.66", 22, sp, "PA", b"SSH-2.0-OpenSSH_9.2\r\n")
        c.tcp(t + 0.02, "10.0.0.66", "10.0.0.9", sp, 22, "PA", b"SSH-2.0-libssh_0.10\r\n")
        c.tcp(t + 0.5, "10.0.0.9", "10.0.0.66", 22, sp, "FA")
        c.tcp(t + 0.501, "10.0.0.66", "10.0.0.9", sp, 22, "FA")
    # An administrator's one session, and 120 SYNs that went unanswered on 2222 (no burst:
    # a burst counts completed handshakes).
    c.tcp(T0 + 3, "10.0.0.75", "10.0.0.9", 52000, 22, "S")
    c.tcp(T0 + 3.001, "10.0.0.9", "10.0.0.75", 22, 52000, "SA")
    c.tcp(T0 + 3.002, "10.0.0.75", "10.0.0.9", 52000, 22, "A")
    for i in range(120):
        c.tcp(T0 + i * 0.4, "10.0.0.76", "10.0.0.9", 53000 + i, 22, "S")
    # An application server without a connection pool: 100 MySQL connections a minute,
    # not watched by default (and 100 to a web server, never watched).
    for i in range(100):
        t = T0 + i * 0.5
        for port, sp in ((3306, 30000 + i), (80, 31000 + i)):
            c.tcp(t, "10.0.0.77", "10.0.0.10", sp, port, "S")
            c.tcp(t + 0.001, "10.0.0.10", "10.0.0.77", port, sp, "SA")
            c.tcp(t + 0.002, "10.0.0.77", "10.0.0.10", sp, port, "A")


def icmp_flood(c):
    for i in range(1000):
        c.icmp(T0 + i * 0.05, "10.0.0.66", "10.0.0.9", seq=i)
    for i in range(60):
        c.icmp(T0 + i, "10.0.0.73", "10.0.0.10", seq=i)
        c.icmp(T0 + i + 0.001, "10.0.0.10", "10.0.0.73", seq=i)


def udp_flood(c):
    for i in range(1000):
        c.udp(T0 + i * 0.05, "10.0.0.66", "10.0.0.9", 40000 + i % 50, 9999, b"u" * 64)
    for i in range(1000):  # a busy resolver: every query answered
        c.udp(T0 + i * 0.05, "10.0.0.74", "10.0.0.53", 30000 + i, 53, dns_query(i, f"host{i}.example.com"))
        c.udp(T0 + i * 0.05 + 0.001, "10.0.0.53", "10.0.0.74", 53, 30000 + i,
              dns_response(i, f"host{i}.example.com"))


def icmp_answers(c):
    # 10.0.0.66 pings 10.0.0.9 flat out; 10.0.0.9 replies to each: only 10.0.0.9 is flooded.
    for i in range(1000):
        c.icmp(T0 + i * 0.05, "10.0.0.66", "10.0.0.9", seq=i)
        c.icmp_msg(T0 + i * 0.05 + 0.001, "10.0.0.9", "10.0.0.66", 0)
    # 10.0.0.67 floods a closed UDP port of 10.0.0.10, which answers each datagram with a
    # port unreachable: a UDP flood of 10.0.0.10, not an ICMP flood of 10.0.0.67.
    for i in range(1000):
        c.udp(T0 + i * 0.05, "10.0.0.67", "10.0.0.10", 40000 + i % 50, 9999, b"u" * 64)
        c.icmp_msg(T0 + i * 0.05 + 0.001, "10.0.0.10", "10.0.0.67", 3, 3,
                   Pcap.quote_udp("10.0.0.67", "10.0.0.10", 40000 + i % 50, 9999))
    # Replies nobody asked for (a reflected flood) still count.
    for i in range(1000):
        c.icmp_msg(T0 + i * 0.05, "10.0.0.68", "10.0.0.11", 0)
    # An error flood (BlackNurse: port unreachables quoting someone else's datagram) at a
    # host that sends a lot itself is a flood all the same.
    for i in range(1000):
        c.udp(T0 + i * 0.05, "10.0.0.12", "10.0.0.13", 40000, 514, b"s" * 64)
        c.icmp_msg(T0 + i * 0.05 + 0.002, "10.0.0.69", "10.0.0.12", 3, 3,
                   Pcap.quote_udp("192.0.2.55", "198.51.100.7", 1234, 80))


def udp_scans(c):
    # A UDP scan: 150 ports of one host, closed ones answering with port unreachables,
    # DNS answering.
    for i, port in enumerate(range(1, 151)):
        t = T0 + i * 0.1
        c.udp(t, "10.0.0.66", "10.0.0.9", 41000, port, b"")
        if port == 53:
            c.udp(t + 0.001, "10.0.0.9", "10.0.0.66", 53, 41000, b"a")
        else:
            c.icmp_msg(t + 0.001, "10.0.0.9", "10.0.0.66", 3, 3, Pcap.quote_udp("10.0.0.66", "10.0.0.9", 41000, port))
    # The same from a well-known source port (nmap -sU -g 53), to another host: the
    # scanner looks like a DNS server the target never queried.
    for i, port in enumerate(range(1000, 1150)):
        t = T0 + i * 0.1
        c.udp(t, "10.0.0.67", "10.0.0.8", 53, port, b"")
        c.icmp_msg(t + 0.001, "10.0.0.8", "10.0.0.67", 3, 3, Pcap.quote_udp("10.0.0.67", "10.0.0.8", 53, port))
    # Two traceroutes (3 probes per hop, 30 hops, one port each): not a scan.
    for n in range(2):
        for i in range(90):
            c.udp(T0 + n * 20 + i * 0.1, "10.0.0.70", "10.0.0.80", 50000 + n, 33434 + i, b"t" * 32)
    # A client of 120 services of one host, all answering: not a scan.
    for i in range(120):
        c.udp(T0 + i * 0.2, "10.0.0.71", "10.0.0.81", 42000 + i, 5000 + i, b"q")
        c.udp(T0 + i * 0.2 + 0.001, "10.0.0.81", "10.0.0.71", 5000 + i, 42000 + i, b"r")


def ping_sweep(c):
    # A sweep of 10.1.0.0/24 where 10 hosts answer, and a monitor pinging 80 hosts that all do.
    for h in range(256):
        c.icmp(T0 + h * 0.1, "10.0.0.66", f"10.1.0.{h}", seq=h)
        if h % 25 == 0:
            c.icmp_msg(T0 + h * 0.1 + 0.001, f"10.1.0.{h}", "10.0.0.66", 0)
    for h in range(80):
        c.icmp(T0 + h * 0.5, "10.0.0.72", f"10.2.0.{h}", seq=h)
        c.icmp_msg(T0 + h * 0.5 + 0.002, f"10.2.0.{h}", "10.0.0.72", 0)


def volume_spike(c):
    # 10 s buckets: 8 buckets of ~10 kB, then ~2 MB.
    for b in range(8):
        for i in range(10):
            c.tcp(T0 + b * 10 + i * 0.5, "10.0.0.20", "10.0.0.21", 45000, 8080, "PA", b"v" * 1000)
    for i in range(1400):
        c.tcp(T0 + 80 + i * 0.005, "10.0.0.20", "10.0.0.21", 45000, 8080, "PA", b"v" * 1460)
    # A steady neighbour.
    for b in range(9):
        for i in range(10):
            c.tcp(T0 + b * 10 + i * 0.5, "10.0.0.22", "10.0.0.23", 45001, 8080, "PA", b"w" * 1000)


def nxdomain(c):
    rnd = random.Random(3)
    for i in range(60):  # 60 domains that do not exist (a DGA)
        name = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(12)) + \
            [".com", ".net", ".org", ".info"][i % 4]
        c.udp(T0 + i * 0.5, "10.0.0.30", "10.0.0.53", 33000 + i, 53, dns_query(i, name))
        c.udp(T0 + i * 0.5 + 0.01, "10.0.0.53", "10.0.0.30", 53, 33000 + i, dns_response(i, name, 3))
    for i in range(90):  # a misconfigured host retrying three names
        name = ["printer.local.lan", "wpad.lan", "intranet.lan"][i % 3]
        c.udp(T0 + i * 0.5, "10.0.0.31", "10.0.0.53", 34000 + i, 53, dns_query(i, name))
        c.udp(T0 + i * 0.5 + 0.01, "10.0.0.53", "10.0.0.31", 53, 34000 + i, dns_response(i, name, 3))
    for i in range(300):  # a load test: many names that do not exist under one zone
        name = f"nx{rnd.randrange(100000)}.bench.test"
        c.udp(T0 + i * 0.1, "10.0.0.32", "10.0.0.53", 35000 + i, 53, dns_query(i, name))
        c.udp(T0 + i * 0.1 + 0.01, "10.0.0.53", "10.0.0.32", 53, 35000 + i, dns_response(i, name, 3))


def dns_tunnel(c):
    rnd = random.Random(2)
    for i in range(30):  # dnscat-like: hex data in labels
        data = "".join(rnd.choice("0123456789abcdef") for _ in range(60))
        name = f"{data[:30]}.{data[30:]}.t.evil-tunnel.com"
        c.udp(T0 + i, "10.0.0.40", "10.0.0.53", 35000 + i, 53, dns_query(i, name, 16))
    for i in range(30):  # base32 data (iodine-like) under another domain
        data = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(56))
        c.udp(T0 + i, "10.0.0.42", "10.0.0.53", 36000 + i, 53, dns_query(i, f"{data}.x.tun.example.org", 10))
    for i in range(30):  # long but ordinary names
        name = f"this-is-a-perfectly-ordinary-but-rather-long-name-{i}.service.example.com"
        c.udp(T0 + i, "10.0.0.41", "10.0.0.53", 37000 + i, 53, dns_query(i, name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--examples", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                       "examples"))
    a = ap.parse_args()
    b = os.path.abspath(a.bin)
    with tempfile.TemporaryDirectory() as d:
        scenario("vertical_scan", b, d, vertical_scan, [],
                 [("port_scan", "10.0.0.66", "10.0.0.9", None, 198)])
        scenario("horizontal_scan", b, d, horizontal_scan, [],
                 [("port_scan", "10.0.0.66", None, 22, 60)])
        scenario("syn_flood", b, d, syn_flood, ["--syn-flood-rate", "10"],
                 [("syn_flood", None, "10.0.0.9", 80, 1000)])
        scenario("conn_burst", b, d, conn_burst, [], [("conn_burst", "10.0.0.66", "10.0.0.9", 22, 40)])
        # Ports are configurable: the database port watched, SSH not.
        scenario("conn_burst_ports", b, d, conn_burst, ["--conn-burst-ports", "3306,5432"],
                 [("conn_burst", "10.0.0.77", "10.0.0.10", 3306, 100)])
        scenario("conn_burst_rate", b, d, conn_burst, ["--conn-burst-rate", "1"], [])
        scenario("conn_burst_off", b, d, conn_burst, ["--conn-burst-ports", "none"], [])
        cfg = os.path.join(d, "burst.yaml")
        with open(cfg, "w") as f:
            f.write("stats:\n  alerts:\n    conn_burst_rate: 1.5\n    conn_burst_ports: [22, 3306]\n")
        scenario("conn_burst_config", b, d, conn_burst, ["--config", cfg],
                 [("conn_burst", "10.0.0.77", "10.0.0.10", 3306, 100)])
        # Real logins (examples/README.md): vsftpd on 21 and 2121, five connections each in
        # three seconds: a burst once the rate is low enough.
        scenario("conn_burst_ftp", b, d, os.path.join(a.examples, "ftp-vsftpd-logins.pcap"),
                 ["--conn-burst-rate", "0.05", "--conn-burst-ports", "21,2121"],
                 [("conn_burst", "127.0.0.1", "127.0.0.1", 21, 5), ("conn_burst", "127.0.0.1", "127.0.0.1", 2121, 5)])
        scenario("icmp_flood", b, d, icmp_flood, ["--icmp-flood-rate", "10"],
                 [("icmp_flood", None, "10.0.0.9", None, 1000)])
        scenario("udp_flood", b, d, udp_flood, ["--udp-flood-rate", "10"],
                 [("udp_flood", None, "10.0.0.9", None, 1000)])
        scenario("volume_spike", b, d, volume_spike,
                 ["--bucket", "10", "--volume-min-bytes", "1000000"],
                 [("volume_spike", "10.0.0.20", None, None, 1400 * 1500),
                  ("volume_spike", "10.0.0.21", None, None, 1400 * 1500)])
        scenario("nxdomain_burst", b, d, nxdomain, [],
                 [("dns_nxdomain_burst", "10.0.0.30", None, None, 60)])
        scenario("dns_tunnel", b, d, dns_tunnel, [],
                 [("dns_tunnel", "10.0.0.40", None, None, 30), ("dns_tunnel", "10.0.0.42", None, None, 30)])
        scenario("icmp_answers", b, d, icmp_answers, ["--icmp-flood-rate", "10", "--udp-flood-rate", "10"],
                 [("icmp_flood", None, "10.0.0.9", None, 1000), ("udp_flood", None, "10.0.0.10", None, 1000),
                  ("icmp_flood", None, "10.0.0.11", None, 1000), ("udp_flood", None, "10.0.0.13", None, 1000),
                  ("icmp_flood", None, "10.0.0.12", None, 1000)])
        scenario("udp_scans", b, d, udp_scans, [], [("port_scan", "10.0.0.66", "10.0.0.9", None, 149),
                                                     ("port_scan", "10.0.0.67", "10.0.0.8", None, 150)])
        scenario("ping_sweep", b, d, ping_sweep, [], [("ping_sweep", "10.0.0.66", None, None, 245)])
        # Real nmap traffic (examples/README.md): -sU of 300 ports, the ICMP part of -sn of
        # a /25; no ICMP flood of the scanner (each probe drew a port unreachable).
        scenario("nmap_udp_scan_ping_sweep", b, d, os.path.join(a.examples, "nmap-udp-scan-ping-sweep.pcap"), [],
                 [("port_scan", "10.9.0.66", "10.9.0.1", None, 299), ("ping_sweep", "10.9.0.66", None, None, 121)])
        # The same captures with the default thresholds (floods and spikes need more).
        scenario("syn_flood_default", b, d, syn_flood, [], [])
        scenario("udp_flood_default", b, d, udp_flood, [], [])
        scenario("no_alerts_flag", b, d, vertical_scan, ["--no-alerts"], [])
    print("stats alerts:", "FAILED" if FAILS else "ok", len(FAILS), "failures")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
