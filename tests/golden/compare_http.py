#!/usr/bin/env python3
"""HTTP exchanges from `netsift sessions --json` against tshark's HTTP dissector.

For every capture given (files or directories) in which tshark finds HTTP, per TCP
connection: the requests (method, URI) in order, the response status codes in order, and
so the number of exchanges; over the capture: every object `tshark --export-objects
http` writes must be a decoded body netsift hashed (resp_body_sha256 / req_body_sha256),
and every response body netsift hashed must be one tshark exported. Ports where netsift
found HTTP are decoded as HTTP by tshark too (-d tcp.port==N,http).

Two differences are by design and checked the other way:
- Interim responses (100 Continue, 1xx other than 101) are separate responses for tshark;
  netsift folds them into the final one as `continued: true`: tshark's 1xx codes must
  match netsift exchanges flagged continued.
- tshark exports the raw bytes of a segment it could not parse as HTTP (a client's
  "GET/ HTTP/1.1", "OPTIONSHTTP/1.1", the tail of an HTTP/0.9 line; a cmd.exe shell
  spoken over port 80 in dns-remoteshell.pcap, both ways; the body of a response whose
  headers the capture missed) as an "object" named after its frame: such an object is
  only accepted when its bytes are exactly that frame's whole TCP payload, so it holds
  no HTTP header of its own, or when it comes from a connection in which tshark itself
  found no request or response (the middle of a download whose start the capture
  missed, FTPv6-1.pcap, example.com-7.pcap), unless netsift decoded a body with those
  very bytes (HTTP/0.9 replies): tshark is wrong to call it an HTTP object.
Where tshark is otherwise wrong, the capture is named in KNOWN with the evidence;
anything else that differs fails.

Usage: compare_http.py --bin build/netsift PATH... [-v]
"""
import argparse, collections, glob, hashlib, json, os, subprocess, sys, tempfile

from capture_files import captures

# capture basename -> (what differs, why tshark is wrong, check of netsift's events instead)
KNOWN = {
    "nmap-sv-probes.pcap": (
        "two requests tshark shows on port 15432",
        "nmap -sV's RTSP probe ('OPTIONS / RTSP/1.0') and SIP probe ('OPTIONS sip:nm "
        "SIP/2.0') sent to PostgreSQL on port 15432, which hangs up: tshark's heuristic "
        "takes them for HTTP requests; netsift claims HTTP by content only with an HTTP "
        "version, and these are other protocols",
        lambda evs: [(e.get("req_uri"), e.get("req_version")) for e in evs
                     if e.get("dst_port") == 15432 and e.get("req_method") == "OPTIONS"] ==
        [("/", "1.0")]),  # the HTTPOptions probe, 'OPTIONS / HTTP/1.0', is HTTP
    "best_malware_protection.pcap": (
        "a 200 response tshark does not show",
        "the capture ends 24 KB into a 388608-byte body (Content-Length): tshark waits for "
        "the whole body to show the response at all, so the status line and headers that "
        "are there go unreported",
        lambda evs: any(e.get("resp_status") == "200" and
                        (e.get("resp_headers") or {}).get("content-length") == "388608" and
                        0 < e.get("resp_body_len", 0) < 388608 and "resp_body_sha256" not in e
                        for e in evs)),
    "example.com-7.pcap": (
        "the responses after a hole, a response cut by a reset, and the objects around them",
        "1380 bytes are missing inside the 226811-byte body of landingpageanimationBestof.swf "
        "(port 1477): tshark's reassembly stops there, so it shows none of the 4 responses "
        "that follow on that connection and exports fragments around the hole as objects "
        "(netsift bridges the hole inside the Content-Length body: http.body_gap, no hash, "
        "and keeps pairing); on port 1488 a RST ends the 886041-byte Geneva_FRA.pdf after "
        "97723 bytes, and tshark, waiting for the whole body, shows no response",
        lambda evs: any(e.get("resp_status") == "200" and "http.body_gap" in (e.get("anomalies") or [])
                        and "resp_body_sha256" not in e and e.get("resp_body_len") == 226811
                        for e in evs) and
        [e["resp_status"] for e in evs if e.get("src_port") == 1477 and "resp_status" in e][-5:] ==
        ["200", "403", "200", "403", "200"] and
        any(e.get("req_uri", "").endswith("Geneva_FRA.pdf") and e.get("resp_status") == "200"
            and 0 < e.get("resp_body_len", 0) < 886041 and "resp_body_sha256" not in e for e in evs)),
    "cve-2016-3087.pcap": (
        "the 500 response and two objects",
        "8192 bytes are missing inside the chunked 500 response: tshark then shows no response "
        "at all and exports the chunk framing that follows the hole ('339\\r\\n', "
        "'0\\r\\n\\r\\n') as two HTTP objects",
        lambda evs: any(e.get("resp_status") == "500" and "resp_body_sha256" not in e
                        and "http.gap_resync" in (e.get("anomalies") or [])
                        and e.get("req_body_sha256", "").startswith("3d5c61cd76947911")
                        for e in evs)),
}


