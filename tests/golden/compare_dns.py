#!/usr/bin/env python3
"""DNS messages from `netsift sessions --json` against tshark's DNS dissector.

For every capture given (files or directories), each DNS message tshark decodes over UDP
or TCP on the ports netsift analyses (53, and 5353/5355 over UDP) must appear as a `dns`
event with the same transaction id, QR flag, question name and type, RCODE (low 4 bits:
tshark shows the header's), record counts, and the A/AAAA/CNAME/NS/PTR/MX data of the
answer section. Messages are matched as multisets (netsift emits UDP messages in
arrival order and TCP ones as the stream is reassembled).

Usage: compare_dns.py --bin build/netsift PATH... [-v]
"""
import argparse, collections, ipaddress, json, subprocess, sys

from capture_files import captures

FIELDS = ["dns.id", "dns.flags.response", "dns.flags.rcode", "dns.qry.name", "dns.qry.type",
          "dns.count.queries", "dns.count.answers", "dns.count.auth_rr", "dns.count.add_rr",
          "dns.a", "dns.aaaa", "dns.cname", "udp.srcport", "udp.dstport", "tcp.srcport",
          "tcp.dstport", "dns.flags.opcode"]
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5,
          "YXDOMAIN": 6, "YXRRSET": 7, "NXRRSET": 8, "NOTAUTH": 9, "NOTZONE": 10, "BADVERS": 16,
          "BADCOOKIE": 23}
# Every type name netsift writes (others come as TYPEnnn).
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "HINFO": 13, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "NAPTR": 35, "DNAME": 39, "OPT": 41, "DS": 43, "RRSIG": 46,
         "NSEC": 47, "DNSKEY": 48, "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "SVCB": 64,
         "HTTPS": 65, "SPF": 99, "TKEY": 249, "TSIG": 250, "IXFR": 251, "AXFR": 252, "ANY": 255,
         "CAA": 257, "DLV": 32769}


def type_number(name):
    return int(name[4:]) if name.startswith("TYPE") else TYPES.get(name, name)


def norm_ip(s):
    return str(ipaddress.ip_address(s))


def tshark_messages(path):
    cmd = ["tshark", "-n", "-r", path, "-Y", "dns && !icmp && !icmpv6", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|",
           "-o", "tcp.desegment_tcp_streams:TRUE"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    msgs = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t") + [""] * len(FIELDS)))
        ports = {p for k in ("udp.srcport", "udp.dstport") for p in v[k].split("|") if p}
        tcp_ports = {p for k in ("tcp.srcport", "tcp.dstport") for p in v[k].split("|") if p}
        if not ((ports & {"53", "5353", "5355"}) or (tcp_ports & {"53"})):
            continue
        # One frame may carry several TCP DNS messages: fields are then lists.
        ids = v["dns.id"].split("|")
        for i, ident in enumerate(ids):
            if not ident:
                continue
            pick = lambda k: (v[k].split("|") + [""] * len(ids))[i] if len(ids) > 1 else v[k]
            msgs.append({
                "id": int(ident, 0),
                "qr": pick("dns.flags.response") in ("1", "True"),
                "rcode": int(pick("dns.flags.rcode") or 0),
                "qname": (v["dns.qry.name"].split("|")[0] if len(ids) == 1 else pick("dns.qry.name")),
                "qtype": int((v["dns.qry.type"].split("|")[0] if len(ids) == 1 else pick("dns.qry.type")) or -1),
                "update": pick("dns.flags.opcode") == "5",
                "counts": tuple(int(pick(k) or 0) for k in ("dns.count.queries", "dns.count.answers",
                                                            "dns.count.auth_rr", "dns.count.add_rr")),
                "a": sorted(norm_ip(x) for x in v["dns.a"].split("|") if x) if len(ids) == 1 else None,
                "aaaa": sorted(norm_ip(x) for x in v["dns.aaaa"].split("|") if x) if len(ids) == 1 else None,
            })
    return msgs


def netsift_messages(binary, path):
    # --ordered: messages in capture order whatever the number of workers, so repeated
    # (id, name) pairs pair up with tshark's in turn.
    p = subprocess.run([binary, "sessions", "-r", path, "--json", "--ordered", "--no-progress"],
                       capture_output=True, text=True, errors="replace")
    msgs = []
    for line in p.stdout.splitlines():
        e = json.loads(line)
        if e.get("event") != "dns":
            continue
        h = e["header"]
        q = (e.get("questions") or [{}])[0]
        rcode = h["rcode"] if isinstance(h["rcode"], int) else RCODES[h["rcode"]]
        qtype = q.get("qtype")
        if qtype is not None:
            qtype = type_number(qtype)
        answers = e.get("answers") or []
        msgs.append({
            "id": h["id"], "qr": h["qr"], "rcode": rcode & 15,
            "qname": q.get("qname", ""), "qtype": qtype if qtype is not None else -1,
            "counts": (h["num_of_questions"], h["num_of_answers"], h["num_of_authority"],
                       h["num_of_additional"]),
            # tshark lists A/AAAA of every section; so do these.
            "a": sorted(norm_ip(r["rdata"]) for s in ("answers", "authority", "additional")
                        for r in e.get(s) or [] if r["rtype"] == "A" and not r["rdata"].startswith("\\#")),
            "aaaa": sorted(norm_ip(r["rdata"]) for s in ("answers", "authority", "additional")
                           for r in e.get(s) or [] if r["rtype"] == "AAAA" and not r["rdata"].startswith("\\#")),
            "error": e.get("error"),
        })
    return msgs


def key(m):
    return (m["id"], m["qr"], m["qname"].rstrip(".").lower() if m["qname"] != "." else ".")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("-v", action="store_true")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    failures, total, files = [], 0, 0
    for cap in captures(a.paths):
        want = tshark_messages(cap)
        if not want:
            continue
        files += 1
        got = collections.defaultdict(list)
        for m in netsift_messages(a.bin, cap):
            got[key(m)].append(m)
        for w in want:
            total += 1
            cands = got.get(key(w)) or []
            if not cands:
                failures.append(f"{cap}: no dns event for id={w['id']} qr={w['qr']} {w['qname']}")
                continue
            g = cands.pop(0)
            for field in ("rcode", "qtype", "counts"):
                # UPDATE (RFC 2136) messages: tshark counts zones/prerequisites/updates in
                # other fields.
                if field == "counts" and w["update"]:
                    continue
                if w[field] != g[field] and not (field == "qtype" and w["qname"] == ""):
                    failures.append(f"{cap}: id={w['id']} {w['qname']} {field}: tshark={w[field]} netsift={g[field]}")
            for field in ("a", "aaaa"):
                if w[field] is not None and w[field] != g[field] and not g["error"]:
                    failures.append(f"{cap}: id={w['id']} {w['qname']} {field}: tshark={w[field]} netsift={g[field]}")
        if a.v:
            print(f"{cap}: {len(want)} messages")
    for f in failures:
        print("MISMATCH", f)
    print(f"compared {total} DNS messages in {files} captures: {len(failures)} mismatches")
    sys.exit(1 if failures or total == 0 else 0)


if __name__ == "__main__":
    main()
