#!/usr/bin/env python3
"""Login alerts on real captures: none on normal traffic, the right ones on attacks.

For every capture, `netsift sessions --json` gives `auth` and `alert` events. The
alerts are recomputed here from the `auth` events alone by an independent model of the
documented rules (docs/events.md, default thresholds), and must equal netsift's: same
kind, source, service, count and time. Every capture must give no alert at all unless
`--expect CAPTURE_NAME=KIND[,KIND...]` (repeatable) names it: then exactly those kinds,
once the capture yields `auth` events (an analyzer not yet written leaves it unchecked,
said on the output). Skips (77) when no capture gives an `auth` event.

    auth_alerts_corpus.py --bin build/netsift [--expect zeek-bruteforce=brute_force] DIR...
"""
import argparse
import collections
import glob
import json
import os
import subprocess
import sys

SKIP = 77
WINDOW = 600.0
BRUTE = 10
SPRAY = 5
COMPROMISE = 10


def model(auths):
    """The alerts the documented rules give for these auth events, in order."""
    state = {}
    out = []
    for e in auths:
        if e.get("result") not in ("success", "failure"):
            continue
        key = (e["src_ip"], e["service"])
        s = state.setdefault(key, {"fail": [], "users": {}, "brute": True, "spray": True,
                                   "newest": None, "last_comp": None})
        ts = e["ts"]
        s["newest"] = ts if s["newest"] is None else max(s["newest"], ts)
        start = s["newest"] - WINDOW
        if e["result"] == "failure":
            s["fail"].append(ts)
            s["fail"].sort()
            user = e.get("user", "")[:128]
            s["users"][user] = max(ts, s["users"].get(user, ts))
            n = sum(1 for t in s["fail"] if t >= start - 1e-7)
            if n >= BRUTE:
                if s["brute"]:
                    s["brute"] = False
                    out.append(("brute_force", key[0], key[1], n, ts))
            else:
                s["brute"] = True
            u = sum(1 for t in s["users"].values() if t >= start - 1e-7)
            if u >= SPRAY:
                if s["spray"]:
                    s["spray"] = False
                    out.append(("password_spray", key[0], key[1], u, ts))
            else:
                s["spray"] = True
        else:
            since = start if s["last_comp"] is None else max(start, s["last_comp"] + 1e-9)
            # netsift keeps the newest max(BRUTE, COMPROMISE) failure times only.
            n = min(sum(1 for t in s["fail"] if t >= since - 1e-7), max(BRUTE, COMPROMISE))
            if n >= COMPROMISE:
                s["last_comp"] = s["newest"]
                out.append(("login_after_failures", key[0], key[1], n, ts))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--expect", action="append", default=[], help="NAME=KIND")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    expect = {k: sorted(v.split(",")) for k, v in (x.split("=", 1) for x in a.expect)}
    caps = []
    for p in a.paths:
        for ext in ("pcap", "pcapng"):
            caps += glob.glob(os.path.join(p, "**", "*." + ext), recursive=True)
    failures = []
    with_auth = 0
    for cap in sorted(set(caps)):
        name = os.path.splitext(os.path.basename(cap))[0]
        # --ordered: login attempts in the order the detectors see them (one engine's),
        # whatever the number of workers, so that the rules replayed here see it too.
        p = subprocess.run([a.bin, "sessions", "-r", cap, "--json", "--data-level", "0", "--ordered"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        auths, alerts = [], []
        for line in p.stdout.splitlines():
            if b'"event":"auth"' in line:
                auths.append(json.loads(line))
            elif b'"event":"alert"' in line:
                e = json.loads(line)
                if e.get("kind") in ("brute_force", "password_spray", "login_after_failures"):
                    alerts.append(e)
        if not auths and not alerts:
            if name in expect:
                print("%s: no auth events yet, %s not checked" % (name, ",".join(expect[name])))
            continue
        with_auth += 1
        got = [(e["kind"], e["src_ip"], e["service"], e["count"], e["ts"]) for e in alerts]
        want = model(auths)
        if [g[:4] for g in got] != [w[:4] for w in want] or any(
                abs(g[4] - w[4]) > 1e-5 for g, w in zip(got, want)):
            failures.append("%s: netsift alerts %s, the rules give %s" % (name, got, want))
        kinds_got = sorted(set(g[0] for g in got))
        if name not in expect and got:
            failures.append("%s: alerts on a capture not expected to raise any (if right, "
                            "add --expect %s=%s): %s" % (name, name, ",".join(kinds_got), got))
        if name in expect and kinds_got != expect[name]:
            failures.append("%s: alert kinds %s, expected %s (auth events: %d)" % (
                name, kinds_got, expect[name], len(auths)))
        kinds = collections.Counter(g[0] for g in got)
        print("%s: %d auth events, alerts %s" % (name, len(auths), dict(kinds) or "none"))
    if not with_auth:
        print("SKIP: no capture gave an auth event")
        return SKIP
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
