#!/usr/bin/env python3
"""Frame-by-frame comparison of `netsift packets --json` against tshark.

For every capture given (files or directories, searched recursively for *.pcap and
*.pcapng), checks that netsift emits exactly one packet event per frame and that the
addresses, ports, protocol, TTL/hop limit, TCP seq/ack/flags/window, ICMP type/code and
Community ID agree with `tshark -T fields` (IP reassembly off, so that each frame is
judged on its own bytes, as netsift's packet mode does).

Usage: compare_tshark.py --bin build/netsift PATH... [--max-frames N] [-v]
Exit 0 when every capture matches; 1 otherwise (each mismatch is listed).
"""
import argparse, json, os, subprocess, sys

from capture_files import captures

FIELDS = [
    "frame.number", "ip.src", "ip.dst", "ip.ttl", "ip.proto", "ipv6.src", "ipv6.dst",
    "ipv6.hlim", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
    "tcp.window_size_value", "udp.srcport", "udp.dstport", "icmp.type", "icmp.code",
    "icmpv6.type", "icmpv6.code", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "communityid",
    "_ws.col.Protocol", "frame.protocols", "gre.key", "erspan.spanid", "vxlan.vni", "geneve.vni",
]
TUNNEL_IDS = ["gre.key", "erspan.spanid", "vxlan.vni", "geneve.vni"]
PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
         "-o", "tcp.desegment_tcp_streams:FALSE", "--enable-protocol", "communityid",
         "-o", "tcp.relative_sequence_numbers:FALSE"]
FLAG_BITS = {"FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08, "ACK": 0x10, "URG": 0x20,
             "ECE": 0x40, "CWR": 0x80, "NS": 0x100}


def tshark_rows(path, innermost=False):
    """One dict per frame. By default each field's first occurrence (ICMP errors quote a
    second IP header, which must not replace the packet's own). With `innermost` (for
    tunnels) the last occurrence, and the first IP addresses as `outer.src`/`outer.dst`."""
    occurrence = "a" if innermost else "f"
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", f"occurrence={occurrence}",
           "-E", "separator=\t", "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd + PREFS, capture_output=True, text=True, errors="replace")
    rows = []
    for line in p.stdout.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(FIELDS) - len(vals))
        row = dict(zip(FIELDS, vals))
        if innermost:
            all_values = {k: v.split("|") for k, v in row.items()}
            row = {k: v[-1] for k, v in all_values.items()}
            layers = all_values["frame.protocols"][0].split(":")
            ip_layers = [x for x in layers if x in ("ip", "ipv6")]
            if ip_layers:
                # The outermost IP header is the first one tshark lists, v4 or v6.
                row["outer.src"] = all_values[f"{ip_layers[0]}.src"][0]
                row["outer.dst"] = all_values[f"{ip_layers[0]}.dst"][0]
            row["ip_headers"] = len(ip_layers)
            row["tunnel_id"] = next((all_values[k][0] for k in TUNNEL_IDS if all_values[k][0]), "")
        rows.append(row)
    return rows


def netsift_events(binary, path):
    p = subprocess.run([binary, "packets", "-r", path, "--json", "--no-progress"],
                       capture_output=True, text=True, errors="replace")
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()], p.returncode


def as_int(s):
    try:
        return int(s, 0)
    except (TypeError, ValueError):
        return None


