#!/usr/bin/env bash
# Frames of the bundled captures, prefixed by a link-type selector 0 (Ethernet).
set -euo pipefail
cd "$(dirname "$0")/../../.."
python3 - "$1" examples/*.pcap <<'PY'
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
