#!/usr/bin/env bash
# End-to-end: an SMTP server (Debian's aiosmtpd, tests/e2e/smtp_server.py) offering AUTH
# PLAIN, LOGIN and CRAM-MD5 in a private network namespace, on port 25 and on 2525 (found
# by probing), driven by swaks and Python's smtplib — good and bad passwords, several
# attempts on one connection, LOGIN with and without an initial response, mail sent, a
# client that pipelines AUTHs and one that sends its answers before the 334 challenges —
# while `netsift sessions -i lo` captures live. Every attempt must be reported once with
# its user, mechanism and outcome (the password where it is sent), nothing else; every
# CRAM-MD5 hash line must be cracked by hashcat to the password the client used.
# Needs root (namespaces, live capture); prints a skip line otherwise.
# Usage: smtp_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
source "$here/netns.sh"
# Skipped (CTest SKIP_RETURN_CODE 77) unless root with the server and clients installed.
for c in swaks /usr/bin/python3; do
  if [ "$(id -u)" != 0 ] || ! command -v "$c" >/dev/null; then
    echo "SKIP: needs root and swaks and python3-aiosmtpd (scripts/setup.sh installs them)"
    exit 77
  fi
done
/usr/bin/python3 -c "import aiosmtpd" 2>/dev/null || { echo "SKIP: needs python3-aiosmtpd"; exit 77; }
enter_private_netns "$@"
/usr/bin/python3 -W ignore "$here/smtp_server.py" "$work/server.log" 25,2525 \
  alice@e2e.test=Smtp-Good1 bob=Smtp-Good2 >"$work/server.out" 2>"$work/server.err" &
for _ in $(seq 50); do grep -q ready "$work/server.out" 2>/dev/null && break; sleep 0.1; done
[ -n "${NETSIFT_E2E_KEEP:-}" ] && { tcpdump -i lo -U -w "$NETSIFT_E2E_KEEP/smtp-live.pcap" tcp 2>/dev/null & }
"$bin" sessions -i lo --immediate --json --no-progress tcp \
  >"$work/events.jsonl" 2>"$work/netsift.err" &
netsift_pid=$!
sleep 1.5
for port in 25 2525; do
  sw() { swaks --server 127.0.0.1 --port "$port" --helo client.e2e.test --from alice@e2e.test \
           --to "rcpt@e2e.test" --header "Subject: e2e" "$@" >/dev/null 2>&1 || true; }
  sw --auth PLAIN --auth-user alice@e2e.test --auth-password Smtp-Good1
  sw --auth LOGIN --auth-user alice@e2e.test --auth-password bad-login
  sw --auth CRAM-MD5 --auth-user bob --auth-password Smtp-Good2
  sw --auth CRAM-MD5 --auth-user bob --auth-password bad-cram
  /usr/bin/python3 - "$port" <<'PY'
import smtplib, sys
port = int(sys.argv[1])
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("smtplib.e2e.test")
try:   # smtplib tries CRAM-MD5, PLAIN and LOGIN in turn, all refused
    s.login("alice@e2e.test", "bad-all")
    sys.exit("bad password accepted")
except smtplib.SMTPAuthenticationError:
    pass
s.login("alice@e2e.test", "Smtp-Good1")   # CRAM-MD5 first: accepted
s.sendmail("alice@e2e.test", ["one@e2e.test", "two@e2e.test"], "Subject: x\r\n\r\nbody\r\n.\r\n")
s.quit()
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("smtplib.e2e.test")
s.user, s.password = "bob", "Smtp-Good2"
code, _ = s.auth("LOGIN", s.auth_login)   # with the user as initial response
assert code == 235, code
s.quit()
# A client that does not wait: two AUTH PLAIN with initial responses pipelined; each
# gets the reply at its place in the queue.
import base64, socket
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.recv(4096)
plain = lambda pw: base64.b64encode(b"\0alice@e2e.test\0" + pw).decode()
s.sendall(("EHLO pipe.e2e.test\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\nQUIT\r\n"
           % (plain(b"bad-pipe"), plain(b"Smtp-Good1"))).encode())
got = b""
while b"221" not in got:
    chunk = s.recv(4096)
    if not chunk:
        break
    got += chunk
s.close()
assert b"535" in got and b"235" in got, got
# A client that does not wait for the 334 challenges either: AUTH LOGIN, user name and
# password in one write, twice; the server reads them as the answers in order.
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.recv(4096)
b64 = lambda v: base64.b64encode(v).decode()
s.sendall(("EHLO nowait.e2e.test\r\n" + "".join(
    "AUTH LOGIN\r\n%s\r\n%s\r\n" % (b64(b"alice@e2e.test"), b64(pw))
    for pw in (b"bad-nowait", b"Smtp-Good1")) + "QUIT\r\n").encode())
