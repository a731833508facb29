// Network layer: IPv4 (options walked, header checksum checked) and IPv6 (extension
// header chain: hop-by-hop, routing, fragment, destination options, AH).
#include <algorithm>

#include "decode/decode_steps.h"

namespace netsift::decode {
namespace {

constexpr int kMaxExtensionHeaders = 16;

bool ipv4_options_ok(ByteView options) {
  size_t i = 0;
  while (i < options.size()) {
    uint8_t type = options[i];
    if (type == 0) return true;  // end of option list
    if (type == 1) {             // no-operation
      ++i;
      continue;
    }
    if (i + 1 >= options.size()) return false;
    uint8_t len = options[i + 1];
    if (len < 2 || i + len > options.size()) return false;
    i += len;
  }
  return true;
}

// RFC 1071: the one's-complement sum of the header is all ones when the checksum is
// right. The sum does not depend on byte order (RFC 1071 section 2(B)), and all ones
// reads the same both ways, so 32-bit words are added as they lie in memory: a fifth
// of the instructions of checksum_add()'s big-endian 16-bit walk, on every packet.
bool header_checksum_ok(ByteView header) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 4 <= header.size(); i += 4) sum += load_le32(header.data() + i);
  // IPv4 header lengths are multiples of 4: nothing is left over.
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

// Where the IP payload ends: the header's claim, cut to what was captured. Flags the
// shortfall as a snaplen cut or as a lie of the length field.
uint32_t payload_end(Frame& f, uint64_t claimed_end, Problem short_frame) {
  if (claimed_end <= f.data.size()) return uint32_t(claimed_end);
  f.view.add_problem(f.snaplen_cut ? Problem::CaptureTruncated : short_frame);
  return uint32_t(f.data.size());
}

}  // namespace

void ipv4(Frame& f, uint32_t offset) {
  PacketView& v = f.view;
  v.layers_seen |= layer_seen::kIpv4;
  v.l3_offset = offset;
  if (f.data.size() < offset + 20u) {
    v.l3 = L3::Ipv4;
    v.add_problem(f.snaplen_cut ? Problem::CaptureTruncated : Problem::Ipv4Truncated);
    return;
  }
  const uint8_t* h = f.data.data() + offset;
  if ((h[0] >> 4) != 4) {
    v.l3 = L3::Other;
    v.add_problem(Problem::Ipv4BadVersion);
    return;
  }
  v.l3 = L3::Ipv4;
  uint32_t header_len = (h[0] & 0x0f) * 4u;
  v.tos = h[1];
  uint32_t total_len = load_be16(h + 2);
  v.ip_id = load_be16(h + 4);
  uint16_t frag = load_be16(h + 6);
  v.ttl = h[8];
  v.ip_proto = h[9];
  v.src_ip = IpAddress::v4(h + 12);
  v.dst_ip = IpAddress::v4(h + 16);
  if (header_len < 20) {
    v.add_problem(Problem::Ipv4BadHeaderLength);
    return;
  }
  if (f.data.size() < offset + header_len) {
    v.add_problem(f.snaplen_cut ? Problem::CaptureTruncated : Problem::Ipv4Truncated);
    return;
  }
  ByteView header = f.data.subspan(offset, header_len);
  v.ip_checksum = header_checksum_ok(header) ? ChecksumStatus::Good : ChecksumStatus::Bad;
  if (v.ip_checksum == ChecksumStatus::Bad) v.add_problem(Problem::Ipv4BadChecksum);
  if (header_len > 20 && !ipv4_options_ok(header.subspan(20))) {
    v.add_problem(Problem::Ipv4BadOption);
  }
  if (total_len < header_len) {
    // Total length 0 is what TCP segmentation offload leaves in outgoing captures:
    // trust the captured length then, but say so.
    v.add_problem(Problem::Ipv4BadTotalLength);
    if (total_len != 0) return;
    total_len = uint32_t(f.data.size() - offset);
  }
  uint32_t end = payload_end(f, uint64_t(offset) + total_len, Problem::Ipv4TruncatedPayload);
  v.dont_fragment = (frag & 0x4000) != 0;
  v.more_fragments = (frag & 0x2000) != 0;
  v.frag_offset = (frag & 0x1fffu) * 8u;
  v.fragment = v.more_fragments || v.frag_offset != 0;
  v.frag_id = v.ip_id;
  uint32_t l4 = offset + header_len;
  v.l4_offset = l4;
  v.l4_len = end - l4;
  v.l4_wire_len = total_len - header_len;
  if (v.frag_offset != 0) {  // later fragment: no transport header here
    v.payload_offset = l4;
    v.payload_len = v.l4_len;
    return;
  }
  by_ip_proto(f, v.ip_proto, l4, end);
}

