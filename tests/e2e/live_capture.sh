#!/usr/bin/env bash
# End-to-end live capture (-i) on loopback inside a private network namespace: a kernel
# BPF filter, -c, JSON output, and SIGINT ending a capture cleanly with its summary.
# Needs root (namespaces, capture); prints a skip line otherwise.
# Usage: live_capture.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root"
  exit 0
fi
if [ -z "${NETSIFT_IN_NETNS:-}" ]; then
  export NETSIFT_IN_NETNS=1
  exec unshare --net "$0" "$@"
fi
ip link set lo up
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

(sleep 1; ping -c 5 -i 0.2 127.0.0.1 >/dev/null 2>&1) &
out=$(timeout 20 "$bin" packets -i lo -c 4 --immediate --json icmp 2>/tmp/netsift-live.err) || true
n=$(echo "$out" | grep -c '"proto":"icmp"' || true)
if [ "$n" = 4 ] && grep -q "4 frames read" /tmp/netsift-live.err; then ok "-i lo -c 4 icmp"; else bad "-i lo -c 4 icmp: $n events"; fi
wait

(sleep 1; ping -c 30 -i 0.1 127.0.0.1 >/dev/null 2>&1) &
"$bin" packets -i lo -q >/tmp/netsift-live.out 2>/tmp/netsift-live.err &
pid=$!
sleep 2
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
if [ "$rc" = 0 ] && grep -q "frames read" /tmp/netsift-live.err && [ -s /tmp/netsift-live.out ]; then
  ok "SIGINT ends the capture with a summary"
else
  bad "SIGINT: exit $rc, $(cat /tmp/netsift-live.err)"
fi
wait
rm -f /tmp/netsift-live.out /tmp/netsift-live.err
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
