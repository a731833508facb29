#!/usr/bin/env python3
"""Seeds for the login analyzers' fuzz targets (fuzz_redis, fuzz_mongodb): each capture's
TCP payloads in order, as chunks of a control byte (high bit: to the client, low 7 bits:
length) and the bytes. Usage: conversation_seeds.py OUTDIR SERVER_PORT CAPTURE..."""
import os, subprocess, sys

out, port = sys.argv[1], int(sys.argv[2])
for cap in sys.argv[3:]:
    if not os.path.isfile(cap):
        continue
    p = subprocess.run(["tshark", "-r", cap, "-Y", "tcp.len > 0", "-T", "fields",
                        "-e", "tcp.dstport", "-e", "tcp.payload"],
                       capture_output=True, text=True)
    seed = b""
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) != 2:
            continue
        data, to_client = bytes.fromhex(f[1].replace(":", "")), int(f[0]) != port
        for i in range(0, len(data), 127):
            piece = data[i:i + 127]
            seed += bytes([(0x80 if to_client else 0) | len(piece)]) + piece
    if seed:
        open(os.path.join(out, os.path.basename(cap)), "wb").write(seed[:65536])
