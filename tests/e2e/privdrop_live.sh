#!/usr/bin/env bash
# -Z USER (tcpdump's habit): live capture as root opens the interface, then runs as USER;
# outputs are created by USER, and a user that does not exist is refused before any
# packet is read. Runs in a private network namespace (root only).
set -euo pipefail
N=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
source "$here/netns.sh"
need_root_and "iproute2 and ping" ip ping
enter_private_netns "$@"
user=nobody
id "$user" >/dev/null

chmod 0755 "$work"  # the new user must reach the output directory
out="$work/out"
mkdir -m 1777 "$out"
( sleep 2; ping -c 6 -i 0.2 127.0.0.1 >/dev/null ) &
"$N" sessions -i lo -Z "$user" -c 6 --json --no-progress --output-dir "$out/events" icmp \
  >"$work/stdout" 2>"$work/stderr" &
pid=$!
# While it runs (once the interface is open), the process is the new user, with that
# user's groups only.
want=$(id -u "$user")
for _ in $(seq 50); do
  uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' /proc/$pid/status 2>/dev/null) ||
    { echo "FAIL: netsift ended early: $(cat "$work/stderr")"; exit 1; }
  [ "$uid" != 0000 ] && break
  sleep 0.1
done
[ "$uid" = "$want$want$want$want" ] || { echo "FAIL: uid after -Z is '$uid', want $want x4"; exit 1; }
groups=$(awk '/^Groups:/ {$1=""; print}' /proc/$pid/status | xargs)
for g in $groups; do
  [ "$g" != 0 ] || { echo "FAIL: root group kept after -Z ($groups)"; exit 1; }
done
wait $pid
owner=$(stat -c %U "$out/events")
[ "$owner" = "$user" ] || { echo "FAIL: output directory created by '$owner', want $user"; exit 1; }
echo "ok   -Z $user: capture ran as $user, outputs created by $user"

set +e
"$N" packets -i lo -Z no-such-user-netsift -c 1 >"$work/o2" 2>"$work/e2"
rc=$?
set -e
[ "$rc" != 0 ] && grep -q "no-such-user-netsift: no such user" "$work/e2" ||
  { echo "FAIL: unknown -Z user: rc $rc, $(cat "$work/e2")"; exit 1; }
[ ! -s "$work/o2" ] || { echo "FAIL: packets printed despite the bad -Z user"; exit 1; }
echo "ok   -Z with an unknown user is refused before capturing"
