#!/usr/bin/env python3
"""Builds small pcap files for the statistics tests: Ethernet frames carrying IPv4 or
IPv6 with TCP, UDP (DNS messages too) or ICMP, at given times. Checksums are left zero
(netsift checks them only with --verify-checksums)."""
import ipaddress
import struct


def _ip(a):
    return ipaddress.ip_address(a)


def ip_packet(src, dst, proto, payload, ttl=64):
    s, d = _ip(src), _ip(dst)
    if s.version == 4:
        hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, ttl, proto, 0,
                          s.packed, d.packed)
        return 0x0800, hdr + payload
    hdr = struct.pack(">IHBB16s16s", 6 << 28, len(payload), 58 if proto == 1 else proto, ttl,
                      s.packed, d.packed)
    return 0x86DD, hdr + payload


def tcp(sport, dport, flags="S", seq=1, ack=0, data=b""):
    bits = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}
    f = sum(bits[c] for c in flags)
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, f, 65535, 0, 0) + data


def udp(sport, dport, data=b""):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data


def icmp_echo(ident=1, seq=1, data=b"x" * 32, v6=False):
    return struct.pack(">BBHHH", 128 if v6 else 8, 0, 0, ident, seq) + data


def dns_query(qid, name, qtype=1):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\x00"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack(">HH", qtype, 1)


def dns_response(qid, name, rcode=0, qtype=1):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\x00"
    return struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, 0, 0, 0) + q + struct.pack(">HH", qtype, 1)


class Pcap:
    """Collects (time, frame) and writes a little-endian microsecond pcap."""

    def __init__(self):
        self.frames = []

    def add(self, t, src, dst, proto, payload):
        ethertype, pkt = ip_packet(src, dst, proto, payload)
        eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + struct.pack(">H", ethertype)
        self.frames.append((t, eth + pkt))

    def tcp(self, t, src, dst, sport, dport, flags="S", data=b""):
        self.add(t, src, dst, 6, tcp(sport, dport, flags, data=data))

    def udp(self, t, src, dst, sport, dport, data=b""):
        self.add(t, src, dst, 17, udp(sport, dport, data))

    def icmp(self, t, src, dst, seq=1):
        v6 = ":" in src
        self.add(t, src, dst, 58 if v6 else 1, icmp_echo(seq=seq, v6=v6))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
            for t, frame in sorted(self.frames, key=lambda x: x[0]):
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
