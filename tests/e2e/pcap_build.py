#!/usr/bin/env python3
"""Builds small pcap files for the statistics tests: Ethernet frames carrying IPv4 or
IPv6 with TCP, UDP (DNS messages too) or ICMP, at given times. Checksums are left zero
(netsift checks them only with --verify-checksums)."""
import ipaddress
import socket
import struct


def _ip(a):
    return ipaddress.ip_address(a)


def ip_checksum(hdr):
    total = sum(struct.unpack(">%dH" % (len(hdr) // 2), hdr))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ip_packet(src, dst, proto, payload, ttl=64, checksum=False):
    s, d = _ip(src), _ip(dst)
    if s.version == 4:
        hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, ttl, proto, 0,
                          s.packed, d.packed)
        if checksum:
            hdr = hdr[:10] + struct.pack(">H", ip_checksum(hdr)) + hdr[12:]
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

    def __init__(self, checksum=False):
        self.frames = []
        self.checksum = checksum  # a valid IPv4 header checksum (else zero)

    def add(self, t, src, dst, proto, payload):
        ethertype, pkt = ip_packet(src, dst, proto, payload, checksum=self.checksum)
        eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + struct.pack(">H", ethertype)
        self.frames.append((t, eth + pkt))

    def tcp(self, t, src, dst, sport, dport, flags="S", data=b""):
        self.add(t, src, dst, 6, tcp(sport, dport, flags, data=data))

    def udp(self, t, src, dst, sport, dport, data=b""):
        self.add(t, src, dst, 17, udp(sport, dport, data))

    def icmp(self, t, src, dst, seq=1):
        v6 = ":" in src
        self.add(t, src, dst, 58 if v6 else 1, icmp_echo(seq=seq, v6=v6))

    def icmp_msg(self, t, src, dst, type_, code=0, body=b"x" * 32):
        """Any ICMP/ICMPv6 message: replies (0/129), errors (3, 11 / 1, 3) quoting `body`."""
        v6 = ":" in src
        self.add(t, src, dst, 58 if v6 else 1, struct.pack(">BBHI", type_, code, 0, 0) + body)

    @staticmethod
    def quote_udp(src, dst, sport, dport, length=64):
        """What an ICMPv4 error quotes of a UDP datagram: its IPv4 header and UDP header."""
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + 8 + length, 1, 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
        return ip + struct.pack(">HHHH", sport, dport, 8 + length, 0)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
            for t, frame in sorted(self.frames, key=lambda x: x[0]):
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


class TcpConversation:
    """One TCP connection in a Pcap with true sequence numbers: handshake, then each
    `send` as one or more segments (cut at the given offsets), then FIN both ways."""

    def __init__(self, pcap, t, client, server, cport, sport):
        self.p, self.t = pcap, t
        self.ends = {True: (client, cport), False: (server, sport)}
        self.seq = {True: 1000, False: 5000}
        self._seg(True, "S", b"", syn=True)
        self._seg(False, "SA", b"", syn=True)
        self._seg(True, "A", b"")

    def _seg(self, from_client, flags, data, syn=False):
        (src, sp), (dst, dp) = self.ends[from_client], self.ends[not from_client]
        self.t += 0.001
        ack = 0 if flags == "S" else self.seq[not from_client]
        self.p.add(self.t, src, dst, 6, tcp(sp, dp, flags, self.seq[from_client], ack, data))
        self.seq[from_client] += len(data) + (1 if syn or "F" in flags else 0)

    def send(self, from_client, data, cuts=()):
        last = 0
        for c in list(cuts) + [len(data)]:
            if c > last:
                self._seg(from_client, "PA", data[last:c])
            last = c
        return self

    def client(self, data, cuts=()):
        return self.send(True, data, cuts)

    def server(self, data, cuts=()):
        return self.send(False, data, cuts)

    def close(self):
        self._seg(True, "FA", b"")
        self._seg(False, "FA", b"")
        self._seg(True, "A", b"")
        return self.t
