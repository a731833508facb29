#!/usr/bin/env bash
# End-to-end: Dovecot (POP3 and IMAP, passwd-file users, PLAIN/LOGIN/CRAM-MD5 and APOP, no
# TLS) in a private network namespace on ports 110/143 and 1110/1143 (found by probing),
# driven by curl and Python's poplib/imaplib and a raw IMAP client sending literals —
# good and bad passwords, several attempts on one connection — while
# `netsift sessions -i lo` captures live. Every attempt must be reported once with its
# user, mechanism, password (where sent) and outcome, nothing else; every CRAM-MD5 and
# APOP hash line must be cracked by hashcat to the password the client used.
# Needs root (namespaces, live capture); skipped (exit 77) otherwise.
# Usage: mail_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
source "$here/netns.sh"
for c in dovecot curl python3; do
  if [ "$(id -u)" != 0 ] || ! command -v "$c" >/dev/null ||
     ! id dovecot >/dev/null 2>&1 || ! id dovenull >/dev/null 2>&1; then
    echo "SKIP: needs root, dovecot-imapd, dovecot-pop3d and curl (scripts/setup.sh installs them)"
    exit 77
  fi
done
enter_private_netns "$@"
chmod 755 "$work"
mkdir -p "$work/run" "$work/state" "$work/home"
chmod 777 "$work/home"
# nodelay: no 2 s delay before a failure is answered.
printf 'carol:{PLAIN}Mail-Good1::::::nodelay\ndave:{PLAIN}Mail "Two" 2::::::nodelay\n' \
  > "$work/users"
cat > "$work/dovecot.conf" <<CONF
base_dir = $work/run
state_dir = $work/state
log_path = $work/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 apop
auth_failure_delay = 0
first_valid_uid = 1
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:$work/home/%u/Maildir
passdb {
  driver = passwd-file
  args = $work/users
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$work/home/%u
}
# No growing penalty for repeated failures from one address (the test client's).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imap_other {
    port = 1143
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3_other {
    port = 1110
  }
}
CONF
dovecot -F -c "$work/dovecot.conf" 2>"$work/dovecot.err" &
for _ in $(seq 50); do ss -Hltn 'sport = :1143' | grep -q . && break; sleep 0.1; done
[ -n "${NETSIFT_E2E_KEEP:-}" ] && { tcpdump -i lo -U -w "$NETSIFT_E2E_KEEP/mail-live.pcap" tcp 2>/dev/null & }
"$bin" sessions -i lo --immediate --json --no-progress tcp \
  >"$work/events.jsonl" 2>"$work/netsift.err" &
