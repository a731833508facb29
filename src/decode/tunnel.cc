// Tunnels: IP in IP (4in4, 6in4, 4in6, 6in6), GRE (RFC 2784/2890, with ERSPAN types
// I-III and transparent Ethernet bridging), VXLAN (RFC 7348) and Geneve (RFC 8926).
// The view then describes the innermost packet, as tshark and Zeek do, so flows and
// sessions follow the tunneled conversation; the outermost addresses and the first
// tunnel's kind and key/VNI are kept on the side.
#include "decode/decode_steps.h"

namespace netsift::decode {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86dd, kEtherTeb = 0x6558,
                   kEtherErspan = 0x88be, kEtherErspan3 = 0x22eb, kEtherCiscoMeta = 0x8909;
constexpr int kMaxTunnels = 4;
constexpr int kMaxEncapsulations = 16;

// Records the outer packet and clears what the inner one will fill in. False (with the
// problem named) when hostile nesting goes too deep.
bool enter_tunnel(Frame& f, TunnelKind kind, bool has_id, uint32_t id) {
  PacketView& v = f.view;
  if (++f.depth > kMaxEncapsulations || v.tunneled_depth >= kMaxTunnels) {
    v.add_problem(Problem::LinkTooDeep);
    return false;
  }
  if (!v.tunneled) {
    v.outer_src_ip = v.src_ip;
    v.outer_dst_ip = v.dst_ip;
    v.tunnel_kind = kind;
    v.has_tunnel_id = has_id;
    v.tunnel_id = id;
  }
  v.tunneled = true;
  ++v.tunneled_depth;
  v.l3 = L3::None;  // until the inner header says (a bridged frame may carry no IP)
  v.ethertype = 0;
  // Transport fields of a UDP-carried tunnel must not leak into the inner packet.
  v.l4 = L4::None;
  v.l4_header = false;
  v.has_ports = false;
  v.src_port = v.dst_port = 0;
  v.udp_length = 0;
  v.l4_checksum = ChecksumStatus::NotChecked;
  v.payload_offset = v.payload_len = v.payload_wire_len = 0;
  return true;
}

// The inner packet ends where the outer payload does.
void decode_inner(Frame& f, uint16_t ethertype, uint32_t offset, uint32_t end) {
  Frame inner{f.data.first(end), f.view, f.options, f.snaplen_cut, f.depth};
  switch (ethertype) {
    case kEtherIpv4:
      ipv4(inner, offset);
      return;
    case kEtherIpv6:
      ipv6(inner, offset);
      return;
    default:
      ethernet(inner, offset);
  }
}

}  // namespace

void ip_in_ip(Frame& f, uint8_t proto, uint32_t offset, uint32_t end) {
  if (!enter_tunnel(f, TunnelKind::IpInIp, false, 0)) return;
  decode_inner(f, proto == ipproto::kIpip ? kEtherIpv4 : kEtherIpv6, offset, end);
}

