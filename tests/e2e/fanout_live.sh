#!/usr/bin/env bash
# End-to-end, live: `netsift sessions --json -i lo --workers 3 --fanout` (one AF_PACKET
# socket per worker in a PACKET_FANOUT_HASH group) captures real traffic inside a
# private network namespace: HTTP to python's http.server over IPv4 and IPv6 (many
# connections), redis-cli
# logging into redis-server (good and bad passwords), dig asking dnsmasq over UDP and TCP.
# At the same time `netsift packets -i lo -w` records the same traffic, and
# `netsift sessions -i lo` (one reader) watches it. Asserted:
# - the fanout run reports the same sessions and protocol events (as sets; a session's
#   last-packet time and packet counts may differ, see docs/events.md) as the recording
#   replayed with -r, so no packet was lost or seen twice;
# - both directions of every connection are in one tcp_session (the kernel's hash is
#   symmetric), and the flows were spread over more than one socket;
# - a closed connection's tcp_session is written within 2 s (live capture reports it at
#   close, not after the 30 s linger), with and without --fanout;
# - -c counts over all workers, and `--fanout` with -r, -w or `any` is refused.
# Needs root; exits 77 (CTest: skipped) otherwise. Usage: fanout_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
source "$(dirname "$(readlink -f "$0")")/netns.sh"
need_root_and "python3, redis-server, redis-cli, dnsmasq and dig" python3 redis-server redis-cli \
  /usr/sbin/dnsmasq dig
enter_private_netns "$@"
# IPv6 datagrams over 1500 bytes are fragmented; the workers reassemble them. (IPv4
# ones are not sent on lo: the kernel's fanout defragmentation sees the outgoing and the
# incoming copy of each fragment there and may lose the datagram. They are checked on a
# veth below, arriving from outside as on a sensor.)
ip link set lo mtu 1500
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# Usage errors first (no capture needed).
for args in "-r $work/none.pcap" "-i any" "-i lo -w $work/x.pcap"; do
  rc=0
  # shellcheck disable=SC2086
  "$bin" sessions --fanout $args >/dev/null 2>"$work/err" || rc=$?
  if [ "$rc" = 64 ] && grep -q -- "--fanout" "$work/err"; then ok "--fanout $args refused"; else
    bad "--fanout $args: exit $rc, $(cat "$work/err")"; fi
done

# Servers.
mkdir -p "$work/www"
for i in $(seq 0 9); do head -c $((1000 + i * 700)) /dev/urandom | base64 >"$work/www/f$i.txt"; done
(cd "$work/www" && exec python3 -m http.server 80 --bind 127.0.0.1 >/dev/null 2>&1) &
(cd "$work/www" && exec python3 -m http.server 8080 --bind ::1 >/dev/null 2>&1) &
printf 'port 6379\nbind 127.0.0.1\nrequirepass s3cret-fanout\nsave ""\nappendonly no\n' >"$work/redis.conf"
redis-server "$work/redis.conf" >"$work/redis.log" 2>&1 &
/usr/sbin/dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address=127.0.0.1 \
  --bind-interfaces --port=53 --user=root --auth-zone=fanout.test \
  --auth-server=ns.fanout.test,127.0.0.1 --host-record=www.fanout.test,192.0.2.7 \
  --local=/fanout.test/ 2>"$work/dnsmasq.log" &
for _ in $(seq 50); do
  redis-cli -a s3cret-fanout --no-auth-warning PING >/dev/null 2>&1 &&
    curl -s -o /dev/null http://127.0.0.1/f0.txt && break
  sleep 0.1
done

# Captures: fanout (the subject), a recording, and one reader.
"$bin" sessions --json -i lo --workers 3 --fanout >"$work/fanout.jsonl" 2>"$work/fanout.err" &
fan_pid=$!
"$bin" packets -i lo -q -w "$work/rec.pcap" 2>"$work/rec.err" &
rec_pid=$!
"$bin" sessions --json -i lo >"$work/plain.jsonl" 2>"$work/plain.err" &
plain_pid=$!
# Until all three see packets (a loaded machine may take seconds to set up the rings):
# UDP probes to port 9, left out of the comparisons.
probe() { python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"probe", ("127.0.0.1", 9))'; }
for _ in $(seq 150); do
  kill -0 "$fan_pid" 2>/dev/null || break
  probe
  sleep 0.1
  if grep -q '"dst_port":9,' "$work/fanout.jsonl" && grep -q '"dst_port":9,' "$work/plain.jsonl" &&
    [ "$(stat -c %s "$work/rec.pcap" 2>/dev/null || echo 0)" -gt 24 ]; then
    break
  fi
