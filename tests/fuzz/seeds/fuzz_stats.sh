#!/usr/bin/env bash
# The same records as fuzz_pipeline (IP part of consecutive frames), plus the DNS and
# ICMP examples so the DNS look and the quoted-header counting are reached.
set -euo pipefail
cd "$(dirname "$0")/../../.."
python3 - "$1" examples/http-get.pcap examples/tcp-reassembly.pcap \
  examples/ipfrag-fragmented-1.pcap examples/zeek-icmp-destunreach-udp.pcap \
  examples/ipv6-fragmented-dns.pcap <<'PY'
import struct, sys, os
out = sys.argv[1]
for n, path in enumerate(sys.argv[2:]):
    data = open(path, "rb").read()
    off, rec = 24, b""
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        ip = data[off + 16 + 14:off + 16 + caplen]
        v6 = len(ip) > 0 and ip[0] >> 4 == 6
        rec += bytes([1 if v6 else 0]) + struct.pack(">H", len(ip)) + ip
        off += 16 + caplen
    open(os.path.join(out, f"flow{n}"), "wb").write(rec[:60000])
PY