got = b""
while b"221" not in got:
    chunk = s.recv(4096)
    if not chunk:
        break
    got += chunk
s.close()
assert b"535" in got and b"235" in got, got
PY
done
sleep 1
kill -INT "$netsift_pid"
# A live capture notices the signal when its next packet arrives: knock on a closed port.
(exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null || true
wait "$netsift_pid" || { echo "FAIL netsift exited with $?"; cat "$work/netsift.err"; exit 1; }
python3 - "$work/events.jsonl" "$work/server.log" "$here" <<'PY'
import collections, json, sys
sys.path.insert(0, sys.argv[3])
import hashcat_check  # the shared helper: hashcat on the CPU, which lines cracked
events = [json.loads(l) for l in open(sys.argv[1])]
auth = [e for e in events if e["event"] == "auth"]
fail = 0
A, B = "alice@e2e.test", "bob"
want = sorted([
    (A, "PLAIN", "Smtp-Good1", "success"), (A, "LOGIN", "bad-login", "failure"),
    (B, "CRAM-MD5", None, "success"), (B, "CRAM-MD5", None, "failure"),
    (A, "CRAM-MD5", None, "failure"), (A, "PLAIN", "bad-all", "failure"),
    (A, "LOGIN", "bad-all", "failure"), (A, "CRAM-MD5", None, "success"),
    (B, "LOGIN", "Smtp-Good2", "success"),
    (A, "PLAIN", "bad-pipe", "failure"), (A, "PLAIN", "Smtp-Good1", "success"),
    (A, "LOGIN", "bad-nowait", "failure"), (A, "LOGIN", "Smtp-Good1", "success")], key=repr)
# The server's own log: one line per attempt it judged (PLAIN/LOGIN/CRAM-MD5).
server = collections.Counter(l.split("\t")[0] for l in open(sys.argv[2]))
if server != {"OK": 12, "FAIL": 14}:
    fail += 1
    print(f"FAIL server log {server}")
for port in (25, 2525):
    got = sorted(((e["user"], e.get("mechanism"), e.get("password"), e["result"])
                  for e in auth if e["dst_port"] == port), key=repr)
    if got != want:
        fail += 1
        print(f"FAIL port {port}: got {got}\n     want {want}")
        continue
    conns = collections.defaultdict(list)
    for e in auth:
        if e["dst_port"] == port:
            conns[e["src_port"]].append((e["mechanism"], e["result"]))
    seq = [("CRAM-MD5", "failure"), ("PLAIN", "failure"), ("LOGIN", "failure"),
           ("CRAM-MD5", "success")]
    if (seq not in conns.values() or [("PLAIN", "failure"), ("PLAIN", "success")] not in conns.values()
            or [("LOGIN", "failure"), ("LOGIN", "success")] not in conns.values()):
        fail += 1
        print(f"FAIL port {port}: attempts per connection {dict(conns)}")
        continue
    smtp = [e for e in events if e["event"] == "smtp" and e["dst_port"] == port]
    sent = sorted((e["auth_attempts"], e["messages"], e["rcpt_to_count"]) for e in smtp)
    # swaks: good logins send one message; smtplib: 4 attempts then 2 recipients; LOGIN-IR;
    # the pipelined pair; the pair that did not wait for challenges.
    if sent != [(1, 0, 0), (1, 0, 0), (1, 0, 0), (1, 1, 1), (1, 1, 1), (2, 0, 0), (2, 0, 0),
                (4, 1, 2)]:
        fail += 1
        print(f"FAIL port {port}: smtp sessions {sent}")
        continue
    print(f"ok   smtp logins on port {port}: {len(got)} attempts")
# Every CRAM-MD5 line cracks to the password the client used.
cram = [e for e in auth if e.get("mechanism") == "CRAM-MD5"]
if len(cram) != 8 or any(e.get("hash_mode") != 10200 or not e.get("hash") for e in cram):
    fail += 1
    print(f"FAIL CRAM-MD5 events: {cram}")
elif not hashcat_check.available():
    print("skip hashcat is not installed (scripts/setup.sh installs it)")
else:
    cracked = hashcat_check.crack([e["hash"] for e in cram], 10200,
                                  ["Smtp-Good1", "Smtp-Good2", "bad-cram", "bad-all", "other"])
    expect = {e["hash"]: ("Smtp-Good1" if e["user"] == A else "Smtp-Good2") if e["result"] == "success"
              else ("bad-cram" if e["user"] == B else "bad-all") for e in cram}
    if cracked != expect:
        fail += 1
        print(f"FAIL hashcat cracked {cracked}\n     expected {expect}")
    else:
        print(f"ok   hashcat cracks all {len(cram)} CRAM-MD5 lines")
sys.exit(1 if fail else 0)
PY
echo "smtp live: all attempts reported"