# Frames are selected by a request method or status code: tshark leaves its
# http.request flag unset on the UPnP GENA methods (NOTIFY, SUBSCRIBE, UNSUBSCRIBE on
# port 2869, example.com-3/5.pcap) while it parses them as requests.
# tshark reassembles like netsift: streams desegmented, and segments that arrive out of
# order (a response overtaken by the FIN, example.com-3.pcap) put back in order, which
# tshark does not do by default.
TSHARK_TCP = ["-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE"]


def netsift_http(binary, path):
    out = subprocess.run([binary, "sessions", "-r", path, "--json", "--no-progress"],
                         capture_output=True, text=True, errors="replace").stdout
    conns = collections.defaultdict(list)
    hashes = collections.Counter()
    resp_hashes = collections.Counter()
    for line in out.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event") != "http":
            continue
        key = (e["src_ip"], e["src_port"], e["dst_ip"], e["dst_port"])
        conns[key].append(e)
        for k in ("req_body_sha256", "resp_body_sha256"):
            if k in e:
                hashes[e[k]] += 1
        if "resp_body_sha256" in e:
            resp_hashes[e["resp_body_sha256"]] += 1
    return conns, hashes, resp_hashes


def tshark_http(path, ports, ours=frozenset()):
    decode = []
    for p in sorted(ports):
        decode += ["-d", f"tcp.port=={p},http"]
    fields = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
              "http.request.method", "http.request.uri", "http.response.code"]
    cmd = ["tshark", "-n", "-r", path] + TSHARK_TCP + [
           "-o", "http.desegment_body:TRUE", "-Y", "http.request.method || http.response.code", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"] + decode
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    streams = collections.defaultdict(lambda: {"req": [], "status": [], "tuple": None})
    for line in out.splitlines():
        v = dict(zip(fields, line.split("\t") + [""] * len(fields)))
        s = streams[v["tcp.stream"]]
        methods = [m for m in v["http.request.method"].split("|") if m]
        uris = v["http.request.uri"].split("|")
        if not v["tcp.srcport"] or not v["tcp.dstport"]:
            continue  # HTTP over something other than TCP (SSDP over UDP): not ours
        for i, m in enumerate(methods):
            s["req"].append((m, uris[i] if i < len(uris) else ""))
            src = v["ip.src"] or v["ipv6.src"]
            dst = v["ip.dst"] or v["ipv6.dst"]
            s["tuple"] = (src.split("|")[-1], int(v["tcp.srcport"].split("|")[-1]),
                          dst.split("|")[-1], int(v["tcp.dstport"].split("|")[-1]))
        for code in v["http.response.code"].split("|"):
            if code:
                s["status"].append(code)
                if s["tuple"] is None:
                    src = v["ip.dst"] or v["ipv6.dst"]
                    dst = v["ip.src"] or v["ipv6.src"]
                    s["tuple"] = (src.split("|")[-1], int(v["tcp.dstport"].split("|")[-1]),
                                  dst.split("|")[-1], int(v["tcp.srcport"].split("|")[-1]))
    objects = collections.Counter()
    raw_requests = 0
    http_streams = {sid for sid, s in streams.items() if s["req"] or s["status"]}
    if not http_streams and not ours and not ports:
        return streams, objects, raw_requests  # no HTTP for either: no objects to export
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["tshark", "-n", "-r", path] + TSHARK_TCP + decode + ["--export-objects", f"http,{d}"],
                       capture_output=True)
        files = [f for f in sorted(glob.glob(os.path.join(d, "*"))) if os.path.getsize(f)]
        named = {os.path.basename(f)[6:] for f in files
                 if os.path.basename(f).startswith("object") and os.path.basename(f)[6:].isdigit()}
        stream_of = frame_streams(path, decode, named)
        for f in files:
            data = open(f, "rb").read()
            base = os.path.basename(f)
            digest = hashlib.sha256(data).hexdigest()
            if base[6:] in named and digest not in ours and (
                    stream_of.get(base[6:]) not in http_streams
                    or frame_payload(path, decode, base[6:], ports) == data):
                raw_requests += 1
                continue
            objects[digest] += 1
    return streams, objects, raw_requests


