#!/usr/bin/env python3
"""Golden output test: the text and JSON renderings of a few bundled captures must match
the reviewed files under tests/golden/expected/ byte for byte (calendar time in UTC).

Usage: golden_output.py --bin build/netsift --examples examples --expected DIR [--update]
"""
import argparse, difflib, os, subprocess, sys

CASES = [
    ("http-get.pcap", ["packets", "--utc"]),
    ("http-get.pcap", ["packets", "--json"]),
    ("zeek-icmp-destunreach-udp.pcap", ["packets", "--utc", "-x"]),
    ("zeek-icmp-timeexceeded.pcap", ["packets", "--json"]),
    ("ipv6-communityid.pcap", ["packets", "--json"]),
    ("sll-linuxsll-arp.pcap", ["packets", "--utc"]),
    ("vlan-http-qinq-0.pcap", ["packets", "-q"]),
    ("trunc-icmp-payload-trunc.pcap", ["packets", "--json"]),
    ("pcapng-multi-interface.pcapng", ["packets", "--utc", "--hex"]),
    ("http-get.pcap", ["sessions", "--utc"]),
    ("tcp-handshake-reorder.pcap", ["sessions", "--json"]),
    ("ipfrag-fragmented-1.pcap", ["sessions", "--utc", "--stream", "--data-level", "2"]),
    ("midstream-get_nosyn.pcap", ["sessions", "--json", "--stream"]),
    ("ipv6-fragmented-dns.pcap", ["sessions", "--json"]),
    ("redis-auth.pcap", ["sessions", "--json"]),
    ("ftp-vsftpd-logins.pcap", ["sessions", "--json"]),
    ("zeek-ftp-password-pass-command.pcap", ["sessions", "--json"]),
    ("smtp-aiosmtpd-logins.pcap", ["sessions", "--json"]),
    ("nmap-smtp-brute.pcap", ["sessions", "--json"]),
    ("zeek-rfc3030-bdat-example1.pcap", ["sessions", "--json"]),
    ("mongodb-scram.pcap", ["sessions", "--json"]),
    ("mysql-logins.pcap", ["sessions", "--json"]),
    ("pgsql-logins.pcap", ["sessions", "--json"]),
    ("mail-dovecot-logins.pcap", ["sessions", "--json"]),
]


def name_of(cap, mode):
    return cap.replace(".", "_") + "." + "_".join(m.strip("-") for m in mode) + ".out"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--examples", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    failures = 0
    for cap, mode in CASES:
        # The reviewed bytes are one engine's: sessions run with one worker (other counts
        # give the same events, golden.workers_*, in another order between flows).
        one = ["--workers", "1"] if mode[0] == "sessions" else []
        p = subprocess.run([a.bin] + mode + one + ["-r", os.path.join(a.examples, cap), "--no-progress"],
                           capture_output=True, text=True, errors="replace")
        out = p.stdout
        path = os.path.join(a.expected, name_of(cap, mode))
        if a.update:
            os.makedirs(a.expected, exist_ok=True)
            open(path, "w").write(out)
            continue
        want = open(path).read() if os.path.exists(path) else None
        if want != out:
            failures += 1
            print(f"DIFF {cap} {' '.join(mode)}")
            for line in list(difflib.unified_diff((want or "").splitlines(), out.splitlines(),
                                                  "expected", "got", lineterm=""))[:40]:
                print(line)
    print(f"{len(CASES)} golden cases, {failures} differ")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
