// ICMP and ICMPv6: type/code, echo identifiers, neighbour discovery targets, and the
// IP + transport header quoted by error messages.
#include <algorithm>

#include "decode/decode_steps.h"
#include "decode/icmp_names.h"

namespace netsift::decode {
namespace {

// Parses the quoted packet (IP header + at least 8 bytes of its payload). Whatever is
// present is kept; a short quote is flagged.
void quoted_header(Frame& f, ByteView q, Problem truncated) {
  QuotedHeader& out = f.view.quoted;
  if (q.empty()) {
    f.view.add_problem(truncated);
    return;
  }
  uint8_t version = q[0] >> 4;
  size_t header_len = 0;
  uint8_t proto = 0;
  if (version == 4 && q.size() >= 20) {
    header_len = (q[0] & 0x0f) * 4u;
    if (header_len < 20 || header_len > q.size()) {
      f.view.add_problem(truncated);
      return;
    }
    out.src_ip = IpAddress::v4(q.data() + 12);
    out.dst_ip = IpAddress::v4(q.data() + 16);
    out.ttl = q[8];
    proto = q[9];
    if ((load_be16(q.data() + 6) & 0x1fff) != 0) proto = 0;  // later fragment: no ports
  } else if (version == 6 && q.size() >= 40) {
    header_len = 40;
    out.src_ip = IpAddress::v6(q.data() + 8);
    out.dst_ip = IpAddress::v6(q.data() + 24);
    out.ttl = q[7];
    proto = q[6];
  } else {
    f.view.add_problem(truncated);
    return;
  }
  out.present = true;
  out.ip_version = version;
  out.proto = proto;
  ByteView inner = q.subspan(header_len);
  if (proto == ipproto::kTcp || proto == ipproto::kUdp) {
    if (inner.size() >= 4) {
      out.has_ports = true;
      out.src_port = load_be16(inner.data());
      out.dst_port = load_be16(inner.data() + 2);
    } else {
      f.view.add_problem(truncated);
    }
  }
}

void check_sum(Frame& f, uint32_t offset, uint32_t end, bool v6) {
  if (!f.options.verify_l4_checksums || f.view.fragment || f.snaplen_cut) return;
  uint32_t sum = v6 ? pseudo_header_sum(f.view, ipproto::kIcmp6, end - offset) : 0;
  bool good = checksum_fold(checksum_add(sum, f.data.subspan(offset, end - offset))) == 0xffff;
  f.view.l4_checksum = good ? ChecksumStatus::Good : ChecksumStatus::Bad;
  if (!good) f.view.add_problem(v6 ? Problem::Icmp6BadChecksum : Problem::IcmpBadChecksum);
}

// The 8-byte header ICMP and ICMPv6 share: type, code, checksum, and 4 bytes the type
// defines; the body follows. False when the header is cut short.
bool icmp_header(Frame& f, uint32_t offset, uint32_t end, bool v6) {
  PacketView& v = f.view;
  v.l4 = v6 ? L4::Icmp6 : L4::Icmp;
  v.layers_seen |= v6 ? layer_seen::kIcmp6 : layer_seen::kIcmp;
  const Problem truncated = v6 ? Problem::Icmp6Truncated : Problem::IcmpTruncated;
  if (end < offset + 4u) {
    v.add_problem(f.snaplen_cut ? Problem::CaptureTruncated : truncated);
    return false;
  }
  const uint8_t* h = f.data.data() + offset;
  v.icmp_type = h[0];
  v.icmp_code = h[1];
  v.l4_header = true;
  uint32_t body = offset + 8;
  v.payload_offset = std::min(body, end);
  v.payload_len = end - v.payload_offset;
  v.payload_wire_len = std::max(v.l4_wire_len > 8 ? v.l4_wire_len - 8 : 0u, v.payload_len);
  if (end < body) {
    v.add_problem(f.snaplen_cut ? Problem::CaptureTruncated : truncated);
    return false;
  }
  return true;
}

// Echo and the other query/reply types: identifier and sequence number.
void echo_ids(PacketView& v, const uint8_t* h) {
  v.icmp_has_echo = true;
  v.icmp_id = load_be16(h + 4);
  v.icmp_seq = load_be16(h + 6);
}

}  // namespace

void icmp(Frame& f, uint32_t offset, uint32_t end) {
  if (!icmp_header(f, offset, end, false)) return;
  PacketView& v = f.view;
  const uint8_t* h = f.data.data() + offset;
  uint32_t body = offset + 8;
  switch (v.icmp_type) {
    case 0:
    case 8:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
      echo_ids(v, h);
      break;
    default:
      break;
  }
  if (icmp_is_error(v.icmp_type, false)) {
    quoted_header(f, f.data.subspan(body, end - body), Problem::IcmpInnerTruncated);
  }
  check_sum(f, offset, end, false);
}

void icmp6(Frame& f, uint32_t offset, uint32_t end) {
  if (!icmp_header(f, offset, end, true)) return;
  PacketView& v = f.view;
  const uint8_t* h = f.data.data() + offset;
  uint32_t body = offset + 8;
  if (v.icmp_type == 128 || v.icmp_type == 129) {
    echo_ids(v, h);
  } else if (v.icmp_type == 135 || v.icmp_type == 136 || v.icmp_type == 137) {
    if (end >= body + 16) {
      v.icmp_has_target = true;
      v.icmp_target = IpAddress::v6(h + 8);
    } else {
      v.add_problem(f.snaplen_cut ? Problem::CaptureTruncated : Problem::Icmp6Truncated);
    }
  } else if (icmp_is_error(v.icmp_type, true)) {
    quoted_header(f, f.data.subspan(body, end - body), Problem::Icmp6InnerTruncated);
  }
  check_sum(f, offset, end, true);
}

}  // namespace netsift::decode