def compare_frame(t, e):
    """Returns a list of 'field: tshark=X netsift=Y' strings."""
    bad = []

    def check(name, want, got):
        if want is None or want == "":
            return
        if str(want) != str(got):
            bad.append(f"{name}: tshark={want} netsift={got}")

    if e.get("tunnel") and t.get("ip_headers") == 1:
        # A tunnel carrying a frame without IP (ARP, STP in VXLAN/ERSPAN): tshark's only IP
        # header is the outer one, which netsift keeps as outer_*.
        check("outer_src_ip", t["outer.src"], e.get("outer_src_ip"))
        check("outer_dst_ip", t["outer.dst"], e.get("outer_dst_ip"))
        if t["arp.src.proto_ipv4"]:
            check("arp src_ip", t["arp.src.proto_ipv4"], e.get("src_ip"))
            check("arp dst_ip", t["arp.dst.proto_ipv4"], e.get("dst_ip"))
        return bad
    # tshark's "_ws.malformed"/short frames: compare only what it decoded. For IPv6 in
    # IPv4 (6to4) tshark's first ip.src is the outer header; netsift reports the inner
    # packet and the outer addresses as outer_src_ip/outer_dst_ip.
    if t["ip.src"] and e.get("outer_src_ip") and e.get("ip_version") == 6:
        check("outer_src_ip", t["ip.src"], e.get("outer_src_ip"))
        check("outer_dst_ip", t["ip.dst"], e.get("outer_dst_ip"))
        check("src_ip", t["ipv6.src"], e.get("src_ip"))
        check("dst_ip", t["ipv6.dst"], e.get("dst_ip"))
    elif t["ip.src"]:
        check("src_ip", t["ip.src"], e.get("src_ip"))
        check("dst_ip", t["ip.dst"], e.get("dst_ip"))
        check("ttl", t["ip.ttl"], e.get("ttl"))
    elif t["ipv6.src"]:
        check("src_ip", t["ipv6.src"], e.get("src_ip"))
        check("dst_ip", t["ipv6.dst"], e.get("dst_ip"))
        check("ttl", t["ipv6.hlim"], e.get("ttl"))
    elif t["arp.src.proto_ipv4"]:
        check("arp src_ip", t["arp.src.proto_ipv4"], e.get("src_ip"))
        check("arp dst_ip", t["arp.dst.proto_ipv4"], e.get("dst_ip"))
    outer_icmp = e.get("proto") in ("icmp", "icmp6")
    if t["tcp.srcport"] and not outer_icmp:
        check("proto", "tcp", e.get("proto"))
        check("src_port", t["tcp.srcport"], e.get("src_port"))
        check("dst_port", t["tcp.dstport"], e.get("dst_port"))
        if t["tcp.seq_raw"]:
            check("tcp_seq", t["tcp.seq_raw"], e.get("tcp_seq"))
            check("tcp_ack", t["tcp.ack_raw"], e.get("tcp_ack"))
            check("tcp_win", t["tcp.window_size_value"], e.get("tcp_win"))
            want = as_int(t["tcp.flags"])
            if want is not None:
                got = sum(FLAG_BITS.get(n, 0) for n in e.get("tcp_flags") or [])
                check("tcp_flags", hex(want & 0x1ff), hex(got))
    elif t["udp.srcport"] and not outer_icmp:
        check("proto", "udp", e.get("proto"))
        check("src_port", t["udp.srcport"], e.get("src_port"))
        check("dst_port", t["udp.dstport"], e.get("dst_port"))
    if t["icmp.type"] and e.get("proto") == "icmp":
        check("icmp_type", t["icmp.type"], e.get("icmp_type"))
        check("icmp_code", t["icmp.code"], e.get("icmp_code"))
    elif t["icmp.type"]:
        bad.append(f"proto: tshark=icmp netsift={e.get('proto')}")
    if t["icmpv6.type"] and e.get("proto") == "icmp6":
        check("icmp_type", t["icmpv6.type"], e.get("icmp_type"))
        check("icmp_code", t["icmpv6.code"], e.get("icmp_code"))
    elif t["icmpv6.type"]:
        bad.append(f"proto: tshark=icmp6 netsift={e.get('proto')}")
    # Inside a tunnel, tshark hashes a protocol without ports (PIM, OSPF) with the inner
    # addresses but the outer protocol number (GRE's 47); netsift uses the inner packet's.
    portless_in_tunnel = e.get("tunnel") and e.get("proto") not in ("tcp", "udp", "icmp", "icmp6")
    if t["communityid"] and "community_id" in e and not portless_in_tunnel:
        check("community_id", t["communityid"], e.get("community_id"))
    if t.get("ip_headers", 0) > 1:
        check("outer_src_ip", t["outer.src"], e.get("outer_src_ip"))
        check("outer_dst_ip", t["outer.dst"], e.get("outer_dst_ip"))
        if t["tunnel_id"]:
            check("tunnel_id", as_int(t["tunnel_id"]), e.get("tunnel_id"))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--exclude", action="append", default=[], help="skip paths containing this")
    ap.add_argument("--known-unsupported", action="append", default=[],
                    help="capture in a file format netsift does not read (e.g. NetMon): "
                         "netsift must refuse it with a clear error instead of matching tshark")
    ap.add_argument("--innermost", action="store_true",
                    help="tunnels: compare the innermost headers, and the outer addresses")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    failures, frames, files = [], 0, 0
    for cap in captures(a.paths):
        if any(x in cap for x in a.exclude):
            continue
        files += 1
        if os.path.basename(cap) in a.known_unsupported:
            p = subprocess.run([a.bin, "packets", "-r", cap, "--json"], capture_output=True, text=True)
            if p.returncode != 1 or "not a pcap or pcapng file" not in p.stderr:
                failures.append(f"{cap}: expected a clear 'not a pcap or pcapng file' error, got "
                                f"exit {p.returncode}: {p.stderr.strip()}")
            else:
                print(f"known: {cap} is not pcap/pcapng; netsift says: {p.stderr.strip()}")
            continue
        rows = tshark_rows(cap, a.innermost)
        events, rc = netsift_events(a.bin, cap)
        packets = [e for e in events if e.get("event") == "packet"]
        if len(packets) != len(rows):
            failures.append(f"{cap}: {len(packets)} packet events, tshark shows {len(rows)} frames")
            continue
        for t, e in zip(rows, packets):
            frames += 1
            if str(e.get("frame")) != t["frame.number"]:
                failures.append(f"{cap}: frame numbering {e.get('frame')} vs {t['frame.number']}")
                break
            for b in compare_frame(t, e):
                failures.append(f"{cap} frame {t['frame.number']}: {b}")
    for f in failures:
        print("MISMATCH", f)
    print(f"compared {frames} frames in {files} captures: {len(failures)} mismatches")
    sys.exit(1 if failures or files == 0 else 0)


if __name__ == "__main__":
    main()
