#!/usr/bin/env python3
"""Real nmap traffic (examples/nmap-*.pcap, cut from tests/e2e/scanners_lab.sh runs):
service probes invent no login, refused AUTH commands are no attempts, the real logins
around them are all there.

- nmap-sv-probes.pcap: `nmap -sV --version-all` against vsftpd, dnsmasq, nginx,
  MariaDB, PostgreSQL and redis on their ports and, through forwarders, on ports
  where only content tells (8080, 13306, 15432, 16379, 2121): HTTP, SSL, SMB, RPC, RDP,
  X11... probes to every one. No `auth` event, no alert, and `stats` no alert either.
- nmap-smtp-brute.pcap: smtp-brute (AUTH LOGIN before EHLO, refused 503), smtp-ntlm-info
  (AUTH NTLM refused 504), -sV probes, then swaks failing and succeeding as bob: exactly
  those two logins, and the refusals counted as `auth_refused` on their sessions.
- nmap-mail-ntlm-brute.pcap: pop3-ntlm-info and imap-ntlm-info against Dovecot (AUTH /
  AUTHENTICATE NTLM, refused: no attempt), then pop3-brute and imap-brute sessions
  (two LOGINs on one IMAP connection), the right password among them; Dovecot's log
  agreed with every login of the whole run.

Usage: scanners_probes_test.py --bin build/netsift [--examples DIR]
"""
import argparse, collections, json, os, subprocess, sys

FAILS = []


def events(binary, cap, mode):
    extra = ["--no-sqlite", "--no-geoip"] if mode == "stats" else []
    p = subprocess.run([binary, mode, "-r", cap, "--json", "--no-progress"] + extra,
                       capture_output=True, timeout=120)
    if p.returncode != 0:
        FAILS.append(f"{cap} {mode}: exit {p.returncode} {p.stderr.decode()[-300:]}")
    return [json.loads(l) for l in p.stdout.decode().splitlines()]


def check(what, got, want):
    print("ok  " if got == want else "FAIL", what, "" if got == want else f"got {got}, want {want}")
    if got != want:
        FAILS.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--examples", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                       "examples"))
    a = ap.parse_args()
    b = os.path.abspath(a.bin)
    probes = os.path.join(a.examples, "nmap-sv-probes.pcap")
    ev = events(b, probes, "sessions")
    kinds = collections.Counter(e["event"] for e in ev)
    check("sv probes: no auth event", [e for e in ev if e["event"] == "auth"], [])
    check("sv probes: no alert", [e for e in ev if e["event"] == "alert"], [])
    # The probes did reach every service (the capture is what it claims to be).
    ports = sorted({e["dst_port"] for e in ev if e["event"] == "tcp_session"})
    check("sv probes: sessions to every port", ports,
          [21, 53, 80, 2121, 3306, 5432, 6379, 8080, 13306, 15432, 16379])
    check("sv probes: some sessions", kinds["tcp_session"] > 100, True)
    st = events(b, probes, "stats")
    check("sv probes: stats alerts", [e for e in st if e["event"] == "alert"], [])

    ev = events(b, os.path.join(a.examples, "nmap-smtp-brute.pcap"), "sessions")
    auth = sorted((e["user"], e.get("password"), e["result"]) for e in ev if e["event"] == "auth")
    check("smtp brute: the real logins only", auth,
          [("bob", "smtp-Secret2", "success"), ("bob", "w12", "failure")])
    refused = sum(e.get("auth_refused", 0) for e in ev if e["event"] == "smtp")
    check("smtp brute: refused AUTHs counted", refused, 4)
    ev = events(b, os.path.join(a.examples, "nmap-mail-ntlm-brute.pcap"), "sessions")
    auth = sorted((e["service"], e["user"], e.get("password"), e["result"]) for e in ev if e["event"] == "auth")
    want = [("imap", "dave", "wrong", "failure"), ("imap", "test", "Mail-Good1", "failure"),
            ("imap", "test", "wrong", "failure"), ("pop3", "carol", "Mail-Good1", "success"),
            ("pop3", "root", "wrong", "failure")]
    check("mail brute: the logins, not the refused AUTH/AUTHENTICATE NTLM", auth, sorted(want))
    print("scanner probes:", "FAILED" if FAILS else "ok", len(FAILS), "failures")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
