#!/usr/bin/env python3
"""Login analyzers on captures turned into what a new user brings: the same real
conversations (examples/*-logins.pcap and friends, recorded from real servers and
clients) moved to other ports with `tcprewrite --portmap`, wrapped in an 802.1Q tag with
`tcprewrite --enet-vlan=add`, and merged into one file with `mergecap`.

For each variant, the `auth` events (service, user, password, mechanism, result,
reason, database, tls) must be exactly those of the original captures, as a multiset
(merging interleaves the flows): no attempt lost, none invented, none given to another
protocol because its port is not the default one.

Exit 0 when every variant matches, 1 otherwise, 77 when tcprewrite or mergecap is
missing (Debian tcpreplay, tshark's wireshark-common).

Usage: login_variants.py --bin build/netsift [--root .] [-v]
"""
import argparse, collections, json, os, shutil, struct, subprocess, sys, tempfile

# capture -> (default server port, a port no analyzer claims by default)
CAPTURES = {
    "examples/ftp-vsftpd-logins.pcap": (21, 2100),
    "examples/mail-dovecot-logins.pcap": (None, None),  # POP3 110 and IMAP 143, below
    "examples/mysql-logins.pcap": (3306, 33061),
    "examples/pgsql-logins.pcap": (5432, 54320),
    "examples/redis-auth.pcap": (6379, 16379),
    "examples/smtp-aiosmtpd-logins.pcap": (None, None),  # port found below
    "examples/mongodb-scram.pcap": (27017, 27999),
}
EXTRA_PORTMAP = {"examples/mail-dovecot-logins.pcap": "110:1100,143:1430"}
FIELDS = ("service", "user", "password", "mechanism", "result", "reason", "database", "tls")


def auth_events(binary, pcap):
    p = subprocess.run([binary, "sessions", "-r", pcap, "--json", "--no-progress",
                        "--data-level", "0", "--no-auth-summary", "--no-auth-alerts"],
                       capture_output=True, timeout=300)
    if p.returncode != 0:
        raise SystemExit(f"netsift failed on {pcap}: {p.stderr.decode(errors='replace')[-400:]}")
    out = []
    for line in p.stdout.splitlines():
        e = json.loads(line)
        if e.get("event") == "auth":
            out.append(e)
    return out


def to_ethernet(src, dst):
    """A BSD-loopback (DLT_NULL) pcap as Ethernet, which tcprewrite can edit: the 4-byte
    address family becomes a 14-byte Ethernet header (IPv4 or IPv6 by the family)."""
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(e + "I", data[20:24])[0]
    if link != 0:
        return src
    out = bytearray(data[:20] + struct.pack(e + "I", 1))
    pos = 24
    while pos + 16 <= len(data):
        ts1, ts2, incl, orig = struct.unpack(e + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        family = struct.unpack("<I", frame[:4])[0] if frame[:4] != b"\0\0\0\x02" else 2
        ethertype = b"\x08\x00" if family == 2 else b"\x86\xdd"
        frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" + ethertype + frame[4:]
        out += struct.pack(e + "IIII", ts1, ts2, len(frame), orig + 10) + frame
    open(dst, "wb").write(out)
    return dst


def key(e):
    return tuple(json.dumps(e.get(f), sort_keys=True) for f in FIELDS)


def server_ports(events):
    return collections.Counter(e.get("dst_port") for e in events)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    if not shutil.which("tcprewrite") or not shutil.which("mergecap"):
        print("SKIP: tcprewrite (Debian tcpreplay) or mergecap missing")
        return 77
    tmp = tempfile.mkdtemp(prefix="netsift-variants-")
    failures = 0
    try:
        originals, moved, tagged = [], [], []
        want_all = collections.Counter()
        for rel, (port, other) in CAPTURES.items():
            src = os.path.join(a.root, rel)
            base = os.path.splitext(os.path.basename(rel))[0]
            src = to_ethernet(src, os.path.join(tmp, base + ".eth.pcap"))
            want = auth_events(a.bin, src)
            if not want:
                print(f"FAIL {rel}: no auth event in the original")
                failures += 1
                continue
            ports = server_ports(want)
            if rel in EXTRA_PORTMAP:
                portmap = EXTRA_PORTMAP[rel]
            else:
                if port is None:
                    port = ports.most_common(1)[0][0]
                    other = 20000 + port
                portmap = f"{port}:{other}"
            originals.append(src)
            want_keys = collections.Counter(key(e) for e in want)
            want_all.update(want_keys)
            out = os.path.join(tmp, base + ".moved.pcap")
            subprocess.run(["tcprewrite", "--portmap=" + portmap, "-i", src, "-o", out],
                           check=True, capture_output=True)
            moved.append(out)
            vlan = os.path.join(tmp, base + ".vlan.pcap")
            subprocess.run(["tcprewrite", "--enet-vlan=add", "--enet-vlan-tag=42",
                            "--enet-vlan-cfi=0", "--enet-vlan-pri=0", "-i", out, "-o", vlan],
                           check=True, capture_output=True)
            tagged.append(vlan)
            for name, path in (("moved " + portmap, out), ("moved + 802.1Q", vlan)):
                got = auth_events(a.bin, path)
                got_ports = server_ports(got)
                got_keys = collections.Counter(key(e) for e in got)
                ok = got_keys == want_keys and port not in got_ports
                failures += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {rel} {name}: {len(got)} attempts "
                      f"(original {len(want)}), server ports {sorted(got_ports)}")
                if not ok or a.v:
                    for k in sorted(set(got_keys) | set(want_keys)):
                        if got_keys[k] != want_keys[k]:
                            print(f"     {dict(zip(FIELDS, k))}: original {want_keys[k]}, "
                                  f"variant {got_keys[k]}")
        for name, files in (("originals", originals), ("moved", moved), ("moved + 802.1Q", tagged)):
            merged = os.path.join(tmp, "merged-" + name.replace(" ", "") + ".pcap")
            subprocess.run(["mergecap", "-w", merged] + files, check=True, capture_output=True)
            got = collections.Counter(key(e) for e in auth_events(a.bin, merged))
            ok = got == want_all
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} mergecap of all {name}: {sum(got.values())} attempts "
                  f"(separately {sum(want_all.values())})")
            if not ok:
                for k in sorted(set(got) | set(want_all)):
                    if got[k] != want_all[k]:
                        print(f"     {dict(zip(FIELDS, k))}: separately {want_all[k]}, merged {got[k]}")
    finally:
        shutil.rmtree(tmp)
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
