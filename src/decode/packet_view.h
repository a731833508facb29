// What the decoder learned about one frame: parsed header fields and offsets of each
// layer, plus the problems it met. Plain data, no allocation; it points into the
// RawPacket's bytes and is valid as long as they are.
#pragma once

#include <array>
#include <cstdint>

#include "capture/raw_packet.h"
#include "core/ip_address.h"
#include "core/problems.h"

namespace netsift {

enum class L3 : uint8_t { None, Ipv4, Ipv6, Arp, Other };
enum class L4 : uint8_t { None, Tcp, Udp, Icmp, Icmp6, Other };
enum class ChecksumStatus : uint8_t { NotChecked, Good, Bad };
enum class TunnelKind : uint8_t { None, IpInIp, Gre, Erspan, Vxlan, Geneve };

namespace tcp_flag {
constexpr uint16_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20,
                   kEce = 0x40, kCwr = 0x80, kNs = 0x100;
}

// Which protocol headers the decoder entered anywhere in the frame (outer and inner
// headers of tunnels alike), like tshark's frame.protocols; the statistics count
// frames by it.
namespace layer_seen {
constexpr uint8_t kIpv4 = 0x01, kIpv6 = 0x02, kTcp = 0x04, kUdp = 0x08, kIcmp = 0x10, kIcmp6 = 0x20;
}

namespace ipproto {
constexpr uint8_t kHopByHop = 0, kIcmp = 1, kIpip = 4, kTcp = 6, kIpv6Encap = 41, kUdp = 17,
                  kIpv6Route = 43, kIpv6Frag = 44, kGre = 47, kEsp = 50, kAh = 51, kIcmp6 = 58,
                  kNoNext = 59, kIpv6DstOpts = 60;
}

// The IP and transport header quoted inside an ICMP/ICMPv6 error message.
struct QuotedHeader {
  bool present = false;
  uint8_t ip_version = 0;
  IpAddress src_ip, dst_ip;
  uint8_t ttl = 0;
  uint8_t proto = 0;
  bool has_ports = false;
  uint16_t src_port = 0, dst_port = 0;
};

struct PacketView {
  static constexpr size_t kMaxVlans = 8;
  static constexpr size_t kMaxProblems = 6;

  const RawPacket* raw = nullptr;

  // link layer
  bool has_macs = false;
  std::array<uint8_t, 6> src_mac{}, dst_mac{};
  std::array<uint16_t, kMaxVlans> vlans{};
  uint8_t vlan_count = 0;
  uint8_t mpls_count = 0;
  bool pppoe = false;
  // An IEEE 802.3 frame (length, not type) whose LLC header carries no Ethernet type
  // (STP, NetBIOS, IPX, vendor SNAP): `l3` is Other, llc_dsap/llc_ssap name its users.
  // (These three fill padding: the view keeps its size.)
  bool llc = false;
  uint16_t ethertype = 0;   // of the network layer, after VLAN/MPLS/PPPoE
  uint8_t layers_seen = 0;  // layer_seen bits

  // network layer
  L3 l3 = L3::None;
  uint8_t llc_dsap = 0, llc_ssap = 0;  // with `llc`: the LLC service access points
  uint32_t l3_offset = 0;
  IpAddress src_ip, dst_ip;
  uint8_t ttl = 0;       // hop limit for IPv6
  uint8_t ip_proto = 0;  // final upper-layer protocol (after IPv6 extension headers)
  uint8_t tos = 0;
  uint16_t ip_id = 0;
  uint32_t ip_flow_label = 0;
  bool fragment = false;  // any fragment (MF set or offset > 0)
  bool more_fragments = false;
  bool dont_fragment = false;
  uint32_t frag_offset = 0;  // bytes
  uint32_t frag_id = 0;      // IPv4 id or IPv6 fragment identification
  uint32_t l4_offset = 0;    // where the upper-layer header (or fragment data) starts
  uint32_t l4_len = 0;       // bytes the IP header says follow, capped by what was captured
  uint32_t l4_wire_len = 0;  // bytes the IP header says follow
  ChecksumStatus ip_checksum = ChecksumStatus::NotChecked;
  // Tunnels (IP in IP, GRE, VXLAN, Geneve): the other fields describe the innermost
  // packet; the outermost addresses, tunnel kind and key/VNI are kept here.
  bool tunneled = false;
  uint8_t tunneled_depth = 0;
  TunnelKind tunnel_kind = TunnelKind::None;
  bool has_tunnel_id = false;  // GRE key, ERSPAN session, VXLAN/Geneve VNI
  uint32_t tunnel_id = 0;
  IpAddress outer_src_ip, outer_dst_ip;

  // ARP
  uint16_t arp_op = 0;
  std::array<uint8_t, 6> arp_sender_mac{}, arp_target_mac{};

  // transport layer
  L4 l4 = L4::None;
  bool l4_header = false;  // the fixed transport header (TCP 20, UDP 8, ICMP 4 bytes) was read
  bool has_ports = false;  // src_port/dst_port are known (TCP/UDP)
  uint16_t src_port = 0, dst_port = 0;
  uint32_t tcp_seq = 0, tcp_ack = 0;
  uint16_t tcp_flags = 0;
  uint16_t tcp_window = 0;
  uint16_t tcp_mss = 0;
  uint8_t tcp_wscale = 0xff;  // 0xff = absent
  bool tcp_sack_permitted = false;
  uint8_t tcp_sack_blocks = 0;
  bool tcp_has_timestamps = false;
  uint32_t tcp_ts_val = 0, tcp_ts_ecr = 0;
  uint16_t udp_length = 0;
  uint8_t icmp_type = 0, icmp_code = 0;
  bool icmp_has_echo = false;
  uint16_t icmp_id = 0, icmp_seq = 0;
  bool icmp_has_target = false;  // neighbour discovery target address
  IpAddress icmp_target;
  QuotedHeader quoted;
  ChecksumStatus l4_checksum = ChecksumStatus::NotChecked;

  // application payload (of TCP/UDP/ICMP data), within raw->data
  uint32_t payload_offset = 0;
  uint32_t payload_len = 0;       // captured bytes
  uint32_t payload_wire_len = 0;  // bytes the headers say were sent (>= payload_len)

  // problems met, in order; problem_count may exceed kMaxProblems (extra ones dropped)
  std::array<Problem, kMaxProblems> problems{};
  uint8_t problem_count = 0;

  void add_problem(Problem p) {
    if (problem_count < kMaxProblems) problems[problem_count] = p;
    if (problem_count < 255) ++problem_count;
  }
  size_t stored_problems() const {
    return problem_count < kMaxProblems ? problem_count : kMaxProblems;
  }
  bool is_ip() const { return l3 == L3::Ipv4 || l3 == L3::Ipv6; }
  ByteView payload() const { return raw->data.subspan(payload_offset, payload_len); }
};

}  // namespace netsift
