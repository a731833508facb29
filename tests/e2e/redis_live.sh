#!/usr/bin/env bash
# End-to-end: a real redis-server (requirepass for the default user, ACL users alice and
# bob) driven by redis-cli on loopback in a private network namespace while netsift
# captures live (`sessions -i lo --json`): good and bad AUTH password, AUTH user
# password, HELLO 3 AUTH, and a pipeline in which a NOPERM error follows the logins, on
# port 6379 (port map) and 16379 (found by content). HELLO logins the server cannot check
# — HELLO 4 (refused -NOPROTO), and HELLO to a server without the command (port 26379,
# `rename-command HELLO ""`, as a server before Redis 6 answers) — are `unknown`, with the
# quoted password cut from the reason. Every attempt must be reported with its user,
# password, mechanism and outcome, and nothing else. Needs root; exits 77
# (CTest SKIP_RETURN_CODE) otherwise. Usage: redis_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
for c in redis-server redis-cli unshare; do
  if [ "$(id -u)" != 0 ] || ! command -v "$c" >/dev/null; then
    echo "SKIP: needs root, redis-server and redis-cli (scripts/setup.sh installs them)"
    exit 77
  fi
done
source "$(dirname "$(readlink -f "$0")")/netns.sh"
enter_private_netns "$@"

for port in 6379 16379 26379; do
  mkdir -p "$work/$port"
  cat > "$work/$port/redis.conf" <<CONF
port $port
bind 127.0.0.1
protected-mode no
daemonize no
save ""
appendonly no
dir $work/$port
requirepass redis-Secret1
user alice on >alice-Redis2 ~* &* +@all
user bob on >bob-Redis3 ~public:* +@all
CONF
  [ "$port" = 26379 ] && echo 'rename-command HELLO ""' >>"$work/$port/redis.conf"
  redis-server "$work/$port/redis.conf" >"$work/$port/log" 2>&1 &
done
for port in 6379 16379 26379; do
  for _ in $(seq 50); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
done
"$bin" sessions -i lo --immediate --json --no-progress tcp >"$work/events.jsonl" \
  2>"$work/netsift.err" &
netsift_pid=$!
# Wait until the capture runs: refused connections to port 9 until one is reported.
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null || true
  grep -q '"dst_port":9,' "$work/events.jsonl" && break
  sleep 0.1
done
cli() { redis-cli -p "$port" --no-auth-warning "$@" >/dev/null 2>&1 || true; }
for port in 6379 16379; do
  cli PING                                           # NOAUTH: not a login
  cli -a redis-Secret1 PING
  cli -a wrong-Secret PING
  cli --user alice --pass alice-Redis2 PING
  cli --user alice --pass not-alice PING
  cli HELLO 3 AUTH alice alice-Redis2
  cli HELLO 3 AUTH alice bad-hello
  cli HELLO 4 AUTH alice alice-Redis2                # NOPROTO: the password is not checked
  # One pipeline: the NOPERM answer to GET is not a failed login.
  printf 'AUTH bob wrong\r\nAUTH bob bob-Redis3\r\nGET secret\r\nSET public:x 1\r\n' |
    redis-cli -p "$port" --pipe >/dev/null 2>&1 || true
  # AUTH inside MULTI: +QUEUED now, the outcomes in EXEC's array (a WRONGPASS, then OK).
  printf 'AUTH redis-Secret1\r\nMULTI\r\nAUTH carol not-carol\r\nPING\r\nAUTH alice alice-Redis2\r\nEXEC\r\n' |
    redis-cli -p "$port" --pipe >/dev/null 2>&1 || true
done
# A server that does not know HELLO: the client falls back to AUTH.
port=26379
cli HELLO 3 AUTH alice alice-Redis2
cli --user alice --pass alice-Redis2 PING
sleep 1
kill -INT "$netsift_pid"
wait "$netsift_pid" || { echo "FAIL netsift exited with $?"; cat "$work/netsift.err"; exit 1; }

python3 - "$work/events.jsonl" <<'PY'
import collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
auth = [e for e in events if e["event"] == "auth"]
fails = []
def check(name, cond):
    print(("ok   " if cond else "FAIL ") + name)
    if not cond:
        fails.append(name)
for port in (6379, 16379):
    want = collections.Counter([
        ("default", "redis-Secret1", "AUTH", "success"),
        ("default", "wrong-Secret", "AUTH", "failure"),
        ("alice", "alice-Redis2", "AUTH", "success"),
        ("alice", "not-alice", "AUTH", "failure"),
        ("alice", "alice-Redis2", "HELLO AUTH", "success"),
        ("alice", "bad-hello", "HELLO AUTH", "failure"),
        ("alice", "alice-Redis2", "HELLO AUTH", "unknown"),
        ("bob", "wrong", "AUTH", "failure"),
        ("bob", "bob-Redis3", "AUTH", "success"),
        ("default", "redis-Secret1", "AUTH", "success"),
        ("carol", "not-carol", "AUTH", "failure"),
        ("alice", "alice-Redis2", "AUTH", "success"),
    ])
    got = [e for e in auth if e["dst_port"] == port]
    have = collections.Counter((e["user"], e.get("password"), e.get("mechanism"), e["result"])
                               for e in got)
    check(f"port {port}: every login, nothing invented", have == want)
    if have != want:
        print("  missing:", dict(want - have), "\n  extra:", dict(have - want))
    check(f"port {port}: service, addresses, failure reasons",
          all(e["service"] == "redis" and e["src_ip"] == e["dst_ip"] == "127.0.0.1" and
              e["tls"] is False and
              (e["result"] == "success" or e["reason"].startswith("WRONGPASS") or
               e["reason"] == "credential not checked: the server refused the HELLO protocol "
                              "version: NOPROTO unsupported protocol version") for e in got))
got = sorted((e["mechanism"], e["user"], e.get("password"), e["result"], e.get("reason", ""))
             for e in auth if e["dst_port"] == 26379)
want = [("AUTH", "alice", "alice-Redis2", "success", ""),
        ("HELLO AUTH", "alice", "alice-Redis2", "unknown",
         "credential not checked: the server does not know HELLO: ERR unknown command 'HELLO'")]
check("port 26379 (no HELLO): HELLO AUTH unknown, the password not in the reason, AUTH checked",
      got == want)
if got != want:
    print("  got:", got)
sessions = [e for e in events if e["event"] == "tcp_session" and e["dst_port"] != 9]
check("every session analysed as redis",
      len(sessions) >= 20 and all(e["app"] == "redis" for e in sessions))
print(f"{len(fails)} failed")
sys.exit(1 if fails else 0)
PY
