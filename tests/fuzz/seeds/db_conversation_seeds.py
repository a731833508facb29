#!/usr/bin/env python3
"""Writes libFuzzer seeds for the conversation targets (fuzz_mysql, fuzz_pgsql) from
real captures: every TCP stream, as tshark's follow,raw gives it, becomes one seed in the
format of tests/fuzz/conversation_fuzz.h (a port-mode byte, then records of a flags byte
(bit 0: to the client) and a 2-byte big-endian length followed by that many bytes).

Usage: db_conversation_seeds.py OUT_DIR CAPTURE... (from tests/fuzz/seeds/fuzz_mysql.sh, fuzz_pgsql.sh)
"""
import os, re, subprocess, sys


def streams(capture):
    out = subprocess.run(["tshark", "-r", capture, "-T", "fields", "-e", "tcp.stream"],
                         capture_output=True, text=True).stdout.split()
    return sorted({int(s) for s in out if s.isdigit()})


def follow(capture, stream):
    text = subprocess.run(["tshark", "-r", capture, "-q", "-z", f"follow,tcp,raw,{stream}"],
                          capture_output=True, text=True).stdout
    turns = []
    for line in text.splitlines():
        to_client = line.startswith("\t")
        h = line.strip()
        if h and re.fullmatch(r"[0-9a-f]+", h) and len(h) % 2 == 0:
            turns.append((to_client, bytes.fromhex(h)))
    return turns


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for capture in sys.argv[2:]:
        for s in streams(capture):
            rec = bytearray([n & 1])  # alternate default port and probing
            for to_client, data in follow(capture, s):
                for i in range(0, len(data), 0xffff):
                    part = data[i:i + 0xffff]
                    rec += bytes([1 if to_client else 0]) + len(part).to_bytes(2, "big") + part
            if len(rec) > 1:
                open(os.path.join(out, f"conv{n}"), "wb").write(bytes(rec[:65536]))
                n += 1
    print(f"{n} conversation seeds")


if __name__ == "__main__":
    main()