done
if ! kill -0 "$fan_pid" 2>/dev/null; then
  cat "$work/fanout.err"
  if grep -q "PACKET_FANOUT" "$work/fanout.err"; then
    echo "SKIP: this kernel refuses AF_PACKET fanout groups"
    exit $kSkip
  fi
  bad "the fanout capture did not start"
  exit 1
fi

# Traffic: separate HTTP connections (spread by the hash), one keep-alive connection,
# IPv6 connections, logins, DNS over UDP and TCP.
curls=()
for i in $(seq 0 9); do curl -s -o /dev/null "http://127.0.0.1/f$i.txt" & curls+=($!); done
wait "${curls[@]}" || true
curl -s -o /dev/null -o /dev/null --http1.1 http://127.0.0.1/f1.txt http://127.0.0.1/f2.txt
curl -s -o /dev/null http://127.0.0.1/missing.txt
for i in 4 5 6; do curl -s -o /dev/null "http://[::1]:8080/f$i.txt"; done
for pw in s3cret-fanout wrong-one s3cret-fanout; do
  redis-cli -a "$pw" --no-auth-warning SET k v >/dev/null 2>&1 || true
done
dig @127.0.0.1 +tries=1 +time=2 www.fanout.test A >/dev/null 2>&1 || true
dig @127.0.0.1 +tries=1 +time=2 www.fanout.test A +tcp >/dev/null 2>&1 || true
dig @127.0.0.1 +tries=1 +time=2 missing.fanout.test A >/dev/null 2>&1 || true
python3 - <<'PY'
import socket
for i in range(3):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.sendto(bytes([65 + i]) * 3000, ("::1", 9998))
    s.close()
PY

# Latency: one more connection, closed; its tcp_session must be out within 2 s.
python3 - "$work" <<'PY' >"$work/latency.txt"
import json, socket, sys, time
work = sys.argv[1]
s = socket.create_connection(("127.0.0.1", 80))
port = s.getsockname()[1]
s.sendall(b"GET /f3.txt HTTP/1.0\r\nHost: x\r\n\r\n")
while s.recv(65536):
    pass
s.close()
closed = time.time()
seen = {}
while time.time() - closed < 5 and len(seen) < 2:
    for name in ("fanout", "plain"):
        if name in seen:
            continue
        for line in open(f"{work}/{name}.jsonl"):
            e = json.loads(line) if line.endswith("\n") else {}
            if e.get("event") == "tcp_session" and e.get("src_port") == port:
                seen[name] = time.time() - closed
    time.sleep(0.05)
for name in ("fanout", "plain"):
    print(name, seen.get(name, 99))
PY
sleep 1
kill -INT "$fan_pid" "$rec_pid" "$plain_pid"
for p in "$fan_pid" "$rec_pid" "$plain_pid"; do wait "$p" || echo "capture $p: exit $?"; done
cat "$work/fanout.err" >&2
while read -r name secs; do
  if python3 -c "import sys; sys.exit(0 if float('$secs') < 2 else 1)"; then
    ok "$name: tcp_session written ${secs} s after the close"
  else
    bad "$name: tcp_session not written within 2 s of the close ($secs)"
  fi
done <"$work/latency.txt"

"$bin" sessions --json --workers 1 -r "$work/rec.pcap" >"$work/replay.jsonl" 2>"$work/replay.err"
python3 - "$work" <<'PY' && ok "fanout events equal the replayed recording's" || bad "fanout vs replay"
import collections, json, sys
work = sys.argv[1]
# Live capture reports a session at close; the recording's replay counts the final ACK too.
IGNORED = {"tcp_session": {"ts_end", "packets_to_server", "packets_to_client"}}
# Each socket stamps packets itself: the recorder's times (and DNS round trips) differ from the fanout
# sockets' by microseconds. Times are compared apart, with a tolerance.
def is_time(k):
    return k in ("ts", "first", "last", "rtt") or k.startswith("ts_") or k.endswith("_ts")
def load(name):
    out = collections.defaultdict(list)
    for line in open(f"{work}/{name}.jsonl"):
        e = json.loads(line)
        for k in IGNORED.get(e["event"], ()):
            e.pop(k, None)
        if e.get("dst_port") == 9:
            continue  # readiness probes
        times = tuple(sorted((k, v) for k, v in e.items() if is_time(k)))
        rest = json.dumps({k: v for k, v in e.items() if not is_time(k)}, sort_keys=True)
        out[rest].append(times)
    return out
