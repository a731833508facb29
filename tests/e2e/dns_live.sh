#!/usr/bin/env bash
# End-to-end: a real DNS server (dnsmasq, authoritative for a test zone) answers dig over
# UDP and TCP on loopback inside a private network namespace while tcpdump captures;
# netsift must report each query and response as a `dns` event with the right names,
# types, RCODEs and answers. Needs root (namespaces); prints a skip line otherwise.
# Usage: dns_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
source "$(dirname "$(readlink -f "$0")")/netns.sh"
need_root_and "dnsmasq, dig and tcpdump" /usr/sbin/dnsmasq dig tcpdump
enter_private_netns "$@"
/usr/sbin/dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-dhcp-interface=lo \
  --listen-address=127.0.0.1 --bind-interfaces --port=53 --user=root \
  --auth-zone=netsift.test --auth-server=ns.netsift.test,127.0.0.1 \
  --host-record=www.netsift.test,192.0.2.10,2001:db8::10 \
  --mx-host=netsift.test,mail.netsift.test,10 \
  --txt-record=netsift.test,"v=spf1 -all" \
  --cname=alias.netsift.test,www.netsift.test \
  --local=/netsift.test/ 2>"$work/dnsmasq.log" &
tcpdump -i lo -U -w "$work/dns.pcap" "port 53" 2>/dev/null &
dump_pid=$!
sleep 1
q() { dig @127.0.0.1 +tries=1 +time=2 "$@" >/dev/null 2>&1 || true; }
q www.netsift.test A
q www.netsift.test AAAA +tcp
q netsift.test MX
q netsift.test TXT
q alias.netsift.test A
q missing.netsift.test A
sleep 1
kill "$dump_pid" 2>/dev/null || true
wait "$dump_pid" 2>/dev/null || true
"$bin" sessions -r "$work/dns.pcap" --json --no-progress 2>/dev/null > "$work/events.jsonl"
python3 - "$work/events.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
dns = [e for e in ev if e["event"] == "dns"]
fails = []
def check(name, cond):
    print(("ok   " if cond else "FAIL ") + name)
    if not cond:
        fails.append(name)
def response(qname, qtype):
    for e in dns:
        q = (e.get("questions") or [{}])[0]
        if e["header"]["qr"] and q.get("qname") == qname and q.get("qtype") == qtype:
            return e
    return None
def rdata(e, rtype):
    return [r["rdata"] for r in (e or {}).get("answers", []) if r["rtype"] == rtype]
queries = [e for e in dns if not e["header"]["qr"]]
check("every query seen (6) with direction=query", len(queries) == 6 and
      all(e["direction"] == "query" and e["dst_port"] == 53 for e in queries))
check("A over UDP", rdata(response("www.netsift.test", "A"), "A") == ["192.0.2.10"]
      and response("www.netsift.test", "A")["proto"] == "udp")
r = response("www.netsift.test", "AAAA")
check("AAAA over TCP", rdata(r, "AAAA") == ["2001:db8::10"] and r["proto"] == "tcp")
check("MX", rdata(response("netsift.test", "MX"), "MX") == ["10 mail.netsift.test"])
check("TXT", rdata(response("netsift.test", "TXT"), "TXT") == ['"v=spf1 -all"'])
r = response("alias.netsift.test", "A")
check("CNAME chain", rdata(r, "CNAME") == ["www.netsift.test"] and rdata(r, "A") == ["192.0.2.10"])
r = response("missing.netsift.test", "A")
check("NXDOMAIN", r is not None and r["header"]["rcode"] == "NXDOMAIN" and r["header"]["aa"])
check("no parse errors", not any("error" in e for e in dns))
print(f"{8 - len(fails)} passed, {len(fails)} failed")
sys.exit(1 if fails else 0)
PY
