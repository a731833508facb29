#!/usr/bin/env python3
"""Hostile traffic generated here stays within netsift's caps, is reported, and finishes:
  1. 300,000 IPv4 datagrams that each send one tiny fragment and never complete;
  2. the same over IPv6 (fragment extension header);
  3. DNS messages whose names loop through compression pointers (self, mutual, forward
     chains) among good ones: every message is reported, the loops as errors, no hang;
  4. TCP segments that overlap with conflicting data (re-sent in order, and a wider
     segment over held out-of-order data): the first copy wins, every session reports its
     conflicting overlaps, the run summary counts them;
  5. an HTTP gzip bomb (1 GiB of zeros in about 1 MiB, and a body over the decoded-size
     cap): decompression stops at the cap, reported as http.decompression_bomb;
  6. an HTTP header line of --header-mb MiB without a line end: memory stays bounded, the
     cut is reported, later connections are still analysed.
In each, the good traffic around the hostile one is reported whole (nothing is lost
silently). Peak RSS (getrusage of the child) is asserted unless --no-rss (sanitizer
builds).
Usage: hostile_traffic.py --bin build/netsift [--count N] [--header-mb M] [--no-rss]
"""
import argparse, json, os, struct, subprocess, sys, tempfile, zlib

RESULTS = []


def check(name, cond, detail=""):
    RESULTS.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


ETH4 = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00"
ETH6 = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x86\xdd"


def ipv4(src, dst, proto, payload, ident=1, frag=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:] + payload


