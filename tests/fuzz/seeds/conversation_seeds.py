#!/usr/bin/env python3
"""Seeds for the analyzer fuzz targets (tests/fuzz/conversation_fuzz.h input format).

Usage: tests/fuzz/seeds/conversation_seeds.py PROTO OUT_DIR [CAPTURE...]
Writes the built-in conversations of PROTO (text protocols) and, for each TCP stream of
each capture (read with tshark's follow,tcp,raw), its first chunks in arrival order.
"""
import os, subprocess, sys, zlib

BUILTIN = {
    "smtp": [[(1, b"220 mx ESMTP\r\n"), (0, b"EHLO c\r\n"), (1, b"250-mx\r\n250 AUTH PLAIN\r\n"),
              (0, b"AUTH LOGIN\r\n"), (1, b"334 VXNlcm5hbWU6\r\n"), (0, b"dGlt\r\n"),
              (1, b"334 UGFzc3dvcmQ6\r\n"), (0, b"cHc=\r\n"), (1, b"235 ok\r\n"),
              (0, b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
              (1, b"250 ok\r\n250 ok\r\n354 go\r\n"), (0, b"x\r\n.\r\n")],
             # pipelined AUTHs with initial responses
             [(1, b"220 mx\r\n"), (0, b"AUTH PLAIN AGEAYg==\r\nAUTH PLAIN AGMAZA==\r\n"),
              (1, b"535 no\r\n235 ok\r\n")]],
    "ftp": [[(1, b"220 (vsFTPd 3.0.3)\r\n"), (0, b"USER bob\r\n"), (1, b"331 pw\r\n"),
             (0, b"PASS x\r\n"), (1, b"230-hi\r\n230 ok\r\n"), (0, b"AUTH TLS\r\n"),
             (1, b"234 go\r\n")],
            # pipelined USER/PASS pairs and ACCT
            [(1, b"220 x\r\n"), (0, b"USER a\r\nPASS b\r\nUSER c\r\nPASS d\r\nACCT e\r\n"),
             (1, b"331 p\r\n530 no\r\n331 p\r\n332 acct\r\n230 ok\r\n")]],
    "pop3": [[(1, b"+OK ready <1.2@x>\r\n"), (0, b"CAPA\r\n"), (1, b"+OK\r\nUSER\r\n.\r\n"),
              (0, b"APOP u c4c9334bac560ecc979e58001b3e22fb\r\n"), (1, b"-ERR no\r\n"),
              (0, b"AUTH PLAIN\r\n"), (1, b"+ \r\n"), (0, b"AHUAcA==\r\n"), (1, b"+OK\r\n")],
             [(1, b"+OK ready\r\n"), (0, b"USER a\r\nPASS b\r\nUSER c\r\nPASS d\r\n"),
              (1, b"+OK\r\n-ERR no\r\n+OK\r\n+OK in\r\n")]],
    "imap": [[(1, b"* OK [CAPABILITY IMAP4rev1] ready\r\n"), (0, b"a1 LOGIN {3}\r\n"),
              (1, b"+ go\r\n"), (0, b"bob \"p\\\"w\"\r\n"), (1, b"a1 NO fail\r\n"),
              (0, b"a2 AUTHENTICATE PLAIN\r\n"), (1, b"+ \r\n"), (0, b"AHUAcA==\r\n"),
              (1, b"* 1 FETCH (BODY[] {5}\r\nhello)\r\na2 OK\r\n")],
             [(1, b"* OK ready\r\n"), (0, b"a1 LOGIN a b\r\na2 LOGIN c d\r\n"),
              (1, b"a2 NO x\r\na1 OK y\r\n")]],
}


def mysql_packet(seq, payload):
    return len(payload).to_bytes(3, "little") + bytes([seq]) + payload


def zstd_raw_frame(data):
    """A zstd frame (RFC 8878) holding `data` as one raw block: valid input for any zstd
    decoder, built without a compressor (single segment, 4-byte content size)."""
    header = (0xFD2FB528).to_bytes(4, "little") + bytes([0xA0]) + len(data).to_bytes(4, "little")
    block = (1 | (len(data) << 3)).to_bytes(3, "little")  # last block, raw
    return header + block + data


def compressed_frame(seq, packets, algorithm):
    """A CLIENT_COMPRESS frame: compressed length, sequence, uncompressed length, payload."""
    body = zstd_raw_frame(packets) if algorithm == "zstd" else zlib.compress(packets)
    return len(body).to_bytes(3, "little") + bytes([seq]) + len(packets).to_bytes(3, "little") + body


def mysql_compressed_conversation(algorithm):
    """A login that turns on compression (zstd: CLIENT_ZSTD_COMPRESSION_ALGORITHM and the
    level byte; zlib: CLIENT_COMPRESS), then a query and a COM_CHANGE_USER inside
    compressed frames, so the fuzzer starts on the decompression paths."""
    caps = 0x0200 | 0x8000 | 0x80000 | 0x8  # PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH, WITH_DB
    caps |= (1 << 26) if algorithm == "zstd" else 0x20
    scramble = bytes(range(0x21, 0x35))
    greeting = (b"\x0a8.0.36\x00" + (7).to_bytes(4, "little") + scramble[:8] + b"\x00" +
                (caps & 0xFFFF).to_bytes(2, "little") + b"\xff" + b"\x02\x00" +
                (caps >> 16).to_bytes(2, "little") + bytes([21]) + bytes(10) + scramble[8:] +
                b"\x00mysql_native_password\x00")
    response = bytes(range(0x40, 0x54))
    login = (caps.to_bytes(4, "little") + (1 << 24).to_bytes(4, "little") + b"\xff" + bytes(23) +
             b"bob\x00" + bytes([len(response)]) + response + b"shop\x00" +
             b"mysql_native_password\x00" + (b"\x03" if algorithm == "zstd" else b""))
    ok = b"\x00\x00\x00\x02\x00\x00\x00"
    change = (b"\x11alice\x00" + bytes([len(response)]) + response + b"db\x00" + b"\xff\x00" +
              b"mysql_native_password\x00")
    denied = b"\xff\x15\x04#28000Access denied for user 'alice'"
    return [(1, mysql_packet(0, greeting)), (0, mysql_packet(1, login)), (1, mysql_packet(2, ok)),
            (0, compressed_frame(0, mysql_packet(0, b"\x03SELECT 1"), algorithm)),
            (1, compressed_frame(1, mysql_packet(1, ok), algorithm)),
            (0, compressed_frame(0, mysql_packet(0, change), algorithm)),
            (1, compressed_frame(1, mysql_packet(1, denied), algorithm))]


BUILTIN["mysql"] = [mysql_compressed_conversation("zstd"), mysql_compressed_conversation("zlib")]


def records(chunks, default_port=True):
    out = bytearray([1 if default_port else 0])
    for direction, data in chunks:
        for i in range(0, len(data), 127):
            part = data[i:i + 127]
            out.append((0x80 if direction else 0) | len(part))
            out += part
    return bytes(out)


def streams(capture):
    try:
        n = subprocess.run(["tshark", "-r", capture, "-T", "fields", "-e", "tcp.stream"],
                           capture_output=True, text=True, timeout=60).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return
    for s in sorted({int(x) for x in n if x})[:20]:
        out = subprocess.run(["tshark", "-r", capture, "-qz", f"follow,tcp,raw,{s}"],
                             capture_output=True, text=True, timeout=60).stdout
        chunks = []
        for line in out.splitlines():
            text = line.strip()
            if not text or any(c not in "0123456789abcdef" for c in text):
                continue
            chunks.append((1 if line.startswith("\t") else 0, bytes.fromhex(text)))
        if chunks:
            yield chunks[:40]


def main():
    proto, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    for conv in BUILTIN.get(proto, []):
        for port in (True, False):
            open(os.path.join(out, f"builtin{n}"), "wb").write(records(conv, port))
            n += 1
    for cap in sys.argv[3:]:
        for conv in streams(cap):
            open(os.path.join(out, f"capture{n}"), "wb").write(records(conv)[:8192])
            n += 1


if __name__ == "__main__":
    main()
