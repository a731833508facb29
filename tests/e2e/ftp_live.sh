#!/usr/bin/env bash
# End-to-end: vsftpd with a local user (PAM) and anonymous access, in a private network
# namespace, on 127.0.0.1 port 21 and on 127.0.0.2 port 2121 (found by probing), driven by curl and Python's
# ftplib — good and bad passwords, an unknown user, several attempts on one connection,
# an anonymous login — while `netsift sessions -i lo` captures live. Every attempt must
# be reported once with its user, password, mechanism and outcome, and nothing else.
# Every data connection (curl's EPSV, ftplib's PASV and active PORT) must be the session
# app `ftp-data`, also with --workers 4 (a second capture beside the first), where the
# data connections of 2121 are placed by what their control connection sent.
# Needs root (namespaces, a local user, live capture); prints a skip line otherwise.
# Usage: ftp_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
source "$(dirname "$(readlink -f "$0")")/netns.sh"
# Skipped (CTest SKIP_RETURN_CODE 77) unless root with the server and clients installed.
for c in vsftpd curl python3 useradd; do
  if [ "$(id -u)" != 0 ] || ! command -v "$c" >/dev/null; then
    echo "SKIP: needs root and vsftpd and curl (scripts/setup.sh installs them)"
    exit 77
  fi
done
enter_private_netns "$@"
user=nsftpe2e
good=Ftp-Good1
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true
      userdel "$user" 2>/dev/null || true; rm -f /etc/pam.d/netsift-e2e-ftp; rm -rf "$work"' EXIT
id "$user" >/dev/null 2>&1 || useradd -M -d "$work/home" -s /bin/sh "$user"
echo "$user:$good" | chpasswd
# pam_unix without its failure delay, so bad passwords are answered at once.
printf 'auth required pam_unix.so nodelay\naccount required pam_unix.so\n' \
  > /etc/pam.d/netsift-e2e-ftp
mkdir -p "$work/home" "$work/anon" "$work/empty"
chown "$user" "$work/home"
chmod 755 "$work" "$work/anon"
echo hello > "$work/anon/readme.txt"
# Port 2121 on 127.0.0.2: a host pair of its own, so that with several workers its data
# connections must follow a control connection known only by its content (those between
# 127.0.0.1 and itself follow the port-21 control connection).
addr_of() { [ "$1" = 21 ] && echo 127.0.0.1 || echo 127.0.0.2; }
for port in 21 2121; do
  addr=$(addr_of "$port")
  cat > "$work/vsftpd-$port.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=$addr
listen_port=$port
background=NO
anonymous_enable=YES
anon_root=$work/anon
no_anon_password=NO
local_enable=YES
write_enable=NO
pam_service_name=netsift-e2e-ftp
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
delay_failed_login=0
delay_successful_login=0
max_login_fails=5
pasv_enable=YES
pasv_address=$addr
secure_chroot_dir=$work/empty
ftpd_banner=netsift e2e FTP ready
CONF
  vsftpd "$work/vsftpd-$port.conf" 2>"$work/vsftpd-$port.log" &
done
# NETSIFT_E2E_KEEP=DIR keeps a capture of the run (how examples/ftp-vsftpd-logins.pcap was
# made; netsift's own -w does not write during live capture yet).
[ -n "${NETSIFT_E2E_KEEP:-}" ] && { tcpdump -i lo -U -w "$NETSIFT_E2E_KEEP/ftp-live.pcap" tcp 2>/dev/null & }
"$bin" sessions -i lo --immediate --json --no-progress tcp \
  >"$work/events.jsonl" 2>"$work/netsift.err" &
netsift_pid=$!
"$bin" sessions -i lo --immediate --json --no-progress --workers 4 tcp \
  >"$work/events4.jsonl" 2>"$work/netsift4.err" &
netsift4_pid=$!
sleep 1.5
for port in 21 2121; do
  addr=$(addr_of "$port")
  curl -s -o /dev/null "ftp://$user:$good@$addr:$port/" || true
  curl -s -o /dev/null "ftp://$user:wrong-1@$addr:$port/" || true
  curl -s -o /dev/null "ftp://nosuchuser:whatever@$addr:$port/" || true
  # TLS required but not offered (AUTH SSL/TLS refused): curl gives up, no login made.
  curl -s -o /dev/null --ftp-ssl-reqd "ftp://$user:$good@$addr:$port/" || true
  python3 - "$port" "$user" "$good" "$addr" <<'PY'
import ftplib, sys
port, user, good, addr = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
f = ftplib.FTP()
f.connect(addr, port, timeout=10)
for pw in ("bad-a", "bad-b"):
    try:
        f.login(user, pw)
        sys.exit("bad password accepted")
    except ftplib.error_perm:
        pass
