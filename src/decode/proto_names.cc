#include "decode/proto_names.h"

#include <fmt/format.h>

namespace netsift {

std::string_view ip_proto_name(uint8_t proto) {
  switch (proto) {
    case 0:
      return "hopopt";
    case 1:
      return "icmp";
    case 2:
      return "igmp";
    case 4:
      return "ipip";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 41:
      return "ipv6";
    case 43:
      return "ipv6-route";
    case 44:
      return "ipv6-frag";
    case 47:
      return "gre";
    case 50:
      return "esp";
    case 51:
      return "ah";
    case 58:
      return "icmp6";
    case 59:
      return "ipv6-nonxt";
    case 60:
      return "ipv6-opts";
    case 88:
      return "eigrp";
    case 89:
      return "ospf";
    case 103:
      return "pim";
    case 112:
      return "vrrp";
    case 115:
      return "l2tp";
    case 132:
      return "sctp";
    case 136:
      return "udplite";
    default:
      return {};
  }
}

std::string_view packet_proto(const PacketView& v, char* scratch) {
  // A header cut before its addresses was not read: neither was its protocol byte.
  if (v.is_ip() && v.src_ip.empty()) return "unknown";
  if (v.is_ip()) {
    std::string_view name = ip_proto_name(v.ip_proto);
    if (!name.empty()) return name;
    auto end = fmt::format_to(scratch, "ip-{}", v.ip_proto);
    return {scratch, size_t(end - scratch)};
  }
  if (v.l3 == L3::Arp) return "arp";
  if (v.llc) return "llc";
  if (v.ethertype != 0) {
    auto end = fmt::format_to(scratch, "ethertype-0x{:04x}", v.ethertype);
    return {scratch, size_t(end - scratch)};
  }
  return "unknown";
}

std::string_view tunnel_name(TunnelKind kind) {
  switch (kind) {
    case TunnelKind::IpInIp:
      return "ipip";
    case TunnelKind::Gre:
      return "gre";
    case TunnelKind::Erspan:
      return "erspan";
    case TunnelKind::Vxlan:
      return "vxlan";
    case TunnelKind::Geneve:
      return "geneve";
    case TunnelKind::None:
      break;
  }
  return {};
}

}  // namespace netsift
