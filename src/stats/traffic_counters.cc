#include "stats/traffic_counters.h"

#include <algorithm>

namespace netsift {

namespace {

constexpr uint8_t kIpBits = layer_seen::kIpv4 | layer_seen::kIpv6;

// The layers tshark lists for `v`, counting the quoted header of an ICMP error, which
// the decoder reads but does not enter as a layer.
uint8_t layers_of(const PacketView& v) {
  uint8_t seen = v.layers_seen;
  if (v.quoted.present) {
    seen |= v.quoted.ip_version == 4 ? layer_seen::kIpv4 : layer_seen::kIpv6;
    if (v.quoted.has_ports) {
      if (v.quoted.proto == ipproto::kTcp) seen |= layer_seen::kTcp;
      if (v.quoted.proto == ipproto::kUdp) seen |= layer_seen::kUdp;
    }
  }
  return seen;
}

}  // namespace

void TrafficCounters::add(const PacketView& v, const PacketView* reassembled) {
  const RawPacket& raw = *v.raw;
  if (packets == 0 || raw.ts < first_ts) first_ts = raw.ts;
  if (packets == 0 || raw.ts > last_ts) last_ts = raw.ts;
  ++packets;
  bytes += raw.wirelen;
  uint8_t seen = layers_of(v);
  if (v.fragment) {
    seen &= kIpBits;
    if (reassembled) seen |= layers_of(*reassembled) & ~kIpBits;
  }
  ipv4_packets += (seen & layer_seen::kIpv4) != 0;
  ipv6_packets += (seen & layer_seen::kIpv6) != 0;
  tcp_packets += (seen & layer_seen::kTcp) != 0;
  udp_packets += (seen & layer_seen::kUdp) != 0;
  icmp_packets += (seen & layer_seen::kIcmp) != 0;
  icmpv6_packets += (seen & layer_seen::kIcmp6) != 0;
  arp_packets += v.l3 == L3::Arp;
  vlan_packets += v.vlan_count > 0;

  const IpAddress* src = nullptr;
  const IpAddress* dst = nullptr;
  if (v.tunneled) {
    src = &v.outer_src_ip, dst = &v.outer_dst_ip;
  } else if (v.is_ip()) {
    src = &v.src_ip, dst = &v.dst_ip;
  }
  if (src && !src->empty() && !dst->empty()) {
    ip_frame_bytes += raw.wirelen;
    if (*src == *dst) {
      count_address(*src, 2);
    } else {
      count_address(*src, 1);
      count_address(*dst, 1);
    }
  }
}

void TrafficCounters::count_address(const IpAddress& a, uint64_t n) {
  auto it = addresses_.find(a);
  if (it != addresses_.end()) {
    it.value() += n;
  } else if (addresses_.size() < max_addresses_) {
    addresses_.emplace(a, n);
  } else {
    untracked_ += n;
  }
}

void TrafficCounters::merge(const TrafficCounters& o) {
  if (o.packets == 0) return;
  if (packets == 0 || o.first_ts < first_ts) first_ts = o.first_ts;
  if (packets == 0 || o.last_ts > last_ts) last_ts = o.last_ts;
  packets += o.packets;
  bytes += o.bytes;
  ipv4_packets += o.ipv4_packets;
  ipv6_packets += o.ipv6_packets;
  tcp_packets += o.tcp_packets;
  udp_packets += o.udp_packets;
  icmp_packets += o.icmp_packets;
  icmpv6_packets += o.icmpv6_packets;
  arp_packets += o.arp_packets;
  vlan_packets += o.vlan_packets;
  ip_frame_bytes += o.ip_frame_bytes;
  untracked_ += o.untracked_;
  for (const auto& [addr, n] : o.addresses_) count_address(addr, n);
}

std::vector<std::pair<IpAddress, uint64_t>> TrafficCounters::top_addresses(size_t n) const {
  std::vector<std::pair<IpAddress, uint64_t>> all(addresses_.begin(), addresses_.end());
  auto more = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  if (all.size() > n) {
    std::partial_sort(all.begin(), all.begin() + std::ptrdiff_t(n), all.end(), more);
    all.resize(n);
  } else {
    std::sort(all.begin(), all.end(), more);
  }
  return all;
}

}  // namespace netsift
