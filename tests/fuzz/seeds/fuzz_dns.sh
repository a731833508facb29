#!/usr/bin/env bash
# The UDP payloads (whole messages) of the bundled DNS captures and of the corpus's.
set -euo pipefail
cd "$(dirname "$0")/../../.."
caps=(examples/rawip4-dns_extended_rcode.pcap examples/ipv6-fragmented-dns.pcap
  examples/dns-port5300.pcap)
[ -d ../shared/corpus/dns ] && caps+=(../shared/corpus/dns/*.pcap*)
for cap in "${caps[@]}"; do
  tshark -r "$cap" -Y "dns && udp" -T fields -e udp.payload 2>/dev/null | head -200
done | python3 -c '
import sys
for n, line in enumerate(sys.stdin):
    if line.strip():
        open(sys.argv[1] + "/msg%d" % n, "wb").write(bytes.fromhex(line.strip()))
' "$1"
