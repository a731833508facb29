#!/usr/bin/env bash
# End-to-end: a real OpenSSH server and client talk over loopback inside a private
# network namespace while tcpdump captures; netsift must report the version exchange
# (an `ssh` event with both banners), once on port 22 (port map) and once on port 2222
# (found by probing the content). Needs root (namespaces); prints a skip line otherwise.
# Usage: ssh_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
source "$(dirname "$(readlink -f "$0")")/netns.sh"
need_root_and "openssh-server and tcpdump" /usr/sbin/sshd tcpdump
enter_private_netns "$@"
ssh-keygen -q -t ed25519 -N "" -f "$work/host_key"
mkdir -p /run/sshd
pass=0 fail=0
for port in 22 2222; do
  /usr/sbin/sshd -D -e -f /dev/null -h "$work/host_key" -p "$port" -o ListenAddress=127.0.0.1 \
    -o PidFile="$work/sshd.pid" 2>"$work/sshd.log" &
  sshd_pid=$!
  tcpdump -i lo -U -w "$work/ssh-$port.pcap" "tcp port $port" 2>/dev/null &
  dump_pid=$!
  sleep 1
  ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o ConnectTimeout=5 -p "$port" nobody@127.0.0.1 true >/dev/null 2>&1 || true
  sleep 1
  kill "$dump_pid" "$sshd_pid" 2>/dev/null || true
  wait "$dump_pid" "$sshd_pid" 2>/dev/null || true
  out=$("$bin" sessions -r "$work/ssh-$port.pcap" --json --no-progress 2>/dev/null)
  client_version=$(ssh -V 2>&1 | sed -E 's/^(OpenSSH_[^ ,]+).*/\1/')
  if echo "$out" | python3 -c '
import json, sys
want_client = sys.argv[1]
ev = [json.loads(l) for l in sys.stdin]
ssh = [e for e in ev if e["event"] == "ssh"]
sess = [e for e in ev if e["event"] == "tcp_session"]
assert len(ssh) == 1, ssh
e = ssh[0]
assert e["server_software"].startswith("OpenSSH_"), e
assert e["client_software"].startswith(want_client), (e, want_client)
assert e["client_proto"] == e["server_proto"] == "2.0", e
assert e["dst_ip"] == "127.0.0.1" and e["dst_port"] == int(sys.argv[2]), e
assert len(sess) == 1 and sess[0]["app"] == "ssh", sess
' "$client_version" "$port"; then
    echo "ok   ssh banners on port $port"
    pass=$((pass + 1))
  else
    echo "FAIL ssh banners on port $port"; echo "$out" | head -5
    fail=$((fail + 1))
  fi
done

# A password guesser's pattern: 36 connections in a row to port 22, each refused
# (BatchMode, no key). `stats` sees the burst although every login is encrypted. The
# rate is lowered to 15 a minute so that the test passes when the burst straddles a
# minute boundary (buckets start on the minute): one of the two halves has at least 18.
/usr/sbin/sshd -D -e -f /dev/null -h "$work/host_key" -p 22 -o ListenAddress=127.0.0.1 \
  -o PidFile="$work/sshd.pid" -o MaxStartups=100 2>"$work/sshd.log" &
sshd_pid=$!
tcpdump -i lo -U -w "$work/ssh-burst.pcap" "tcp port 22" 2>/dev/null &
dump_pid=$!
sleep 1
for _ in $(seq 36); do
  ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o ConnectTimeout=5 nobody@127.0.0.1 true >/dev/null 2>&1 || true
done
sleep 1
kill "$dump_pid" "$sshd_pid" 2>/dev/null || true
wait "$dump_pid" "$sshd_pid" 2>/dev/null || true
if "$bin" stats -r "$work/ssh-burst.pcap" --json --no-sqlite --no-geoip --no-progress \
    --conn-burst-rate 0.25 2>/dev/null | python3 -c '
import json, sys
alerts = [e for e in map(json.loads, sys.stdin) if e["event"] == "alert"]
assert alerts and all(a["kind"] == "conn_burst" and a["port"] == 22 and
                      a["src_ip"] == a["dst_ip"] == "127.0.0.1" for a in alerts), alerts
counts = [a["count"] for a in alerts]
assert max(counts) >= 18 and sum(counts) <= 36, counts
'; then
  echo "ok   ssh connection burst alerted by stats"
  pass=$((pass + 1))
else
  echo "FAIL ssh connection burst alerted by stats"
  fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
