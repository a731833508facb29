#!/usr/bin/env python3
"""Hostile traffic generated here stays within netsift's caps, is reported, and finishes:
  1. 300,000 IPv4 datagrams that each send one tiny fragment and never complete;
  2. the same over IPv6 (fragment extension header);
  3. DNS messages whose names loop through compression pointers (self, mutual, forward
     chains) among good ones: every message is reported, the loops as errors, no hang.
Peak RSS (getrusage of the child) is asserted unless --no-rss (sanitizer builds).
Usage: hostile_traffic.py --bin build/netsift [--count N] [--no-rss]
"""
import argparse, json, os, struct, subprocess, sys, tempfile

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--count", type=int, default=300_000)
    ap.add_argument("--no-rss", action="store_true", help="skip the RSS bounds (sanitizer builds)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="netsift-hostile-")
    try:
        fragment_floods(a, tmp)
        dns_loops(a, tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    passed = sum(RESULTS)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    sys.exit(0 if passed == len(RESULTS) else 1)


if __name__ == "__main__":
    main()
