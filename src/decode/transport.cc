// Transport layer: TCP (with MSS, window scale, SACK and timestamp options) and UDP.
#include <algorithm>

#include "decode/decode_steps.h"

namespace netsift::decode {
namespace {

Problem short_header(const Frame& f, Problem p) {
  return f.snaplen_cut ? Problem::CaptureTruncated : p;
}

void tcp_options(PacketView& v, ByteView opts) {
  size_t i = 0;
  while (i < opts.size()) {
    uint8_t kind = opts[i];
    if (kind == 0) return;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size() || opts[i + 1] < 2 || i + opts[i + 1] > opts.size()) {
      v.add_problem(Problem::TcpBadOption);
      return;
    }
    uint8_t len = opts[i + 1];
    const uint8_t* d = opts.data() + i + 2;
    switch (kind) {
      case 2:
        if (len == 4) v.tcp_mss = load_be16(d);
        break;
      case 3:
        if (len == 3) v.tcp_wscale = d[0];
        break;
      case 4:
        v.tcp_sack_permitted = true;
        break;
      case 5:
        v.tcp_sack_blocks = uint8_t((len - 2) / 8);
        break;
      case 8:
        if (len == 10) {
          v.tcp_has_timestamps = true;
          v.tcp_ts_val = load_be32(d);
          v.tcp_ts_ecr = load_be32(d + 4);
        }
        break;
      default:
        break;
    }
    i += len;
  }
}

bool can_check_l4(const Frame& f) {
  return f.options.verify_l4_checksums && !f.view.fragment && !f.snaplen_cut;
}

}  // namespace

void tcp(Frame& f, uint32_t offset, uint32_t end) {
  PacketView& v = f.view;
  v.l4 = L4::Tcp;
  v.layers_seen |= layer_seen::kTcp;
  if (end < offset + 20u) {
    v.add_problem(short_header(f, Problem::TcpTruncated));
    if (end >= offset + 4u) {
      v.src_port = load_be16(f.data.data() + offset);
      v.dst_port = load_be16(f.data.data() + offset + 2);
      v.has_ports = true;
    }
    return;
  }
  const uint8_t* h = f.data.data() + offset;
  v.src_port = load_be16(h);
  v.dst_port = load_be16(h + 2);
  v.tcp_seq = load_be32(h + 4);
  v.tcp_ack = load_be32(h + 8);
  uint32_t header_len = (h[12] >> 4) * 4u;
  v.tcp_flags = uint16_t((h[12] & 1) << 8 | h[13]);
  v.tcp_window = load_be16(h + 14);
  v.has_ports = true;
  v.l4_header = true;
  if (header_len < 20) {
    v.add_problem(Problem::TcpBadHeaderLength);
    return;
  }
  if (end < offset + header_len) {
    v.add_problem(short_header(f, Problem::TcpTruncated));
    return;
  }
  if (header_len > 20) tcp_options(v, f.data.subspan(offset + 20, header_len - 20));
  v.payload_offset = offset + header_len;
  v.payload_len = end - v.payload_offset;
  v.payload_wire_len = v.l4_wire_len > header_len ? v.l4_wire_len - header_len : 0;
  v.payload_wire_len = std::max(v.payload_wire_len, v.payload_len);
  if (can_check_l4(f)) {
    uint32_t sum = pseudo_header_sum(v, ipproto::kTcp, end - offset);
    bool good = checksum_fold(checksum_add(sum, f.data.subspan(offset, end - offset))) == 0xffff;
    v.l4_checksum = good ? ChecksumStatus::Good : ChecksumStatus::Bad;
    if (!good) v.add_problem(Problem::TcpBadChecksum);
  }
}

void udp(Frame& f, uint32_t offset, uint32_t end) {
  PacketView& v = f.view;
  v.l4 = L4::Udp;
  v.layers_seen |= layer_seen::kUdp;
  if (end < offset + 8u) {
    v.add_problem(short_header(f, Problem::UdpTruncated));
    return;
  }
  const uint8_t* h = f.data.data() + offset;
  v.src_port = load_be16(h);
  v.dst_port = load_be16(h + 2);
  v.udp_length = load_be16(h + 4);
  v.has_ports = true;
  v.l4_header = true;
  uint16_t checksum = load_be16(h + 6);
  uint32_t length = v.udp_length;
  // IPv6 jumbograms carry UDP length 0; otherwise the field must fit the IP payload.
  if (length < 8 || (!v.fragment && length > v.l4_wire_len)) {
    if (!(length == 0 && v.l3 == L3::Ipv6)) v.add_problem(Problem::UdpBadLength);
    length = v.l4_wire_len;
  }
  uint32_t captured_end = std::min<uint32_t>(end, offset + length);
  v.payload_offset = offset + 8;
  v.payload_len = captured_end > v.payload_offset ? captured_end - v.payload_offset : 0;
  v.payload_wire_len = std::max(length >= 8 ? length - 8 : 0u, v.payload_len);
  if (can_check_l4(f) && !(checksum == 0 && v.l3 == L3::Ipv4) && captured_end == offset + length) {
    uint32_t sum = pseudo_header_sum(v, ipproto::kUdp, length);
    bool good = checksum_fold(checksum_add(sum, f.data.subspan(offset, length))) == 0xffff;
    v.l4_checksum = good ? ChecksumStatus::Good : ChecksumStatus::Bad;
    if (!good) v.add_problem(Problem::UdpBadChecksum);
  }
  if (!v.fragment) udp_tunnel(f, v.dst_port, v.payload_offset, captured_end);
}

}  // namespace netsift::decode