netsift_pid=$!
sleep 1.5
for pair in 110:143 1110:1143; do
  pop=${pair%:*} imap=${pair#*:}
  c() { curl -s -o /dev/null "$@" || true; }
  c "pop3://carol:Mail-Good1@127.0.0.1:$pop/"                           # CRAM-MD5 (curl's pick)
  c "pop3://carol:Mail-Good1@127.0.0.1:$pop/" --login-options AUTH=PLAIN
  c "pop3://carol:bad-login@127.0.0.1:$pop/" --login-options AUTH=LOGIN
  c "pop3://carol:Mail-Good1@127.0.0.1:$pop/" --login-options AUTH=+APOP
  c "imap://carol:Mail-Good1@127.0.0.1:$imap/"                          # CRAM-MD5
  c "imap://carol:Mail-Good1@127.0.0.1:$imap/" --login-options AUTH=PLAIN   # SASL-IR
  c "imap://carol:bad-login@127.0.0.1:$imap/" --login-options AUTH=LOGIN
  python3 - "$pop" "$imap" <<'PY'
import imaplib, poplib, socket, sys
pop, imap = int(sys.argv[1]), int(sys.argv[2])
p = poplib.POP3("127.0.0.1", pop, timeout=10)
p.user("carol")
try:
    p.pass_("bad-user-pass")
    sys.exit("bad password accepted")
except poplib.error_proto:
    pass
p.user("carol")
p.pass_("Mail-Good1")            # second attempt on the same connection
p.quit()
p = poplib.POP3("127.0.0.1", pop, timeout=10)
try:
    p.apop("carol", "bad-apop")
    sys.exit("bad APOP accepted")
except poplib.error_proto:
    pass
p.quit()
m = imaplib.IMAP4("127.0.0.1", imap, timeout=10)
try:
    m.login("carol", "bad-imap")
    sys.exit("bad password accepted")
except imaplib.IMAP4.error:
    pass
m.login("carol", "Mail-Good1")   # second attempt on the same connection
m.logout()
m = imaplib.IMAP4("127.0.0.1", imap, timeout=10)
m.login("dave", 'Mail "Two" 2')  # a quoted string with escapes
m.logout()
# A synchronising literal for the password, sent only after the server's "+".
s = socket.create_connection(("127.0.0.1", imap), timeout=10)
f = s.makefile("rb")
f.readline()
pw = b'Mail "Two" 2'
s.sendall(b"L1 LOGIN dave {%d}\r\n" % len(pw))
assert f.readline().startswith(b"+"), "no continuation"
s.sendall(pw + b"\r\n")
while not (line := f.readline()).startswith(b"L1 "):
    pass
assert line.startswith(b"L1 OK"), line
s.sendall(b"L2 LOGOUT\r\n")
s.close()
# Clients that do not wait: POP3 USER/PASS pairs pipelined (RFC 2449 PIPELINING), and
# two IMAP LOGINs in flight at once; each attempt gets its own answer.
def talk(port, data, done):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.recv(4096)
    s.sendall(data)
    got = b""
    while done not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    return got
got = talk(pop, b"USER carol\r\nPASS bad-pipe\r\nUSER carol\r\nPASS Mail-Good1\r\nQUIT\r\n",
           b"Logging out")
assert got.count(b"+OK") >= 3, got
got = talk(imap, b"P1 LOGIN carol bad-pipe\r\nP2 LOGIN carol Mail-Good1\r\nP3 LOGOUT\r\n",
           b"P3 OK")
assert b"P2 OK" in got, got
PY
done
sleep 1
kill -INT "$netsift_pid"
# A live capture notices the signal when its next packet arrives: knock on a closed port.
(exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null || true
wait "$netsift_pid" || { echo "FAIL netsift exited with $?"; cat "$work/netsift.err"; exit 1; }
python3 - "$work/events.jsonl" "$here" <<'PY'
import collections, json, sys
sys.path.insert(0, sys.argv[2])
import hashcat_check  # the shared helper: hashcat on the CPU, which lines cracked
events = [json.loads(l) for l in open(sys.argv[1])]
auth = [e for e in events if e["event"] == "auth"]
fail = 0
C, D, G1, G2 = "carol", "dave", "Mail-Good1", 'Mail "Two" 2'
want = {
    "pop3": [(C, "USER", "bad-pipe", "failure"), (C, "USER", G1, "success"),
             (C, "CRAM-MD5", None, "success"), (C, "PLAIN", G1, "success"),
             (C, "LOGIN", "bad-login", "failure"), (C, "APOP", None, "success"),
             (C, "USER", "bad-user-pass", "failure"), (C, "USER", G1, "success"),
             (C, "APOP", None, "failure")],
    "imap": [(C, "LOGIN", "bad-pipe", "failure"), (C, "LOGIN", G1, "success"),
             (C, "CRAM-MD5", None, "success"), (C, "PLAIN", G1, "success"),
             (C, "LOGIN", "bad-login", "failure"), (C, "LOGIN", "bad-imap", "failure"),
             (C, "LOGIN", G1, "success"), (D, "LOGIN", G2, "success"),
             (D, "LOGIN", G2, "success")],
}
for service, ports in (("pop3", (110, 1110)), ("imap", (143, 1143))):
    for port in ports:
        got = sorted(((e["user"], e.get("mechanism"), e.get("password"), e["result"])
                      for e in auth if e["dst_port"] == port and e["service"] == service), key=repr)
        if got != sorted(want[service], key=repr):
            fail += 1
            print(f"FAIL {service} port {port}: got {got}\n     want {sorted(want[service], key=repr)}")
        else:
            print(f"ok   {service} logins on port {port}: {len(got)} attempts")
stray = [e for e in auth if (e["service"], e["dst_port"]) not in
         {("pop3", 110), ("pop3", 1110), ("imap", 143), ("imap", 1143)}]
if stray:
    fail += 1
    print(f"FAIL attempts reported elsewhere: {stray}")
conns = collections.defaultdict(list)
for e in auth:
    conns[(e["dst_port"], e["src_port"])].append((e.get("password"), e["result"]))
for pair, n in (([("bad-user-pass", "failure"), (G1, "success")], 2),
                ([("bad-imap", "failure"), (G1, "success")], 2),
                ([("bad-pipe", "failure"), (G1, "success")], 4)):  # POP3 and IMAP
    if sum(v == pair for v in conns.values()) != n:
        fail += 1
        print(f"FAIL {pair} not seen on one connection per port: {dict(conns)}")
# Every CRAM-MD5 and APOP hash line cracks to the password the client used.
for mode, mech in ((10200, "CRAM-MD5"), (20, "APOP")):
    lines = [e for e in auth if e.get("mechanism") == mech]
    if len(lines) != 4 or any(e.get("hash_mode") != mode for e in lines):
        fail += 1
        print(f"FAIL {mech} events: {lines}")
        continue
    if not hashcat_check.available():
        print("skip hashcat is not installed (scripts/setup.sh installs it)")
        continue
    # APOP is md5(challenge . password): Dovecot's 47-byte challenge plus the password
    # passes the 55 bytes of hashcat's optimized (-O) kernels, which then miss it. A word
    # over 31 bytes makes hashcat_check use the pure kernels.
    words = [G1, "bad-apop", "other", "x" * 40]
    cracked = hashcat_check.crack([e["hash"] for e in lines], mode, words)
    expect = {e["hash"]: G1 if e["result"] == "success" else "bad-apop" for e in lines}
    if cracked != expect:
        fail += 1
        print(f"FAIL hashcat -m {mode} cracked {cracked}\n     expected {expect}")
    else:
        print(f"ok   hashcat cracks all {len(lines)} {mech} lines")
sys.exit(1 if fail else 0)
PY
echo "mail live: all attempts reported"
