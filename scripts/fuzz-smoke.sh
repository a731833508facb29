#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz") and runs each one briefly on seeds from
# examples/ (and ../shared/corpus when present). Usage: scripts/fuzz-smoke.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
cmake --preset fuzz >/dev/null
cmake --build build-fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/files" "$work/frames"
cp examples/*.pcap* "$work/files/"
if [ -d ../shared/corpus/malformed ]; then
  find ../shared/corpus/malformed -type f -size -64k | head -200 | xargs -I{} cp {} "$work/files/" || true
fi
# Frame seeds: the first frames of a few captures, prefixed by a link-type selector 0 (Ethernet).
python3 - "$work/frames" examples/*.pcap <<'PY'
import struct, sys, os
out = sys.argv[1]
n = 0
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    if data[:4] != b"\xd4\xc3\xb2\xa1":
        continue
    off = 24
    while off + 16 <= len(data) and n < 300:
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        open(os.path.join(out, f"seed{n}"), "wb").write(b"\x00\x00" + frame)
        n += 1
        off += 16 + caplen
PY
status=0
build-fuzz/tests/fuzz/fuzz_file_reader -max_total_time="$secs" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 "$work/files" || status=1
build-fuzz/tests/fuzz/fuzz_decoder -max_total_time="$secs" -max_len=4096 -timeout=10 \
  "$work/frames" || status=1
# Pipeline seeds: the IP part of consecutive frames of a few captures, as records.
mkdir -p "$work/flows" "$work/analyzers"
python3 - "$work/flows" examples/http-get.pcap examples/tcp-reassembly.pcap \
  examples/ipfrag-fragmented-1.pcap examples/tcp-overlap.pcap <<'PY'
import struct, sys, os
out = sys.argv[1]
for n, path in enumerate(sys.argv[2:]):
    data = open(path, "rb").read()
    off, rec = 24, b""
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        ip = data[off + 16 + 14:off + 16 + caplen]
        rec += bytes([0]) + struct.pack(">H", len(ip)) + ip
        off += 16 + caplen
    open(os.path.join(out, f"flow{n}"), "wb").write(rec[:60000])
PY
printf '\000\232SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\034SSH-2.0-OpenSSH_9.2\r\n' > "$work/analyzers/ssh"
build-fuzz/tests/fuzz/fuzz_pipeline -max_total_time="$secs" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 "$work/flows" || status=1
build-fuzz/tests/fuzz/fuzz_analyzers -max_total_time="$secs" -max_len=4096 -timeout=10 \
  "$work/analyzers" || status=1
# DNS seeds: the UDP payloads (whole messages) of the bundled DNS captures.
mkdir -p "$work/dns"
for cap in examples/rawip4-dns_extended_rcode.pcap examples/ipv6-fragmented-dns.pcap; do
  tshark -r "$cap" -Y dns -T fields -e udp.payload 2>/dev/null
done | python3 -c '
import sys
for n, line in enumerate(sys.stdin):
    if line.strip():
        open(sys.argv[1] + "/msg%d" % n, "wb").write(bytes.fromhex(line.strip()))
' "$work/dns"
build-fuzz/tests/fuzz/fuzz_dns -max_total_time="$secs" -max_len=4096 -timeout=10 \
  "$work/dns" || status=1
exit $status
