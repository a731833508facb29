#!/usr/bin/env python3
"""--redact: no password, credential or hash of a login reaches any output.

First, without --redact, the `auth` events of the captures give the secrets: every
`password`, every `credential` value and every `hash` (at least 4 characters, so that
a search means something). Then, with --redact, every output is searched for each of
them, byte for byte: JSON Lines on stdout (whole sessions, and --stream chunks), the
text mode, --output-dir files, the --sqlite database (every table, every column) and
standard error. `--hashes FILE --redact` must be refused (exit 64) without creating
FILE. Skips (77) while netsift has no --redact or no analyzer reports a secret in the
captures: a check with nothing to find proves nothing.

    redact_test.py --bin build/netsift CAPTURE_OR_DIR...
"""
import argparse
import glob
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

SKIP = 77


def captures(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for ext in ("pcap", "pcapng"):
                out += glob.glob(os.path.join(p, "**", "*." + ext), recursive=True)
        else:
            out.append(p)
    return sorted(set(out))


def run(binary, args):
    return subprocess.run([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)


def secrets_of(binary, capture):
    p = run(binary, ["sessions", "-r", capture, "--json", "--no-auth-summary"])
    found = set()
    for line in p.stdout.splitlines():
        if b'"event":"auth"' not in line:
            continue
        e = json.loads(line)
        values = [e.get("password"), e.get("hash")] + list((e.get("credential") or {}).values())
        for v in values:
            if isinstance(v, str) and len(v) >= 4 and v != "<redacted>":
                found.add(v)
    return found


def sqlite_text(path):
    db = sqlite3.connect(path)
    parts = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')"):
        for row in db.execute('SELECT * FROM "%s"' % table.replace('"', '""')):
            parts += [str(v) for v in row]
    db.close()
    return "\n".join(parts).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    if b"--redact" not in run(a.bin, ["sessions", "--help"]).stdout:
        print("SKIP: netsift sessions has no --redact yet")
        return SKIP
    failures = []
    checked = 0
    for cap in captures(a.paths):
        secrets = secrets_of(a.bin, cap)
        if not secrets:
            continue
        checked += 1
        with tempfile.TemporaryDirectory(prefix="redact-") as tmp:
            outputs = {}
            for name, args in (("json", ["--json"]), ("json --stream", ["--json", "--stream"]),
                               ("text", []), ("text --data-level 2", ["--data-level", "2"])):
                p = run(a.bin, ["sessions", "-r", cap, "--redact"] + args)
                outputs[name + " stdout"] = p.stdout
                outputs[name + " stderr"] = p.stderr
            d = os.path.join(tmp, "dir")
            db = os.path.join(tmp, "events.db")
            p = run(a.bin, ["sessions", "-r", cap, "--redact", "--output-dir", d, "--sqlite", db])
            if p.returncode not in (0, 2):
                failures.append("%s: --output-dir/--sqlite run exited %d" % (cap, p.returncode))
            for f in sorted(glob.glob(os.path.join(d, "*"))):
                outputs["directory " + os.path.basename(f)] = open(f, "rb").read()
            if os.path.exists(db):
                outputs["sqlite"] = sqlite_text(db)
            for name, data in outputs.items():
                for s in secrets:
                    if s.encode() in data:
                        failures.append("%s: %s shows the secret %r" % (cap, name, s))
            # The hash lines are secrets: --hashes with --redact is refused, nothing written.
            hashes = os.path.join(tmp, "hashes.txt")
            p = run(a.bin, ["sessions", "-r", cap, "--redact", "--hashes", hashes])
            if p.returncode != 64 or os.path.exists(hashes):
                failures.append("%s: --hashes with --redact: exit %d, file %s" % (
                    cap, p.returncode, "written" if os.path.exists(hashes) else "absent"))
    if not checked:
        print("SKIP: no capture gave an auth event with a password, credential or hash")
        return SKIP
    for f in failures:
        print("FAIL:", f)
    print("%d captures with secrets checked, %d failures" % (checked, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
