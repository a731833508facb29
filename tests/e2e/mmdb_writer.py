#!/usr/bin/env python3
"""A small writer of MaxMind DB files (format 2.0, https://maxmind.github.io/MaxMind-DB/),
written for the tests from the specification: a binary trie of networks with 24-bit
records, a data section (maps, strings, unsigned integers, doubles, arrays) and the
metadata map. Enough to build tiny GeoLite2-like and DB-IP-like databases whose
answers the tests know exactly.

    write_mmdb(path, [("1.2.3.0/24", {"city": {"names": {"en": "X"}}}), ...],
               ip_version=6, database_type="GeoLite2-City")
"""
import ipaddress
import struct
import time


def _ctrl(type_id, size):
    if size < 29:
        head, extra = size, b""
    elif size < 29 + 256:
        head, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        head, extra = 30, struct.pack(">H", size - 285)
    else:
        head, extra = 31, struct.pack(">I", size - 65821)[1:]
    if type_id <= 7:
        return bytes([(type_id << 5) | head]) + extra
    return bytes([head, type_id - 7]) + extra


def _uint(type_id, v):
    b = v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""
    return _ctrl(type_id, len(b)) + b


class U16(int):
    """An integer stored as uint16 whatever its value (metadata needs exact types)."""


class U32(int):
    pass


class U64(int):
    pass


def encode(v):
    for cls, type_id in ((U16, 5), (U32, 6), (U64, 9)):
        if isinstance(v, cls):
            return _uint(type_id, int(v))
    if isinstance(v, bool):
        return _ctrl(14, int(v))
    if isinstance(v, str):
        b = v.encode("utf-8")
        return _ctrl(2, len(b)) + b
    if isinstance(v, float):
        return _ctrl(3, 8) + struct.pack(">d", v)
    if isinstance(v, int):
        if v < 0:
            raise ValueError("negative integers are not needed here")
        return _uint(5 if v < 1 << 16 else 6 if v < 1 << 32 else 9, v)
    if isinstance(v, dict):
        out = _ctrl(7, len(v))
        for k, x in v.items():
            out += encode(str(k)) + encode(x)
        return out
    if isinstance(v, (list, tuple)):
        out = _ctrl(11, len(v))
        for x in v:
            out += encode(x)
        return out
    raise TypeError(type(v))


class _Node:
    __slots__ = ("kids",)

    def __init__(self):
        self.kids = [None, None]  # None (no data), _Node, or ("data", index)


def write_mmdb(path, networks, ip_version=6, database_type="Test-City", build_epoch=None):
    bits_total = 128 if ip_version == 6 else 32
    root = _Node()
    datas = []
    for net, record in networks:
        n = ipaddress.ip_network(net)
        if ip_version == 4 and n.version == 6:
            raise ValueError("IPv6 network in an IPv4 database")
        addr = int(n.network_address)
        plen = n.prefixlen
        if n.version == 4 and ip_version == 6:
            plen += 96  # IPv4 lives in ::/96 of an IPv6 tree
        datas.append(record)
        leaf = ("data", len(datas) - 1)
        node = root
        for depth in range(plen):
            bit = (addr >> (bits_total - 1 - depth)) & 1 if n.version == 6 or ip_version == 4 else \
                ((addr >> (31 - (depth - 96))) & 1 if depth >= 96 else 0)
            if depth == plen - 1:
                node.kids[bit] = leaf
                break
            kid = node.kids[bit]
            if not isinstance(kid, _Node):
                fresh = _Node()
                fresh.kids = [kid, kid]  # a wider network's data goes down both ways
                node.kids[bit] = fresh
                kid = fresh
            node = kid
    # Number the nodes breadth first.
    order, queue = [], [root]
    while queue:
        n = queue.pop(0)
        order.append(n)
        queue.extend(k for k in n.kids if isinstance(k, _Node))
    index = {id(n): i for i, n in enumerate(order)}
    count = len(order)
    blobs, offsets, data = [], [], b""
    for d in datas:
        offsets.append(len(data))
        data += encode(d)

    def record(k):
        if k is None:
            return count
        if isinstance(k, _Node):
            return index[id(k)]
        return count + 16 + offsets[k[1]]

    tree = b""
    for n in order:
        for k in n.kids:
            tree += record(k).to_bytes(3, "big")
    meta = {
        "node_count": U32(count),
        "record_size": U16(24),
        "ip_version": U16(ip_version),
        "database_type": database_type,
        "languages": ["en"],
        "binary_format_major_version": U16(2),
        "binary_format_minor_version": U16(0),
        "build_epoch": U64(build_epoch if build_epoch is not None else int(time.time())),
        "description": {"en": "netsift test database"},
    }
    with open(path, "wb") as f:
        f.write(tree + b"\x00" * 16 + data + b"\xab\xcd\xefMaxMind.com" + encode(meta))
