#!/usr/bin/env bash
# The UDP payloads (whole messages) of the bundled DNS captures.
set -euo pipefail
cd "$(dirname "$0")/../../.."
for cap in examples/rawip4-dns_extended_rcode.pcap examples/ipv6-fragmented-dns.pcap; do
  tshark -r "$cap" -Y dns -T fields -e udp.payload 2>/dev/null
done | python3 -c '
import sys
for n, line in enumerate(sys.stdin):
    if line.strip():
        open(sys.argv[1] + "/msg%d" % n, "wb").write(bytes.fromhex(line.strip()))
' "$1"