def frame_streams(path, decode, frames):
    """frame number -> tcp.stream, for the frames tshark named objects after."""
    if not frames:
        return {}
    out = subprocess.run(["tshark", "-n", "-r", path] + TSHARK_TCP + decode +
                         ["-Y", "frame.number in {%s}" % " ".join(sorted(frames)), "-T", "fields",
                          "-e", "frame.number", "-e", "tcp.stream"],
                         capture_output=True, text=True).stdout
    return dict(line.split("\t")[:2] for line in out.splitlines() if "\t" in line)


def frame_payload(path, decode, frame, ports):
    """The TCP payload of one frame to or from an HTTP port, either direction."""
    out = subprocess.run(["tshark", "-n", "-r", path] + decode + ["-Y", f"frame.number=={frame}", "-T", "fields",
                          "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.payload"],
                         capture_output=True, text=True).stdout.split()
    http_ports = ports | {80, 8080, 3128, 8000}
    if len(out) != 3 or not ({int(out[0]), int(out[1])} & http_ports):
        return None
    return bytes.fromhex(out[2].replace(":", ""))


def norm_ip(s):
    import ipaddress
    return str(ipaddress.ip_address(s))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("-v", action="store_true")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    total = checked = mismatches = 0
    for path in captures(a.paths):
        conns, hashes, resp_hashes = netsift_http(a.bin, path)
        ports = {k[3] for k in conns}
        streams, objects, raw_requests = tshark_http(path, ports, set(hashes))
        if not streams and not conns:
            continue
        total += 1
        name = os.path.basename(path)
        problems = []
        for sid, s in streams.items():
            if s["tuple"] is None:
                continue
            key = (norm_ip(s["tuple"][0]), s["tuple"][1], norm_ip(s["tuple"][2]), s["tuple"][3])
            ours = conns.get(key, [])
            ours_req = [(e["req_method"], e["req_uri"]) for e in ours if "req_method" in e]
            ours_status = [e["resp_status"] for e in ours if "resp_status" in e]
            interim = [c for c in s["status"] if c.startswith("1") and c != "101"]
            s["status"] = [c for c in s["status"] if not (c.startswith("1") and c != "101")]
            if len(interim) != sum(1 for e in ours if e.get("continued")):
                problems.append(f"stream {sid} {key}: tshark interim {interim}, netsift continued "
                                f"{sum(1 for e in ours if e.get('continued'))}")
            checked += 1
            if ours_req != s["req"]:
                problems.append(f"stream {sid} {key}: requests {ours_req[:4]} vs tshark {s['req'][:4]}")
            if ours_status != s["status"]:
                problems.append(f"stream {sid} {key}: statuses {ours_status[:6]} vs tshark {s['status'][:6]}")
        for h, n in objects.items():
            if h not in hashes:
                problems.append(f"tshark object sha256 {h[:16]} not among netsift's bodies")
        for h in resp_hashes:
            if h not in objects:
                problems.append(f"netsift body sha256 {h[:16]} not exported by tshark")
        known = KNOWN.get(name)
        if problems and known:
            evs = [e for c in conns.values() for e in c]
            if not known[2](evs):
                mismatches += 1
                print(f"MISMATCH {name}: tshark is wrong here ({known[1]}), but netsift's own "
                      f"check failed too")
            elif a.v:
                print(f"KNOWN {name}: {known[0]}: {known[1]}")
            continue
        if problems:
            mismatches += 1
            print(f"MISMATCH {name}:")
            for p in problems[:12]:
                print("   ", p)
        elif a.v:
            print(f"ok {name}: {len(streams)} connections, {sum(objects.values())} objects"
                  + (f", {raw_requests} unparsed segments exported by tshark" if raw_requests else ""))
    print(f"compare_http: {total} captures with HTTP, {checked} connections compared, "
          f"{mismatches} captures differ")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