fan, rep = load("fanout"), load("replay")
kinds = collections.Counter(json.loads(k)["event"] for k, v in fan.items() for _ in v)
print("    fanout events:", dict(kinds))
for k in ("tcp_session", "http", "auth", "dns"):
    if kinds[k] == 0:
        print("    no", k, "event")
        sys.exit(1)
fails = 0
unmatched = {"live": [], "replay": []}
for k in set(fan) | set(rep):
    a, b = sorted(fan.get(k, [])), sorted(rep.get(k, []))
    if len(a) != len(b):
        unmatched["live"] += [json.loads(k)] * max(0, len(a) - len(b))
        unmatched["replay"] += [json.loads(k)] * max(0, len(b) - len(a))
        fails += 1
        continue
    for x, y in zip(a, b):
        if [n for n, _ in x] != [n for n, _ in y] or any(abs(u - v) > 0.005 for (_, u), (_, v) in zip(x, y)):
            print("    times differ:", x, y, k[:200])
            fails += 1
for e in unmatched["live"]:
    twin = [r for r in unmatched["replay"] if (r["event"], r.get("community_id")) == (e["event"], e.get("community_id"))]
    if twin:
        unmatched["replay"].remove(twin[0])
        diff = {f: (e.get(f), twin[0].get(f)) for f in set(e) | set(twin[0]) if e.get(f) != twin[0].get(f)}
        print("    differs (live, replay):", e["event"], str(diff)[:600])
    else:
        print("    only live:", json.dumps(e)[:300])
for r in unmatched["replay"]:
    print("    only replayed:", json.dumps(r)[:300])
sys.exit(1 if fails else 0)
PY
python3 - "$work" <<'PY' && ok "both directions of every connection in one tcp_session" || bad "directions split"
import json, sys
ev = [json.loads(l) for l in open(f"{sys.argv[1]}/fanout.jsonl")]
tcp = [e for e in ev if e["event"] == "tcp_session"]
keys = [(e["src_ip"], e["src_port"], e["dst_ip"], e["dst_port"]) for e in tcp]
bad = [e for e in tcp if e["midstream"] or not e["packets_to_server"] or not e["packets_to_client"]
       or e["state"] != "fin"]
print(f"    {len(tcp)} sessions, {len(set(keys))} distinct connections, {len(bad)} one-sided/midstream")
sys.exit(0 if len(tcp) >= 20 and len(set(keys)) == len(tcp) and not bad else 1)
PY
python3 - "$work" <<'PY' && ok "fragmented IPv6 datagrams reassembled by the workers" || bad "IPv6 fragments"
import json, sys
ev = [json.loads(l) for l in open(f"{sys.argv[1]}/fanout.jsonl")]
big = sorted((e["dst_port"], e["length"]) for e in ev if e["event"] == "udp" and e["dst_port"] == 9998)
sys.exit(0 if big == [(9998, 3000)] * 3 else 1)
PY
spread=$(sed -n 's/.*frames per socket: //p' "$work/fanout.err")
used=$(echo "$spread" | tr ',' '\n' | awk '$1 > 0' | wc -l)
if [ "$used" -ge 2 ]; then ok "flows spread over $used of 3 sockets ($spread)"; else
  bad "flows not spread: '$spread'"; fi
if grep -q "dropped by kernel" "$work/fanout.err"; then bad "kernel drops reported"; fi

# -c counts over all workers: exactly 6 packets in total.
timeout 20 "$bin" sessions --json -i lo --workers 3 --fanout -c 6 tcp >/dev/null 2>"$work/c.err" &
c_pid=$!
while kill -0 "$c_pid" 2>/dev/null; do
  curl -s -o /dev/null "http://127.0.0.1/f1.txt"
  sleep 0.2
done
rc=0
wait "$c_pid" || rc=$?
if [ "$rc" = 0 ] && grep -q "^netsift: 6 frames read" "$work/c.err"; then ok "-c 6 over 3 workers"; else
  bad "-c 6: exit $rc, $(cat "$work/c.err")"
fi

# Started during a stream of datagrams: each handle may see traffic between its
# activation and its join to the group, copies the group also gets; the capture counts
# from the moment all have joined (LiveSource::start_at). No datagram twice, and the
# stream is captured from then on. (This kernel showed no such copy even without
# start_at, at 70 000 datagrams/s: the check guards the start, it does not prove it.)
python3 - <<'PY' &
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 4
n = 0
while time.time() < end:
    s.sendto(b"seq %d" % n, ("127.0.0.1", 7777))
    n += 1
    time.sleep(0.00005)
