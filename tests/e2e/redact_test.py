#!/usr/bin/env python3
"""--redact: no password, credential or hash of a login reaches any output.

Planted: a capture built here logs in with known passwords over every login protocol
that sends one in a form the test can plant (FTP, POP3 USER/PASS and AUTH, IMAP LOGIN
quoted and as a literal, SMTP AUTH PLAIN and LOGIN, Redis AUTH in RESP and inline on an
unregistered port, HTTP Basic and Proxy-Authorization, PostgreSQL cleartext, MySQL
mysql_clear_password and COM_CHANGE_USER), each cut across TCP segments inside the
secret. Every output is searched for each password as is, base64-encoded the way the
protocol carried it, and inside hex dumps (decoded back to bytes). Without --redact the
same search must find them (so the search is known to work), and the auth events must
still be there with --redact (so nothing was found by dropping the logins).

Corpus: without --redact, the `auth` events of the captures give the secrets: every
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
import base64
import glob
import re
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

SKIP = 77

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcap_build import Pcap, TcpConversation  # noqa: E402

C, S = "10.9.8.7", "10.9.8.1"


def b64(b):
    return base64.b64encode(b)


def le(v, n):
    return v.to_bytes(n, "little")


def mysql_packet(seq, payload):
    return le(len(payload), 3) + bytes([seq]) + payload


def planted(path):
    """Writes the capture; returns {password: [wire forms to look for]}."""
    p = Pcap(checksum=True)
    t = 1700000000.0
    secrets = {}

    def plant(name, forms=()):
        pw = ("Pl4nted-%s-S3cret" % name).encode()
        secrets[pw] = [pw] + list(forms)
        return pw

    # FTP: USER/PASS twice on one connection, the password cut in two segments.
    pw1, pw2 = plant("ftp1"), plant("ftp2")
    c = TcpConversation(p, t, C, S, 40001, 21).server(b"220 ready\r\n").client(b"USER alice\r\n")
    c.server(b"331 password\r\n").client(b"PASS " + pw1 + b"\r\n", cuts=[9]).server(b"530 no\r\n")
    c.client(b"USER alice\r\n").server(b"331 password\r\n").client(b"PASS " + pw2 + b"\r\n", cuts=[6, 12])
    t = c.server(b"230 in\r\nxx").close()
    # POP3: USER/PASS, then AUTH PLAIN with an initial response.
    pw = plant("pop3")
    blob = b"\0bob\0" + plant("pop3sasl")
    secrets[blob[5:]].append(b64(blob))
    c = TcpConversation(p, t, C, S, 40002, 110).server(b"+OK ready <1896.697@host>\r\n")
    c.client(b"USER bob\r\n").server(b"+OK\r\n").client(b"PASS " + pw + b"\r\n", cuts=[8])
    c.server(b"-ERR no\r\n").client(b"AUTH PLAIN " + b64(blob) + b"\r\n", cuts=[15])
    t = c.server(b"+OK in\r\n").close()
    # IMAP: LOGIN with a quoted password, then with a literal.
    pw, lit = plant("imap"), plant("imaplit")
    c = TcpConversation(p, t, C, S, 40003, 143).server(b"* OK IMAP4rev1 ready\r\n")
    c.client(b'a1 LOGIN carol "' + pw + b'"\r\n', cuts=[20]).server(b"a1 NO bad\r\n")
    c.client(b"a2 LOGIN carol {%d}\r\n" % len(lit)).server(b"+ go\r\n")
    c.client(lit + b"\r\n", cuts=[5]).server(b"a2 OK in\r\n")
    t = c.close()
    # SMTP: AUTH PLAIN, then AUTH LOGIN (user and password each base64 after 334).
    blob = b"\0dave\0" + plant("smtpplain")
    secrets[blob[6:]].append(b64(blob))
    pw = plant("smtplogin")
    secrets[pw].append(b64(pw))
    c = TcpConversation(p, t, C, S, 40004, 25).server(b"220 mail ESMTP\r\n").client(b"EHLO x\r\n")
    c.server(b"250-mail\r\n250 AUTH PLAIN LOGIN\r\n").client(b"AUTH PLAIN " + b64(blob) + b"\r\n", cuts=[14])
    c.server(b"535 5.7.8 no\r\n").client(b"AUTH LOGIN\r\n").server(b"334 VXNlcm5hbWU6\r\n")
    c.client(b64(b"dave") + b"\r\n").server(b"334 UGFzc3dvcmQ6\r\n").client(b64(pw) + b"\r\n", cuts=[7])
    t = c.server(b"235 2.7.0 ok\r\n").close()
    # Redis: RESP AUTH user password cut inside the bulk string; inline AUTH on port 7777.
    pw, inline = plant("redis"), plant("redisinline")
    cmd = b"*3\r\n$4\r\nAUTH\r\n$3\r\neve\r\n$%d\r\n%s\r\n" % (len(pw), pw)
    c = TcpConversation(p, t, C, S, 40005, 6379).client(cmd, cuts=[30, 36]).server(b"-WRONGPASS bad\r\n")
    c.client(b"*1\r\n$4\r\nPING\r\n").server(b"+PONG\r\n")
    t = c.close()
    c = TcpConversation(p, t, C, S, 40006, 7777).client(b"AUTH " + inline + b"\r\n", cuts=[9]).server(b"+OK\r\n")
    t = c.close()
    # HTTP: Basic credentials cut inside the base64, and Proxy-Authorization.
    pw, proxy = plant("http"), plant("httpproxy")
    secrets[pw].append(b64(b"frank:" + pw))
    secrets[proxy].append(b64(b"gina:" + proxy))
    req = b"GET /a HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + b64(b"frank:" + pw) + b"\r\n\r\n"
    c = TcpConversation(p, t, C, S, 40007, 80).client(req, cuts=[50, 60])
    c.server(b"HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n")
    req = b"GET http://y/ HTTP/1.1\r\nHost: y\r\nProxy-Authorization: Basic " + b64(b"gina:" + proxy) + b"\r\n\r\n"
    c.client(req, cuts=[70]).server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    t = c.close()
    # PostgreSQL: cleartext password asked for.
    pw = plant("pgsql")
    params = b"user\0hank\0database\0db\0\0"
    startup = (8 + len(params)).to_bytes(4, "big") + (196608).to_bytes(4, "big") + params
    c = TcpConversation(p, t, C, S, 40008, 5432).client(startup)
    c.server(b"R" + (8).to_bytes(4, "big") + (3).to_bytes(4, "big"))
    c.client(b"p" + (5 + len(pw)).to_bytes(4, "big") + pw + b"\0", cuts=[9])
    c.server(b"R" + (8).to_bytes(4, "big") + (0).to_bytes(4, "big") + b"Z\0\0\0\x05I")
    t = c.close()
    # MySQL: mysql_clear_password at login, then COM_CHANGE_USER with another one.
    pw, pw2 = plant("mysql"), plant("mysqlchange")
    caps = 0x200 | 0x8000 | 0x80000 | 0x200000 | 0x1
    scramble = b"abcdefghijklmnopqrst"
    greet = (b"\x0a8.0.36\0" + le(42, 4) + scramble[:8] + b"\0" + le(caps & 0xffff, 2) + b"\xff" +
             le(2, 2) + le(caps >> 16, 2) + b"\x15" + b"\0" * 10 + scramble[8:] + b"\0" +
             b"mysql_clear_password\0")
    login = (le(caps, 4) + le(1 << 24, 4) + b"\x21" + b"\0" * 23 + b"ivy\0" + bytes([len(pw) + 1]) + pw +
             b"\0" + b"mysql_clear_password\0")
    change = b"\x11" + b"jay\0" + bytes([len(pw2) + 1]) + pw2 + b"\0" + b"\0" + le(0x21, 2) + b"mysql_clear_password\0"
    ok = b"\x00\x00\x00\x02\x00\x00\x00"
    c = TcpConversation(p, t, C, S, 40009, 3306).server(mysql_packet(0, greet))
    c.client(mysql_packet(1, login), cuts=[50]).server(mysql_packet(2, ok))
    c.client(mysql_packet(0, change), cuts=[12]).server(mysql_packet(1, ok))
    t = c.close()
    p.write(path)
    return secrets


HEXDUMP = re.compile(rb"^\t0x[0-9a-f]{4}:  ((?:[0-9a-f ]{5}){8})", re.M)


def hexdumps(data):
    """The bytes of every hex dump in a text output, runs of dump lines joined."""
    out, run = [], []
    last_end = None
    for m in HEXDUMP.finditer(data):
        if last_end is not None and m.start() != last_end + 1:
            out.append(b"".join(run))
            run = []
        run.append(bytes.fromhex(m.group(1).decode().replace(" ", "")))
        last_end = data.find(b"\n", m.start())
    if run:
        out.append(b"".join(run))
    return b"\n".join(out)


def planted_check(binary, tmp):
    cap = os.path.join(tmp, "planted.pcap")
    secrets = planted(cap)
    failures = []
    outputs, plain = all_outputs(binary, cap, tmp, True), all_outputs(binary, cap, tmp, False)
    for pw, forms in secrets.items():
        for name, data in outputs.items():
            for f in forms:
                if f in data:
                    failures.append("planted: %s shows %r (%s)" % (name, f, pw.decode()))
        # The same search finds them without --redact: in payload, both as text and dump.
        for name in ("text --data-level 2 stdout (hex dump)", "json --stream stdout"):
            if not any(f in plain[name] for f in forms):
                failures.append("planted: without --redact, %s lacks %s: the search is blind" % (name, pw.decode()))
    # The logins are still reported: one auth event per planted login.
    auths = [json.loads(l) for l in outputs["json stdout"].splitlines() if b'"event":"auth"' in l]
    services = sorted(a["service"] for a in auths)
    want = sorted(["ftp", "ftp", "pop3", "pop3", "imap", "imap", "smtp", "smtp", "redis", "redis",
                   "http", "http", "pgsql", "mysql", "mysql"])
    if services != want:
        failures.append("planted: auth events %s, expected %s" % (services, want))
    if any(a.get("password") not in (None, "<redacted>") for a in auths):
        failures.append("planted: a password shown in an auth event")
    return failures


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
    """The secrets the auth events of `capture` show without --redact, split in two:
    distinctive ones, searched for byte by byte in every output, and common ones (a
    password such as "password" or "cisco" that the capture also carries as ordinary
    text, or that is also a user name, reason or URI), for which only the events are
    checked (a search would find the ordinary text)."""
    p = run(binary, ["sessions", "-r", capture, "--json", "--no-auth-summary"])
    raw = open(capture, "rb").read()
    sent, plain = {}, []
    for line in p.stdout.splitlines():
        if b'"event":"auth"' not in line:
            continue
        e = json.loads(line)
        values = [e.get("password"), e.get("hash")] + list((e.get("credential") or {}).values())
        for v in values:
            if isinstance(v, str) and len(v) >= 4 and v != "<redacted>":
                sent[v] = sent.get(v, 0) + 1
        plain += [str(e.get(k)) for k in ("user", "reason", "uri", "database") if e.get(k)]
    distinctive = {v for v, n in sent.items()
                   if raw.count(v.encode()) <= n and not any(v in f for f in plain)}
    return distinctive, set(sent) - distinctive


def events_masked(outputs):
    """Auth events in the JSON outputs whose secret fields are not masked."""
    bad = []
    for name, data in outputs.items():
        if not name.startswith("json") or not name.endswith("stdout"):
            continue
        for line in data.splitlines():
            if b'"event":"auth"' not in line:
                continue
            e = json.loads(line)
            values = [e.get("password"), e.get("hash")] + list((e.get("credential") or {}).values())
            if any(v not in (None, "", "<redacted>") for v in values):
                bad.append("%s: %s" % (name, line[:200]))
    return bad


def sqlite_text(path):
    db = sqlite3.connect(path)
    parts = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')"):
        for row in db.execute('SELECT * FROM "%s"' % table.replace('"', '""')):
            parts += [str(v) for v in row]
    db.close()
    return "\n".join(parts).encode()


def all_outputs(binary, cap, tmp, redact):
    """Every output of a sessions run on `cap`, by name: stdout and stderr of JSON (whole
    sessions, --stream, --base64), text (escaped and hex dump, whole and streamed), the
    --output-dir files and the --sqlite database."""
    flag = ["--redact"] if redact else []
    outputs = {}
    for name, args in (("json", ["--json"]), ("json --stream", ["--json", "--stream"]),
                       ("json --stream --base64", ["--json", "--stream", "--base64"]),
                       ("json --stream --workers 2", ["--json", "--stream", "--workers", "2"]),
                       ("text", []), ("text --data-level 2", ["--data-level", "2"]),
                       ("text --stream --data-level 2", ["--stream", "--data-level", "2"])):
        p = run(binary, ["sessions", "-r", cap, "--weird"] + flag + args)
        outputs[name + " stdout"] = p.stdout
        outputs[name + " stderr"] = p.stderr
        if name == "json --stream --base64":
            # Decoded, so that a secret inside a base64 data field is seen.
            dec = []
            for line in p.stdout.splitlines():
                e = json.loads(line)
                if "data" in e:
                    dec.append(base64.b64decode(e["data"]))
            outputs[name + " decoded"] = b"\n".join(dec)
    d = os.path.join(tmp, "dir-%d" % redact)
    db = os.path.join(tmp, "events-%d.db" % redact)
    p = run(binary, ["sessions", "-r", cap, "--stream", "--output-dir", d, "--sqlite", db] + flag)
    outputs["directory/sqlite run stderr"] = p.stderr
    for f in sorted(glob.glob(os.path.join(d, "*"))):
        outputs["directory " + os.path.basename(f)] = open(f, "rb").read()
    if os.path.exists(db):
        outputs["sqlite"] = sqlite_text(db)
    for name, data in list(outputs.items()):
        if name.startswith("text") and name.endswith("stdout"):
            outputs[name + " (hex dump)"] = hexdumps(data)
    return outputs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    if b"--redact" not in run(a.bin, ["sessions", "--help"]).stdout:
        print("SKIP: netsift sessions has no --redact yet")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="redact-planted-") as tmp:
        failures = planted_check(a.bin, tmp)
    checked = 1
    for cap in captures(a.paths):
        secrets, common = secrets_of(a.bin, cap)
        if not secrets and not common:
            continue
        checked += 1
        with tempfile.TemporaryDirectory(prefix="redact-") as tmp:
            outputs = all_outputs(a.bin, cap, tmp, True)
            failures += ["%s: unmasked auth event in %s" % (cap, b) for b in events_masked(outputs)]
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
    for f in failures:
        print("FAIL:", f)
    print("%d captures with secrets checked, %d failures" % (checked, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
