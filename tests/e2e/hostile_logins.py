#!/usr/bin/env python3
"""Hostile login traffic, built here, through the whole `netsift sessions` run: each case
finishes quickly, stays within the caps (peak RSS of the child asserted), is reported by
name (anomaly counted in the run summary, `weird` event with --weird), and no login is
invented or lost:
  1. MySQL: a HandshakeResponse whose header claims 16 MiB, 2 MiB of it sent;
  2. PostgreSQL: a PasswordMessage claiming 1 GiB, 2 MiB of it sent, and a
     StartupMessage claiming 1 GiB on another connection;
  3. Redis: an AUTH whose password bulk string claims 2 GiB, 2 MiB of it sent (the
     command never completes: no attempt);
  4. 100 000 logins on one connection, twice: Redis AUTH pipelined (all commands, then
     all replies: past 1024 unanswered commands the oldest are reported unknown, by
     design, and the anomaly says so) and FTP USER/PASS, each command answered: every
     attempt reported, the alerts raised;
  5. MongoDB: a BSON document nested 10 000 levels deep, in an OP_COMPRESSED (zlib)
     message of a few hundred bytes (reported) and plain (80 KB: over the size read
     whole, skipped unread).
Usage: hostile_logins.py --bin build/netsift [--no-rss]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcap_build import Pcap, TcpConversation  # noqa: E402

RESULTS = []
C, S = "192.0.2.10", "192.0.2.20"
RSS_LIMIT_MB = 160  # everything here fits in a few tens of MiB; buffering any claim would not
SECONDS = 60        # a generous bound for a few MiB of input


def check(name, cond, detail=""):
    RESULTS.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": %s" % detail))


def chunks(data, size=60000):
    return [i for i in range(size, len(data), size)]


def run(binary, cap, extra=()):
    """Runs sessions --json --weird; returns (exit code, events, stderr, peak RSS MiB, seconds).
    posix_spawn, not fork: a child forked from this Python would count the Python's
    pages in its own peak RSS."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        argv = [binary, "sessions", "-r", cap, "--json", "--weird", "--no-progress"] + list(extra)
        pid = os.posix_spawn(binary, argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
        seconds = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        # Only what the checks read (auth: service, user, password, result): the parent
        # stays small, since a spawned child inherits its peak RSS record at exec.
        events = []
        for line in out:
            e = json.loads(line)
            if e.get("event") in ("tcp_data", "tcp_session", "auth_summary"):
                continue
            if e.get("event") == "auth":
                e = {k: e.get(k) for k in ("event", "service", "user", "password", "result")}
            events.append(e)
        return (os.waitstatus_to_exitcode(status), events, err.read().decode(errors="replace"),
                usage.ru_maxrss / 1024.0, seconds)


def weird(events, name):
    return sum(1 for e in events if e.get("event") == "weird" and e.get("name") == name)


def auths(events, service):
    return [e for e in events if e.get("event") == "auth" and e.get("service") == service]


def le(v, n):
    return v.to_bytes(n, "little")


def big_lengths(p, t):
    # MySQL: greeting, then a login packet claiming 0xffffff bytes.
    greet = (b"\x0a8.0.36\0" + le(7, 4) + b"abcdefgh\0" + le(0xf7ff, 2) + b"\x21" + le(2, 2) +
             le(0x81bf, 2) + b"\x15" + b"\0" * 10 + b"ijklmnopqrst\0" + b"mysql_native_password\0")
    body = b"\x00" * (2 << 20)
    c = TcpConversation(p, t, C, S, 50001, 3306).server(le(len(greet), 3) + b"\0" + greet)
    t = c.client(le(0xffffff, 3) + b"\x01" + body, cuts=chunks(body)).close()
    # PostgreSQL: startup, cleartext asked, then a PasswordMessage claiming 1 GiB.
    params = b"user\0mallory\0\0"
    c = TcpConversation(p, t, C, S, 50002, 5432)
    c.client((8 + len(params)).to_bytes(4, "big") + (196608).to_bytes(4, "big") + params)
    c.server(b"R" + (8).to_bytes(4, "big") + (3).to_bytes(4, "big"))
    t = c.client(b"p" + (1 << 30).to_bytes(4, "big") + body, cuts=chunks(body)).close()
    # ... and a StartupMessage claiming 1 GiB.
    c = TcpConversation(p, t, C, S, 50003, 5432)
    t = c.client((1 << 30).to_bytes(4, "big") + (196608).to_bytes(4, "big") + body,
                 cuts=chunks(body)).close()
    # Redis: AUTH with a 2 GiB password; then SET with a 2 GiB value, then a real AUTH.
    c = TcpConversation(p, t, C, S, 50004, 6379)
    return c.client(b"*2\r\n$4\r\nAUTH\r\n$2147483648\r\n" + body, cuts=chunks(body)).close()


def many_logins(p, t, n):
    cmds = b"".join(b"*3\r\n$4\r\nAUTH\r\n$5\r\nadmin\r\n$8\r\npw%06d\r\n" % i for i in range(n))
    replies = b"".join(b"-WRONGPASS invalid username-password pair\r\n" if i + 1 < n else b"+OK\r\n"
                       for i in range(n))
    c = TcpConversation(p, t, C, S, 50006, 6379).client(cmds, cuts=chunks(cmds, 1400))
    t = c.server(replies, cuts=chunks(replies, 1400)).close()
    c = TcpConversation(p, t, C, S, 50007, 21).server(b"220 ftp\r\n")
    # Each command waits for its reply, as FTP clients (and brute forcers) do.
    for i in range(n):
        c.client(b"USER root\r\n").server(b"331 Password required\r\n")
        c.client(b"PASS pw%06d\r\n" % i).server(b"530 Login incorrect\r\n" if i + 1 < n
                                                 else b"230 Logged in\r\n")
    return c.close()


def deep_bson(p, t, depth):
    # {"a": {"a": {... {} ...}}}: each level is int32 length, 0x03 "a\0" <child>, 0x00.
    doc = b"\x05\x00\x00\x00\x00"
    for _ in range(depth):
        inner = b"\x03a\x00" + doc + b"\x00"
        doc = struct.pack("<i", 4 + len(inner)) + inner
    body = struct.pack("<I", 0) + b"\x00" + doc  # flagBits, kind-0 section
    # OP_COMPRESSED (2012): originalOpcode OP_MSG, uncompressedSize, compressorId 2 (zlib).
    z = zlib.compress(body, 9)
    packed = struct.pack("<iiB", 2013, len(body), 2) + z
    msg = struct.pack("<iiii", 16 + len(packed), 1, 0, 2012) + packed
    c = TcpConversation(p, t, C, S, 50008, 27017).client(msg, cuts=chunks(msg, 1400))
    t = c.close()
    msg = struct.pack("<iiii", 16 + len(body), 2, 0, 2013) + body
    c = TcpConversation(p, t, C, S, 50009, 27017).client(msg, cuts=chunks(msg, 1400))
    return c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--no-rss", action="store_true", help="sanitizer builds: no RSS bound")
    ap.add_argument("--write", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.write:
        for path, build in (("big.pcap", big_lengths), ("many.pcap", lambda p, t: many_logins(p, t, a.count)),
                            ("deep.pcap", lambda p, t: deep_bson(p, t, 10000))):
            p = Pcap(checksum=True)
            build(p, 1700000000.0)
            p.write(os.path.join(a.write, path))
        return 0
    with tempfile.TemporaryDirectory(prefix="hostile-logins-") as tmp:
        # The many-logins run last: its events are what makes this process grow.
        cases = [("huge length fields", os.path.join(tmp, "big.pcap")),
                 ("BSON 10 000 deep", os.path.join(tmp, "deep.pcap")),
                 ("%d logins on one connection" % a.count, os.path.join(tmp, "many.pcap"))]
        # Written by a child process: a netsift forked from a big Python would count the
        # Python's pages in its own peak RSS.
        subprocess.run([sys.executable, os.path.abspath(__file__), "--bin", a.bin, "--count",
                        str(a.count), "--write", tmp], check=True)
        for name, path in cases:
            rc, events, err, rss, secs = run(a.bin, path)
            check(name + ": exit 0", rc == 0, "exit %d: %s" % (rc, err[-300:]))
            check(name + ": %.2f s" % secs, secs < SECONDS, "took %.1f s" % secs)
            if not a.no_rss:
                check(name + ": peak RSS %.0f MiB" % rss, rss < RSS_LIMIT_MB,
                      "%.0f MiB, limit %d" % (rss, RSS_LIMIT_MB))
            if path.endswith("big.pcap"):
                check("mysql 16 MiB login packet reported",
                      weird(events, "mysql.packet_too_long") == 1 and "mysql.packet_too_long" in err,
                      err[-500:])
                check("no mysql login invented", not auths(events, "mysql"), auths(events, "mysql"))
                check("pgsql 1 GiB messages reported", weird(events, "pgsql.message_too_long") >= 1
                      or weird(events, "pgsql.bad_startup") >= 1, [e for e in events if e.get("event") == "weird"])
                pg = auths(events, "pgsql")
                check("pgsql: the 1 GiB password is one attempt, unknown",
                      len(pg) == 1 and pg[0]["user"] == "mallory" and pg[0]["result"] == "unknown", pg)
                check("redis: the 2 GiB AUTH never completed: no attempt", not auths(events, "redis"),
                      auths(events, "redis"))
            if path.endswith("many.pcap"):
                rd, ftp = auths(events, "redis"), auths(events, "ftp")
                pws = sorted(e["password"] for e in rd)
                known = [e for e in rd if e["result"] != "unknown"]
                check("redis: %d attempts, each once; those within the 1024 pending answered" % a.count,
                      pws == ["pw%06d" % i for i in range(a.count)] and 1 <= len(known) <= 1024
                      and sum(e["result"] == "success" for e in rd) == 1
                      and weird(events, "redis.too_many_pending") >= 1,
                      "%d events, %d known" % (len(rd), len(known)))
                check("ftp: %d attempts, last success" % a.count,
                      len(ftp) == a.count and sum(e["result"] == "failure" for e in ftp) == a.count - 1
                      and ftp[-1]["result"] == "success", "%d events" % len(ftp))
                alerts = [e for e in events if e.get("event") == "alert"]
                check("brute force alerts for both", {x.get("service") for x in alerts} >= {"redis", "ftp"},
                      alerts[:3])
            if path.endswith("deep.pcap"):
                check("bson 10 000 deep reported", weird(events, "mongodb.bson_too_deep") == 1,
                      [e for e in events if e.get("event") == "weird"])
    failed = RESULTS.count(False)
    print("%d checks, %d failed" % (len(RESULTS), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
