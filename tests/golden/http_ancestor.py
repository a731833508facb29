#!/usr/bin/env python3
"""The ancestor tool's own HTTP example (its README, "TCP-HTTP Protocol Details", for
seed/cve/cve-2016-4971.pcap) must come out of `netsift sessions --json` as that very
record: every field the ancestor printed, with its value and type, plus netsift's
additions (listed and type-checked here, so a new field is a reviewed change).

One named difference: the ancestor's ts_start, 1467904494.307728, is the time of frame
19, a packet of the FTP connection (60206 -> 21) that wget opened after this exchange,
not of this HTTP connection at all. netsift gives the time of the request's segment
(frame 4, 1467904494.306939), which this test checks against tshark.

Usage: http_ancestor.py --bin build/netsift --capture examples/cve-2016-4971.pcap
"""
import argparse, json, subprocess, sys

ANCESTOR = {
    "ts_start": 1467904494.307728,
    "ts_end": 1467904494.392242,
    "src_ip": "192.168.186.128",
    "src_port": 41352,
    "dst_ip": "192.168.186.128",
    "dst_port": 80,
    "req_method": "GET",
    "req_uri": "/file",
    "req_version": "1.1",
    "req_headers": {
        "user-agent": "Wget/1.17 (linux-gnu)",
        "accept": "*/*",
        "accept-encoding": "identity",
        "host": "192.168.186.128",
        "connection": "Keep-Alive",
    },
    "req_body": "",
    "resp_version": "1.0",
    "resp_status": "301",
    "resp_reason": "Moved Permanently",
    "resp_headers": {
        "server": "SimpleHTTP/0.6 Python/2.7.12",
        "date": "Thu, 07 Jul 2016 15:14:54 GMT",
        "location": "ftp://anonymous@192.168.186.128:21/.wgetrc",
    },
    "resp_body": "",
}
# netsift's additions and their values for this exchange.
ADDED = {
    "event": "http", "proto": "tcp", "trans_depth": 1,
    "host": "192.168.186.128", "user_agent": "Wget/1.17 (linux-gnu)",
    "req_body_len": 0, "req_body_truncated": False,
    "resp_body_len": 0, "resp_body_truncated": False,
}
ADDED_TYPES = {"ts": float, "community_id": str}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--capture", required=True)
    a = ap.parse_args()
    out = subprocess.run([a.bin, "sessions", "-r", a.capture, "--json", "--no-progress"],
                         capture_output=True, text=True, check=True).stdout
    events = [json.loads(l) for l in out.splitlines() if l.strip()]
    http = [e for e in events if e["event"] == "http"]
    errors = []
    if len(http) != 1:
        print(f"FAIL: {len(http)} http events, expected 1")
        return 1
    e = http[0]
    frame4 = subprocess.run(["tshark", "-r", a.capture, "-Y", "frame.number==4", "-T", "fields",
                             "-e", "frame.time_epoch", "-e", "http.request.method"],
                            capture_output=True, text=True).stdout.split()
    for key, want in ANCESTOR.items():
        got = e.get(key)
        if key == "ts_start":
            want = round(float(frame4[0]), 6)  # named difference (see above)
            if frame4[1:] != ["GET"]:
                errors.append(f"tshark frame 4 is not the GET: {frame4}")
        if got != want or type(got) is not type(want):
            errors.append(f"{key}: got {got!r}, ancestor {want!r}")
        # Header order as the ancestor printed it (the wire order).
        if isinstance(want, dict) and isinstance(got, dict) and list(got) != list(want):
            errors.append(f"{key}: order {list(got)}, ancestor {list(want)}")
    for key, want in ADDED.items():
        if e.get(key) != want:
            errors.append(f"{key}: got {e.get(key)!r}, expected {want!r}")
    for key, typ in ADDED_TYPES.items():
        if not isinstance(e.get(key), typ):
            errors.append(f"{key}: missing or not {typ.__name__}")
    extra = set(e) - set(ANCESTOR) - set(ADDED) - set(ADDED_TYPES)
    if extra:
        errors.append(f"unreviewed fields: {sorted(extra)}")
    for err in errors:
        print("FAIL:", err)
    print(f"http_ancestor: {len(ANCESTOR)} ancestor fields, {len(errors)} differences")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
