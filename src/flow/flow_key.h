// The bidirectional identity of a flow: both endpoints in a canonical order (lower
// address/port first), the IP protocol and the VLAN ids, so that both directions of a
// conversation find the same flow.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/ip_address.h"
#include "decode/packet_view.h"

namespace netsift {

struct FlowKey {
  IpAddress lo_ip, hi_ip;
  uint16_t lo_port = 0, hi_port = 0;
  uint8_t proto = 0;
  uint16_t vlan_outer = 0, vlan_inner = 0;

  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

// Builds the key of a decoded IP packet; `from_lo` tells whether the packet travels
// from the lower endpoint to the higher one.
inline FlowKey make_flow_key(const PacketView& v, bool& from_lo) {
  FlowKey k;
  k.proto = v.ip_proto;
  if (v.vlan_count > 0) k.vlan_outer = v.vlans[0];
  if (v.vlan_count > 1) k.vlan_inner = v.vlans[1];
  uint16_t sport = v.has_ports ? v.src_port : 0, dport = v.has_ports ? v.dst_port : 0;
  int c = std::memcmp(v.src_ip.bytes.data(), v.dst_ip.bytes.data(), 16);
  from_lo = c < 0 || (c == 0 && sport <= dport);
  if (from_lo) {
    k.lo_ip = v.src_ip, k.hi_ip = v.dst_ip, k.lo_port = sport, k.hi_port = dport;
  } else {
    k.lo_ip = v.dst_ip, k.hi_ip = v.src_ip, k.lo_port = dport, k.hi_port = sport;
  }
  return k;
}

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const {
    // 64-bit multiply-xorshift over the key's words: cheap and well mixed.
    uint64_t w[4];
    std::memcpy(&w[0], k.lo_ip.bytes.data(), 8);
    std::memcpy(&w[1], k.lo_ip.bytes.data() + 8, 8);
    std::memcpy(&w[2], k.hi_ip.bytes.data(), 8);
    std::memcpy(&w[3], k.hi_ip.bytes.data() + 8, 8);
    uint64_t h = (uint64_t(k.lo_port) << 48 | uint64_t(k.hi_port) << 32 | uint64_t(k.proto) << 24 |
                  uint64_t(k.vlan_outer) << 12 | k.vlan_inner) ^
                 0x9e3779b97f4a7c15ull;
    for (uint64_t x : w) {
      h ^= x;
      h *= 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
    return size_t(h);
  }
};

// Longer than any pause between a client's retransmissions of its SYN (Linux gives up
// after about two minutes, its longest pause 32 s; Windows within 21 s): the same SYN
// after such a pause is a new attempt, or a copy (merged captures).
// (Flows of the session engine and of the statistics alike.)
constexpr TimestampNs kSynRetryGap = 120 * kNsPerSec;

}  // namespace netsift