void gre(Frame& f, uint32_t offset, uint32_t end) {
  PacketView& v = f.view;
  // A header cut short: named, and the bytes kept as the GRE packet's payload.
  auto truncated = [&] {
    v.add_problem(Problem::GreTruncated);
    other_payload(f, offset, end);
  };
  if (end < offset + 4) return truncated();
  const uint8_t* h = f.data.data() + offset;
  const uint16_t flags = load_be16(h), type = load_be16(h + 2);
  const bool checksum = flags & 0x8000, routing = flags & 0x4000, key = flags & 0x2000,
             sequence = flags & 0x1000;
  const unsigned version = flags & 7;
  // Version 1 is PPTP's enhanced GRE (PPP inside); source routing (RFC 1701) is obsolete.
  if (version != 0 || routing) {
    v.add_problem(Problem::GreUnsupported);
    other_payload(f, offset, end);
    return;
  }
  uint32_t len = 4 + (checksum ? 4 : 0);
  uint32_t key_value = 0;
  if (key) {
    if (end >= offset + len + 4) key_value = load_be32(h + len);
    len += 4;
  }
  if (sequence) len += 4;
  uint32_t inner = offset + len;
  if (end < inner) return truncated();
  uint16_t inner_type = type;
  TunnelKind kind = TunnelKind::Gre;
  bool has_id = key;
  uint32_t id = key_value;
  if (type == kEtherErspan && sequence) {
    // ERSPAN type II: an 8-byte header (version 1) with a 10-bit session id. Without
    // the sequence bit it is type I, which has no header at all.
    if (end < inner + 8) return truncated();
    has_id = true;
    id = load_be16(f.data.data() + inner + 2) & 0x03ff;
    inner += 8;
    inner_type = kEtherTeb;
    kind = TunnelKind::Erspan;
  } else if (type == kEtherErspan) {
    inner_type = kEtherTeb;
    kind = TunnelKind::Erspan;
  } else if (type == kEtherCiscoMeta) {
    // Cisco MetaData (TrustSec SGT): next type, version, length, option, SGT: 8 bytes.
    if (end < inner + 8) return truncated();
    inner_type = load_be16(f.data.data() + inner);
    inner += 8;
  } else if (type == kEtherErspan3) {
    // ERSPAN type III: 12 bytes, then an 8-byte platform subheader when O is set.
    if (end < inner + 12) return truncated();
    const uint8_t* e = f.data.data() + inner;
    has_id = true;
    id = load_be16(e + 2) & 0x03ff;
    inner += (e[11] & 1) ? 20 : 12;
    kind = TunnelKind::Erspan;
    if (end < inner) return truncated();
    // Frame type: 0 an Ethernet frame, 2 an IP packet; others are not followed.
    const unsigned frame_type = (e[10] >> 2) & 0x1f;
    if (frame_type == 0) {
      inner_type = kEtherTeb;
    } else if (frame_type == 2 && end > inner) {
      inner_type = (f.data[inner] >> 4) == 6 ? kEtherIpv6 : kEtherIpv4;
    } else {
      other_payload(f, inner, end);
      return;
    }
  }
  if (inner_type != kEtherIpv4 && inner_type != kEtherIpv6 && inner_type != kEtherTeb) {
    other_payload(f, inner, end);  // e.g. WCCP, NHRP, MPLS: not followed
    return;
  }
  if (v.fragment) {  // decapsulated after reassembly, not piecemeal
    other_payload(f, offset, end);
    return;
  }
  if (!enter_tunnel(f, kind, has_id, id)) return;
  decode_inner(f, inner_type, inner, end);
}

bool udp_tunnel(Frame& f, uint16_t dst_port, uint32_t offset, uint32_t end) {
  constexpr uint16_t kVxlanPort = 4789, kGenevePort = 6081;
  if (dst_port != kVxlanPort && dst_port != kGenevePort) return false;
  PacketView& v = f.view;
  if (end < offset + 8) {
    // Too short for the header: a truncated capture is named, anything else on the
    // port stays plain UDP.
    if (v.payload_wire_len >= 8) v.add_problem(Problem::UdpTunnelTruncated);
    return false;
  }
  const uint8_t* h = f.data.data() + offset;
  if (dst_port == kVxlanPort) {
    if (!(h[0] & 0x08)) return false;  // VNI-valid flag: otherwise not VXLAN
    uint32_t vni = load_be32(h + 4) >> 8;
    if (!enter_tunnel(f, TunnelKind::Vxlan, true, vni)) return true;
    decode_inner(f, kEtherTeb, offset + 8, end);
    return true;
  }
  const unsigned version = h[0] >> 6;
  const uint32_t len = 8 + 4u * (h[0] & 0x3f);
  const uint16_t type = load_be16(h + 2);
  if (version != 0 || (type != kEtherTeb && type != kEtherIpv4 && type != kEtherIpv6)) {
    return false;
  }
  if (end < offset + len) {
    v.add_problem(Problem::UdpTunnelTruncated);
    return false;
  }
  uint32_t vni = load_be32(h + 4) >> 8;
  if (!enter_tunnel(f, TunnelKind::Geneve, true, vni)) return true;
  decode_inner(f, type, offset + len, end);
  return true;
}

}  // namespace netsift::decode
