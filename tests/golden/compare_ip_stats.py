#!/usr/bin/env python3
"""Every field of `ip_stats` in the corpus expectations (tshark-derived) against the
`stats_summary` event of `netsift stats --json`: the counters, ip_frame_bytes, the
number of distinct addresses, and the counts of the whole top list in order (addresses
tied on a count may come in any order). corpus_check.py scores only some of these.

With --tshark, the expectation of each capture given is derived from tshark by the
same rules the corpus follows (a frame counts for each protocol in frame.protocols,
addresses are those of the first IP header, both counted, ip_frame_bytes sums frame.len
where that header's addresses were read): used for captures with no expected JSON
(tunnels, VLANs, ICMP errors in examples/).

Usage: compare_ip_stats.py --bin build/netsift CORPUS_DIR
       compare_ip_stats.py --bin build/netsift --tshark CAPTURE...
"""
import argparse, collections, glob, json, os, subprocess, sys

KEYS = ("ipv4_packets", "ipv6_packets", "tcp_packets", "udp_packets", "icmp_packets",
        "icmpv6_packets", "arp_packets", "vlan_packets", "ip_frame_bytes", "distinct_ip_addresses")


def tshark_expectation(cap):
    fields = ["frame.protocols", "frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst"]
    cmd = ["tshark", "-r", cap, "-T", "fields", "-E", "occurrence=f", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    exp = collections.Counter()
    counts = collections.Counter()
    packets = 0
    for row in out.splitlines():
        protos, flen, s4, d4, s6, d6 = row.split("|")
        layers = protos.split(":")
        packets += 1
        for key, name in (("ipv4_packets", "ip"), ("ipv6_packets", "ipv6"), ("tcp_packets", "tcp"),
                          ("udp_packets", "udp"), ("icmp_packets", "icmp"),
                          ("icmpv6_packets", "icmpv6"), ("arp_packets", "arp"),
                          ("vlan_packets", "vlan")):
            exp[key] += name in layers
        first = next((l for l in layers if l in ("ip", "ipv6")), None)
        pair = (s4, d4) if first == "ip" else (s6, d6) if first == "ipv6" else ("", "")
        if pair[0] and pair[1]:
            exp["ip_frame_bytes"] += int(flen)
            counts[pair[0]] += 1
            counts[pair[1]] += 1
    exp = dict(exp)
    exp["distinct_ip_addresses"] = len(counts)
    exp["top_addresses_by_packets"] = [[a, c] for a, c in
                                       sorted(counts.items(), key=lambda x: -x[1])[:10]]
    return {"capture": cap, "packets": packets, "ip_stats": exp}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--tshark", action="store_true")
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    if a.tshark:
        cases = [(c, tshark_expectation(c)) for c in a.inputs]
    else:
        corpus = a.inputs[0]
        cases = []
        for f in sorted(glob.glob(os.path.join(corpus, "expected", "**", "*.json"), recursive=True)):
            d = json.load(open(f))
            cases.append((os.path.join(os.path.dirname(corpus.rstrip("/")), d["capture"]), d))
    checked, failures = 0, []
    for cap, d in cases:
        exp = d.get("ip_stats")
        if not exp:
            continue
        p = subprocess.run([a.bin, "stats", "-r", cap, "--json", "--no-sqlite", "--top",
                            str(max(1, len(exp.get("top_addresses_by_packets") or [])))],
                           capture_output=True, timeout=120)
        events = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
        summ = [e for e in events if e.get("event") == "stats_summary"]
        if len(summ) != 1 or summ[0] is not events[-1]:
            failures.append(f"{d['capture']}: {len(summ)} stats_summary events, not last")
            continue
        s = summ[0]
        checked += 1
        if s["packets"] != d["packets"]:
            failures.append(f"{d['capture']}: packets {s['packets']} != {d['packets']}")
        for k in KEYS:
            if k in exp and s.get(k) != exp[k]:
                failures.append(f"{d['capture']}: {k} {s.get(k)} != {exp[k]}")
        top = exp.get("top_addresses_by_packets") or []
        got = s.get("top_addresses_by_packets") or []
        if [c for _, c in got] != [c for _, c in top]:
            failures.append(f"{d['capture']}: top counts {got} != {top}")
        else:
            # Each address we list with count c must be one tshark lists with c, unless the
            # list cut a tie (then the last count's members may differ).
            last = top[-1][1] if top else None
            for addr, c in got:
                if c != last and [addr, c] not in top:
                    failures.append(f"{d['capture']}: {addr} {c} not in {top}")
    for f in failures:
        print("FAIL", f)
    print(f"ip_stats: {checked} captures, {len(failures)} differences")
    sys.exit(1 if failures or checked == 0 else 0)


if __name__ == "__main__":
    main()