def udp4(src, dst, sport, dport, payload):
    return ETH4 + ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def write_pcap(path, frames):
    with open(path, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1000000 + i // 100000, (i % 100000) * 10, len(fr), len(fr)))
            f.write(fr)


def run(binary, args, out_path):
    with open(out_path, "wb") as out, open(out_path + ".err", "wb") as err:
        child = subprocess.Popen([binary] + args, stdout=out, stderr=err)
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except KeyboardInterrupt:
            child.kill()
            raise
    return os.waitstatus_to_exitcode(status), open(out_path + ".err", "rb").read().decode(), usage.ru_maxrss


def run_limited(binary, args, out_path, seconds=300):
    """As run(), but a hang is a failure rather than a stuck test."""
    res = {}
    with open(out_path, "wb") as out, open(out_path + ".err", "wb") as err:
        try:
            p = subprocess.run([binary] + args, stdout=out, stderr=err, timeout=seconds)
            res["rc"] = p.returncode
        except subprocess.TimeoutExpired:
            res["rc"] = None
    return res["rc"], open(out_path + ".err", "rb").read().decode()


def fragment_floods(a, tmp):
    src, dst = bytes([198, 51, 100, 7]), bytes([203, 0, 113, 9])

    def v4():
        for i in range(a.count):
            # A first fragment (offset 0, MF) of 8 bytes; the rest never comes.
            payload = struct.pack("!HHHH", 1000 + i % 50000, 53, 8 + 1400, 0)
            yield ETH4 + ipv4(src, dst, 17, payload, ident=i & 0xffff, frag=0x2000)

    src6 = bytes.fromhex("20010db8000000000000000000000007")
    dst6 = bytes.fromhex("20010db8000000000000000000000009")

    def v6():
        for i in range(a.count):
            udp = struct.pack("!HHHH", 1000 + i % 50000, 53, 8 + 1400, 0)
            frag = struct.pack("!BBHI", 17, 0, 0x0001, i)  # offset 0, M flag, id i
            payload = frag + udp
            ip6 = struct.pack("!IHBB16s16s", 6 << 28, len(payload), 44, 64, src6, dst6)
            yield ETH6 + ip6 + payload

    for name, gen in (("IPv4", v4), ("IPv6", v6)):
        path = os.path.join(tmp, f"frag-{name}.pcap")
        write_pcap(path, gen())
        rc, err, rss = run(a.bin, ["sessions", "-r", path, "--json", "--no-progress"], path + ".out")
        check(f"{name} fragments: exit 0", rc == 0, err[-400:])
        line = next((l for l in err.splitlines() if "IP fragments" in l), "")
        check(f"{name} fragments: all counted", f"{a.count} IP fragments" in line, line)
        nums = [int(w) for w in line.replace(",", " ").split() if w.isdigit()]
        # fragments, reassembled, timed out, dropped by caps, conflicting, too large, at end
        if len(nums) >= 7:
            check(f"{name} fragments: none reassembled", nums[1] == 0, line)
            check(f"{name} fragments: every incomplete datagram reported (timed out, cap or end)",
                  nums[2] + nums[3] + nums[6] == a.count, line)
        else:
            check(f"{name} fragments: summary line complete", False, line)
        if not a.no_rss:
            check(f"{name} fragments: peak RSS {rss // 1024} MiB < 160 MiB", rss < 160 * 1024, rss)


def dns_name(labels):
    out = b""
    for l in labels:
        out += bytes([len(l)]) + l.encode()
    return out + b"\0"


def dns_loops(a, tmp):
    client, server = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 53])
    header = lambda ident, qd: struct.pack("!HHHHHH", ident, 0x0100, qd, 0, 0, 0)
    good = header(1, 1) + dns_name(["ok", "example"]) + struct.pack("!HH", 1, 1)
    # offset 12 points at itself
    self_loop = header(2, 1) + b"\xc0\x0c" + struct.pack("!HH", 1, 1)
    # 12 -> 14 -> 12
    mutual = header(3, 1) + b"\xc0\x0e\xc0\x0c" + struct.pack("!HH", 1, 1)
    # a label, then a pointer back to the label: "a.a.a.a..." forever
    label_loop = header(4, 1) + b"\x01a\xc0\x0c" + struct.pack("!HH", 1, 1)
    # a forward pointer to a pointer back to the start
    forward = header(5, 1) + b"\xc0\x10\x00\x00\xc0\x0c" + struct.pack("!HH", 1, 1)
    msgs = [good, self_loop, mutual, label_loop, forward] * 2000
    path = os.path.join(tmp, "dns-loops.pcap")
    write_pcap(path, (udp4(client, server, 40000 + i % 1000, 53, m) for i, m in enumerate(msgs)))
    rc, err = run_limited(a.bin, ["sessions", "-r", path, "--json", "--no-progress"], path + ".out")
    check("DNS loops: finishes, exit 0", rc == 0, err[-400:])
    events = [json.loads(l) for l in open(path + ".out", "rb")]
    dns = [e for e in events if e.get("event") == "dns"]
    ok = [e for e in dns if any(q.get("qname", "").rstrip(".") == "ok.example" for q in e.get("questions") or [])]
    check("DNS loops: every good message reported", len(ok) == 2000, len(ok))
    # A looping name must never be printed as a name of endless labels.
    longest = max((len(q.get("qname", "")) for e in dns for q in e.get("questions") or []), default=0)
    check(f"DNS loops: no name longer than 255 characters ({longest})", longest <= 255, longest)
    bad_ids = {e.get("header", {}).get("id") for e in dns if e.get("error") or e.get("errors")}
    reported = {e.get("header", {}).get("id") for e in dns}
    check("DNS loops: the looping messages are not reported as clean",
          all(i in bad_ids or i not in reported for i in (2, 3, 4, 5)), sorted(x for x in reported if x))


def tcp4(src, dst, sport, dport, seq, ack, flags, payload=b""):
    bits = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff, 5 << 4,
                      sum(bits[c] for c in flags), 65535, 0, 0)
    return ETH4 + ipv4(src, dst, 6, hdr + payload)