f.login(user, good)          # the third attempt on the same connection
f.quit()
# A client that does not wait for replies: USER/PASS pairs pipelined, a UTF-8 name with
# an empty password, a name with a space; each pair has its own outcome.
import socket, time
s = socket.create_connection((addr, port), timeout=10)
s.recv(4096)
s.sendall(("USER jörg\r\nPASS \r\nUSER %s\r\nPASS bad-pipelined\r\n"
           "USER john doe\r\nPASS x y\r\nUSER %s\r\nPASS %s\r\nQUIT\r\n"
           % (user, user, good)).encode())
got = b""
while not got.rstrip().endswith(b"221 Goodbye."):
    chunk = s.recv(4096)
    if not chunk:
        break
    got += chunk
s.close()
a = ftplib.FTP()
a.connect(addr, port, timeout=10)
a.login()                    # anonymous, password "anonymous@"
a.retrlines("LIST", lambda line: None)
a.set_pasv(False)            # active mode: PORT, the server connects back
a.retrlines("LIST", lambda line: None)
a.quit()
PY
done
sleep 1
kill -INT "$netsift_pid" "$netsift4_pid"
# A live capture notices the signal when its next packet arrives: knock on a closed port.
(exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null || true
wait "$netsift_pid" || { echo "FAIL netsift exited with $?"; cat "$work/netsift.err"; exit 1; }
wait "$netsift4_pid" || { echo "FAIL netsift --workers 4 exited with $?"; cat "$work/netsift4.err"; exit 1; }
python3 - "$work/events.jsonl" "$work/events4.jsonl" <<'PY'
import json, sys
# Data connections: every TCP session that is not a control connection (21, 2121) or the
# knock on port 9. Per port: curl's good login lists (EPSV), ftplib's anonymous LIST in
# passive (PASV) and active (PORT) mode: 3.
fail = 0
for path, how in ((sys.argv[1], "one worker"), (sys.argv[2], "--workers 4")):
    sessions = [json.loads(l) for l in open(path, encoding="utf-8")]
    sessions = [e for e in sessions if e["event"] == "tcp_session" and
                {e["src_port"], e["dst_port"]}.isdisjoint({21, 2121, 9})]
    apps = [e["app"] for e in sessions]
    if apps != ["ftp-data"] * 6:
        fail += 1
        print(f"FAIL {how}: data connections labelled {apps}")
    else:
        print(f"ok   {how}: the 6 data connections (EPSV, PASV, PORT on two ports) are ftp-data")
sys.exit(1 if fail else 0)
PY
python3 - "$work/events.jsonl" "$user" "$good" <<'PY'
import collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
user, good = sys.argv[2], sys.argv[3]
auth = [e for e in events if e["event"] == "auth"]
fail = 0
for port in (21, 2121):
    got = sorted((e["user"], e.get("password"), e.get("mechanism"), e["result"], e["tls"])
                 for e in auth if e["dst_port"] == port)
    want = sorted([(user, good, "USER", "success", False),
                   (user, "wrong-1", "USER", "failure", False),
                   ("nosuchuser", "whatever", "USER", "failure", False),
                   (user, "bad-a", "USER", "failure", False),
                   (user, "bad-b", "USER", "failure", False),
                   (user, good, "USER", "success", False),
                   ("jörg", "", "USER", "failure", False),
                   (user, "bad-pipelined", "USER", "failure", False),
                   ("john doe", "x y", "USER", "failure", False),
                   (user, good, "USER", "success", False),
                   ("anonymous", "anonymous@", "anonymous", "success", False)])
    if got != want:
        fail += 1
        print(f"FAIL port {port}: got {got}\n     want {want}")
        continue
    # The ftplib attempts share a connection, in order: failure, failure, success.
    by_conn = collections.defaultdict(list)
    for e in auth:
        if e["dst_port"] == port:
            by_conn[e["src_port"]].append((e.get("password"), e["result"]))
    if [("bad-a", "failure"), ("bad-b", "failure"), (good, "success")] not in by_conn.values() \
            or [("", "failure"), ("bad-pipelined", "failure"), ("x y", "failure"),
                (good, "success")] not in by_conn.values():
        fail += 1
        print(f"FAIL port {port}: attempts per connection {dict(by_conn)}")
        continue
    bad = [e for e in auth if e["dst_port"] == port and not e.get("reason")]
    if bad:
        fail += 1
        print(f"FAIL port {port}: no reason in {bad}")
        continue
    print(f"ok   ftp logins on port {port}: {len(got)} attempts")
others = [e for e in auth if e["dst_port"] not in (21, 2121)]
if others:
    fail += 1
    print(f"FAIL attempts invented on data connections: {others}")
apps = collections.Counter(e["app"] for e in events if e["event"] == "tcp_session")
if apps["ftp"] != 14:
    fail += 1
    print(f"FAIL control connections claimed as ftp: {apps}")
sys.exit(1 if fail else 0)
PY
echo "ftp live: all attempts reported"