void ipv6(Frame& f, uint32_t offset) {
  PacketView& v = f.view;
  v.layers_seen |= layer_seen::kIpv6;
  v.l3_offset = offset;
  if (f.data.size() < offset + 40u) {
    v.l3 = L3::Ipv6;
    v.add_problem(f.snaplen_cut ? Problem::CaptureTruncated : Problem::Ipv6Truncated);
    return;
  }
  const uint8_t* h = f.data.data() + offset;
  if ((h[0] >> 4) != 6) {
    v.l3 = L3::Other;
    v.add_problem(Problem::Ipv6BadVersion);
    return;
  }
  v.l3 = L3::Ipv6;
  v.tos = uint8_t(load_be16(h) >> 4);
  v.ip_flow_label = load_be32(h) & 0xfffff;
  uint32_t payload_len = load_be16(h + 4);
  uint8_t next = h[6];
  v.ttl = h[7];
  v.src_ip = IpAddress::v6(h + 8);
  v.dst_ip = IpAddress::v6(h + 24);
  uint32_t start = offset + 40;
  if (payload_len == 0 && next == ipproto::kHopByHop) {
    payload_len = uint32_t(f.data.size() - start);  // jumbogram: length is in the option
  }
  uint32_t end = payload_end(f, uint64_t(start) + payload_len, Problem::Ipv6TruncatedPayload);
  uint32_t pos = start;
  for (int depth = 0;; ++depth) {
    if (depth == kMaxExtensionHeaders) {
      v.add_problem(Problem::Ipv6ExtTooMany);
      v.ip_proto = next;
      return;
    }
    uint32_t ext_len;
    if (next == ipproto::kHopByHop || next == ipproto::kIpv6Route ||
        next == ipproto::kIpv6DstOpts || next == ipproto::kAh || next == ipproto::kIpv6Frag) {
      if (end < pos + 8u) {
        v.add_problem(Problem::Ipv6ExtTruncated);
        v.ip_proto = next;
        return;
      }
      const uint8_t* e = f.data.data() + pos;
      if (next == ipproto::kIpv6Frag) {
        ext_len = 8;
        uint16_t off_flags = load_be16(e + 2);
        v.frag_offset = (off_flags & 0xfff8u);
        v.more_fragments = (off_flags & 1) != 0;
        v.frag_id = load_be32(e + 4);
        v.fragment = true;  // even an atomic fragment (offset 0, M=0) travels alone
      } else if (next == ipproto::kAh) {
        ext_len = (e[1] + 2u) * 4u;
      } else {
        ext_len = (e[1] + 1u) * 8u;
      }
      if (end < pos + ext_len) {
        v.add_problem(Problem::Ipv6ExtTruncated);
        v.ip_proto = next;
        return;
      }
      next = e[0];
      pos += ext_len;
      continue;
    }
    break;
  }
  v.ip_proto = next;
  v.l4_offset = pos;
  v.l4_len = end - pos;
  v.l4_wire_len = start + payload_len >= pos ? start + payload_len - pos : 0;
  if (v.fragment && v.frag_offset != 0) {
    v.payload_offset = pos;
    v.payload_len = v.l4_len;
    return;
  }
  by_ip_proto(f, next, pos, end);
}

void by_ip_proto(Frame& f, uint8_t proto, uint32_t offset, uint32_t end) {
  switch (proto) {
    case ipproto::kIpip:
    case ipproto::kIpv6Encap:
      // A fragmented tunnel packet is decapsulated after reassembly, not piecemeal.
      if (f.view.fragment) break;
      ip_in_ip(f, proto, offset, end);
      return;
    case ipproto::kGre:
      gre(f, offset, end);
      return;
    case ipproto::kTcp:
      tcp(f, offset, end);
      return;
    case ipproto::kUdp:
      udp(f, offset, end);
      return;
    case ipproto::kIcmp:
      if (f.view.l3 == L3::Ipv4) {
        icmp(f, offset, end);
        return;
      }
      break;
    case ipproto::kIcmp6:
      if (f.view.l3 == L3::Ipv6) {
        icmp6(f, offset, end);
        return;
      }
      break;
    default:
      break;
  }
  other_payload(f, offset, end);
}

void other_payload(Frame& f, uint32_t offset, uint32_t end) {
  PacketView& v = f.view;
  v.l4 = L4::Other;
  v.payload_offset = offset;
  v.payload_len = end > offset ? end - offset : 0;
  // What the IP header says was sent from here on (the capture may hold less).
  uint32_t wire_end = v.l4_offset + v.l4_wire_len;
  v.payload_wire_len = std::max(wire_end > offset ? wire_end - offset : 0u, v.payload_len);
}

}  // namespace netsift::decode
