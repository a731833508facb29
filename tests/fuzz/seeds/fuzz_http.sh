#!/usr/bin/env bash
# Each TCP connection of the bundled and corpus HTTP captures as fuzz_http records
# [direction][length lo][length hi][bytes], in capture order.
set -euo pipefail
cd "$(dirname "$0")/../../.."
caps=(examples/http-get.pcap examples/httpoxy.pcap examples/cve-2016-4971.pcap)
[ -d ../shared/corpus/http ] && caps+=(../shared/corpus/http/*.pcap)
n=0
for cap in "${caps[@]}"; do
  n=$((n + 1))
  tshark -r "$cap" -Y "tcp.len > 0" -T fields -e tcp.stream -e tcp.dstport -e tcp.payload \
    2>/dev/null | python3 -c '
import sys, struct, collections
seeds = collections.defaultdict(bytes)
for line in sys.stdin:
    f = line.split()
    if len(f) != 3:
        continue
    data = bytes.fromhex(f[2].replace(":", ""))
    toward_server = f[1] in ("80", "8080", "8000", "3128")
    seeds[f[0]] += struct.pack("<BH", 0 if toward_server else 1, len(data)) + data
for stream, s in seeds.items():
    open("%s/cap%s-%s" % (sys.argv[1], sys.argv[2], stream), "wb").write(s[:65536])
' "$1" "$n"
done