PY
stream_pid=$!
sleep 0.5
"$bin" sessions --json -i lo --workers 3 --fanout udp port 7777 >"$work/dup.jsonl" 2>"$work/dup.err" &
d_pid=$!
sleep 2
kill -INT "$d_pid"
wait "$d_pid" || true
wait "$stream_pid" || true
python3 - "$work/dup.jsonl" <<'PY' && ok "started during a stream: no datagram seen twice" || bad "duplicates at start"
import collections, json, sys
seqs = collections.Counter(json.loads(l)["data"] for l in open(sys.argv[1]) if '"udp"' in l)
dups = {k: v for k, v in seqs.items() if v > 1}
print(f"    {len(seqs)} datagrams, {len(dups)} seen more than once")
nums = sorted(int(k.split()[1]) for k in seqs)
holes = sum(b - a - 1 for a, b in zip(nums, nums[1:]))
print(f"    seq {nums[0]}..{nums[-1]}, {holes} missing in between")
sys.exit(0 if len(seqs) > 100 and not dups and holes == 0 else 1)
PY

# Fragments arriving from outside (a veth, as on a sensor): IPv4 reassembled by the
# kernel before hashing, IPv6 by the worker the fragments' address pair hashes to.
ip link add fan0 type veth peer name fan1
ip link set fan0 up
ip link set fan1 up
timeout 20 "$bin" sessions --json -i fan1 --workers 3 --fanout udp >"$work/frag.jsonl" \
  2>"$work/frag.err" &
f_pid=$!
python3 - "$work/frag.jsonl" <<'PY'
import socket, struct, sys, time
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
tx.bind(("fan0", 0))
eth4 = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
eth6 = eth4[:12] + b"\x86\xdd"
src4, dst4 = socket.inet_aton("198.51.100.1"), socket.inet_aton("198.51.100.2")
src6, dst6 = socket.inet_pton(socket.AF_INET6, "2001:db8::1"), socket.inet_pton(socket.AF_INET6, "2001:db8::2")
def ipv4(payload, ident, frag):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, 17, 0, src4, dst4)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
# Probes (port 9) until the capture reports one: it is ready.
deadline = time.time() + 15
while time.time() < deadline:
    tx.send(eth4 + ipv4(struct.pack("!HHHH", 29999, 9, 13, 0) + b"probe", 0x4100, 0x4000))
    time.sleep(0.1)
    if '"dst_port":9,' in open(sys.argv[1]).read():
        break
for n in range(4):
    sport, payload = 30000 + n, bytes([97 + n]) * 2500
    udp = struct.pack("!HHHH", sport, 5000, 8 + len(payload), 0) + payload
    # IPv4: three fragments of at most 1000 bytes (offsets in 8-byte units).
    for off in range(0, len(udp), 1000):
        part = udp[off:off + 1000]
        more = 0x2000 if off + 1000 < len(udp) else 0
        tx.send(eth4 + ipv4(part, 0x4200 + n, more | off // 8))
    # IPv6: the same datagram, with a UDP checksum, in fragments of 1000 bytes.
    pseudo = src6 + dst6 + struct.pack("!IxxxB", len(udp), 17)
    udp6 = udp[:6] + struct.pack("!H", csum(pseudo + udp)) + udp[8:]
    for off in range(0, len(udp6), 1000):
        part = udp6[off:off + 1000]
        more = 1 if off + 1000 < len(udp6) else 0
        frag = struct.pack("!BBHI", 17, 0, off | more, 0x6200 + n)
        h = struct.pack("!IHBB16s16s", 0x60000000, 8 + len(part), 44, 64, src6, dst6)
        tx.send(eth6 + h + frag + part)
PY
sleep 0.5
kill -INT "$f_pid"
wait "$f_pid" || true
python3 - "$work" <<'PY' && ok "fragments from outside: IPv4 by the kernel, IPv6 by the workers" || bad "fragments"
import json, sys
ev = [json.loads(l) for l in open(f"{sys.argv[1]}/frag.jsonl")]
got = sorted((e["ip_version"] if "ip_version" in e else (6 if ":" in e["src_ip"] else 4), e["src_port"], e["length"])
             for e in ev if e["event"] == "udp" and e["dst_port"] != 9)
want = sorted((v, 30000 + n, 2500) for v in (4, 6) for n in range(4))
print("    ", got)
sys.exit(0 if got == want else 1)
PY
grep "fanout over\|IP fragments" "$work/frag.err" | sed 's/^/    /'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