class Conn:
    """One TCP connection's frames: handshake, data either way, FIN both ways."""

    def __init__(self, client, server, sport, dport=80):
        self.c, self.s, self.sport, self.dport = client, server, sport, dport
        self.cseq, self.sseq = 1000, 50000
        self.frames = [tcp4(client, server, sport, dport, self.cseq - 1, 0, "S"),
                       tcp4(server, client, dport, sport, self.sseq - 1, self.cseq, "SA"),
                       tcp4(client, server, sport, dport, self.cseq, self.sseq, "A")]

    def client_at(self, offset, data):
        """A client segment at stream offset `offset` (it does not advance the stream)."""
        self.frames.append(tcp4(self.c, self.s, self.sport, self.dport, self.cseq + offset, self.sseq, "PA", data))

    def send(self, data, mss=1448, from_client=True):
        for i in range(0, len(data), mss):
            chunk = data[i:i + mss]
            if from_client:
                self.frames.append(tcp4(self.c, self.s, self.sport, self.dport, self.cseq, self.sseq, "PA", chunk))
                self.cseq += len(chunk)
            else:
                self.frames.append(tcp4(self.s, self.c, self.dport, self.sport, self.sseq, self.cseq, "PA", chunk))
                self.sseq += len(chunk)

    def close(self):
        self.frames += [tcp4(self.c, self.s, self.sport, self.dport, self.cseq, self.sseq, "FA"),
                        tcp4(self.s, self.c, self.dport, self.sport, self.sseq, self.cseq + 1, "FA"),
                        tcp4(self.c, self.s, self.sport, self.dport, self.cseq + 1, self.sseq + 1, "A")]
        return self.frames


def http_events(path):
    return [e for e in (json.loads(l) for l in open(path, "rb")) if e.get("event") == "http"]


def good_exchange(client, server, sport, uri):
    c = Conn(client, server, sport)
    c.send(b"GET %s HTTP/1.1\r\nHost: good.example\r\n\r\n" % uri)
    c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", from_client=False)
    return c.close()


def make(a, part, path, frames):
    """Writes the capture: in a child process when --make is not given (the child's peak
    RSS as the kernel reports it includes its parent's, so this one stays small); in
    this process when it is that child."""
    if a.make:
        write_pcap(path, frames())
        return False  # the child only writes
    args = [sys.executable, os.path.abspath(__file__), "--bin", a.bin, "--make", path, "--only", part,
            "--count", str(a.count), "--header-mb", str(a.header_mb)]
    p = subprocess.run(args, capture_output=True)
    check(f"{part}: capture written", p.returncode == 0 and os.path.exists(path), p.stderr[-400:])
    return p.returncode == 0


def tcp_overlaps(a, tmp):
    """First copy wins: in order (a re-sent range with other bytes) and out of order (a
    wider segment over a held one with other bytes)."""
    client, server = bytes([192, 0, 2, 20]), bytes([192, 0, 2, 80])
    n = max(a.count // 100, 100)

    def frames():
        for i in range(n):
            c = Conn(client, server, 10000 + i % 50000)
            first = b"GET /first-%06d HTTP/1.1\r\nHost: a.example\r\n" % i
            rest = b"X-Pad: 0123456789\r\n\r\n"
            c.client_at(0, first)
            c.client_at(0, b"GET /evil!-%06d HTTP/1.1\r\nHost: b.example\r\n" % i)  # same range
            c.client_at(len(first) + 4, rest[4:])  # held out of order
            c.client_at(len(first), b"X-Ev" + b"!!!!" + rest[8:])  # wider, other bytes
            c.cseq += len(first) + len(rest)
            c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", from_client=False)
            yield from c.close()

    path = os.path.join(tmp, "tcp-overlaps.pcap")
    if not make(a, "overlaps", path, frames):
        return
    rc, err, rss = run(a.bin, ["sessions", "-r", path, "--json", "--no-progress"], path + ".out")
    check("TCP overlaps: exit 0", rc == 0, err[-400:])
    events = [json.loads(l) for l in open(path + ".out", "rb")]
    http = [e for e in events if e.get("event") == "http"]
    uris = [e.get("req_uri", "") for e in http]
    check(f"TCP overlaps: one http event per connection ({len(http)}/{n})", len(http) == n, len(http))
    check("TCP overlaps: the first copy wins (URI and headers)",
          all(u.startswith("/first-") for u in uris) and
          all(e.get("host") in (None, "a.example") for e in http), uris[:3])
    sessions = [e for e in events if e.get("event") == "tcp_session"]
    check("TCP overlaps: every session reports 2 conflicting overlaps",
          len(sessions) == n and all(e.get("conflicting_overlaps", 0) >= 2 for e in sessions),
          [e.get("conflicting_overlaps") for e in sessions[:3]])
    line = next((l for l in err.splitlines() if "conflicting data" in l), "")
    check("TCP overlaps: counted in the run summary", f"{2 * n} with conflicting data" in line, line)
    # Flows sharded over worker threads: the same events, the same summary.
    rc2, err2, _ = run(a.bin, ["sessions", "-r", path, "--json", "--no-progress", "--workers", "2"],
                       path + ".workers")
    line2 = next((l for l in err2.splitlines() if "conflicting data" in l), "")
    uris2 = sorted(e.get("req_uri", "") for e in http_events(path + ".workers"))
    check("TCP overlaps, 2 workers: same first copies and summary",
          rc2 == 0 and uris2 == sorted(uris) and line2 == line, (rc2, line2, err2[-300:]))
    if not a.no_rss:
        check(f"TCP overlaps: peak RSS {rss // 1024} MiB < 100 MiB", rss < 100 * 1024, rss)


def gzip_bytes(total, chunk=b"\0" * (1 << 20)):
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip wrapper
    out = [z.compress(chunk) for _ in range(total // len(chunk))]
    return b"".join(out) + z.flush()


def bomb_frames(client, server):
    bomb = gzip_bytes(1 << 30)  # 1 GiB of zeros
    # Over the decoded-size cap without a telling ratio: text that compresses about 3:1.
    words = b"".join(b"%08x " % (i * 2654435761 & 0xffffffff) for i in range(1 << 19))
    big = zlib.compressobj(1, zlib.DEFLATED, 31)
    plain = (words * 4)[: 12 << 20]
    big = big.compress(plain) + big.flush()
    frames = []
    for i, (name, body) in enumerate((("ratio", bomb), ("size", big))):
        frames += good_exchange(client, server, 20000 + 2 * i, b"/before-" + name.encode())
        c = Conn(client, server, 20001 + 2 * i)
        c.send(b"GET /bomb-%s HTTP/1.1\r\nHost: bomb.example\r\n\r\n" % name.encode())
        c.send(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
               + body, from_client=False)
        frames += c.close()
    frames += good_exchange(client, server, 20100, b"/after")
    return frames


def gzip_bomb(a, tmp):
    client, server = bytes([192, 0, 2, 21]), bytes([192, 0, 2, 81])
    path = os.path.join(tmp, "gzip-bomb.pcap")
    if not make(a, "bomb", path, lambda: bomb_frames(client, server)):
        return
    config = os.path.join(tmp, "bomb.yaml")
    with open(config, "w") as f:  # a 4 MiB decoded-size cap for the second body
        f.write("protocols:\n  http:\n    max_decoded_body: 4194304\n")
    rc, err, rss = run(a.bin, ["sessions", "-r", path, "--json", "--no-progress", "--config", config],
                       path + ".out")
    check("gzip bomb: exit 0", rc == 0, err[-400:])
    http = http_events(path + ".out")
    by_uri = {e.get("req_uri"): e for e in http}
    check("gzip bomb: the exchanges around the bombs are all reported",
          all(u in by_uri for u in ("/before-ratio", "/before-size", "/after")), sorted(by_uri))
    # The ratio cap (100) bites once 1 MiB is decoded; the size cap at 4 MiB here.
    for name, cap in (("ratio", 16 << 20), ("size", 4 << 20)):
        e = by_uri.get("/bomb-" + name, {})
        check(f"gzip bomb ({name}): reported as http.decompression_bomb",
              "http.decompression_bomb" in (e.get("anomalies") or []), e.get("anomalies"))
        size = e.get("resp_body_len") or 0
        check(f"gzip bomb ({name}): decoding stopped at the cap ({size} bytes, marked truncated)",
              0 < size <= cap and e.get("resp_body_truncated") is True, (size, e.get("resp_body_truncated")))
    check("gzip bomb: counted in the run summary", "http.decompression_bomb" in err, err[-600:])
    if not a.no_rss:
        check(f"gzip bomb: peak RSS {rss // 1024} MiB < 64 MiB", rss < 64 * 1024, rss)


def endless_header(a, tmp):
    client, server = bytes([192, 0, 2, 22]), bytes([192, 0, 2, 82])
    path = os.path.join(tmp, "endless-header.pcap")

    def frames():
        yield from good_exchange(client, server, 30000, b"/before")
        c = Conn(client, server, 30001)
        c.send(b"GET /endless HTTP/1.1\r\nHost: endless.example\r\nX-Long: ")
        line = b"a" * (1 << 20)
        for _ in range(a.header_mb):
            c.send(line)
            yield from c.frames
            c.frames = []
        yield from c.close()
        yield from good_exchange(client, server, 30002, b"/after")

    if not make(a, "header", path, frames):
        return
    rc, err, rss = run(a.bin, ["sessions", "-r", path, "--json", "--no-progress"], path + ".out")
    check("endless header: exit 0", rc == 0, err[-400:])
    events = [json.loads(l) for l in open(path + ".out", "rb")]
    uris = [e.get("req_uri") for e in events if e.get("event") == "http"]
    check("endless header: the connections before and after are analysed",
          "/before" in uris and "/after" in uris, uris)
    sess = [e for e in events if e.get("event") == "tcp_session" and e.get("src_port") == 30001]
    sent = sess[0].get("bytes_to_server") if sess else None
    check("endless header: its session is reported with every byte counted",
          len(sess) == 1 and sent is not None and sent >= a.header_mb << 20, sess[:1])
    cut = next((e for e in events if e.get("event") == "http" and e.get("req_uri") == "/endless"), {})
    named = {"http.header_too_long", "http.parse_error", "http.headers_truncated"}
    check("endless header: its exchange is reported with the cut named",
          named & set(cut.get("anomalies") or []), cut)
    check("endless header: counted in the run summary", any(n in err for n in named), err[-600:])
    if not a.no_rss:
        check(f"endless header: peak RSS {rss // 1024} MiB < 64 MiB", rss < 64 * 1024, rss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--count", type=int, default=300_000)
    ap.add_argument("--header-mb", type=int, default=100, help="size of the endless header line")
    ap.add_argument("--only", help="run one part: fragments, dns, overlaps, bomb, header")
    ap.add_argument("--make", help=argparse.SUPPRESS)  # child: write --only's capture here
    ap.add_argument("--no-rss", action="store_true", help="skip the RSS bounds (sanitizer builds)")
    a = ap.parse_args()
    if a.make:
        parts = {"overlaps": tcp_overlaps, "bomb": gzip_bomb, "header": endless_header}
        parts[a.only](a, os.path.dirname(a.make))
        return
    tmp = tempfile.mkdtemp(prefix="netsift-hostile-")
    try:
        parts = {"fragments": fragment_floods, "dns": dns_loops, "overlaps": tcp_overlaps,
                 "bomb": gzip_bomb, "header": endless_header}
        if a.only:
            parts[a.only](a, tmp)
        else:
            # Each part in a process of its own: a child's peak RSS as the kernel reports
            # it starts from its parent's, which must stay small for the bounds to mean
            # anything.
            for name in parts:
                args = [sys.executable, os.path.abspath(__file__), "--bin", a.bin, "--only", name,
                        "--count", str(a.count), "--header-mb", str(a.header_mb)]
                p = subprocess.run(args + (["--no-rss"] if a.no_rss else []))
                check(f"{name}: all checks passed", p.returncode == 0)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    passed = sum(RESULTS)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    sys.exit(0 if passed == len(RESULTS) else 1)


if __name__ == "__main__":
    main()
