#include "stats/stats_engine.h"

#include <fmt/format.h>

namespace netsift {

StatsEngine::StatsEngine(const StatsOptions& options, EventSink* events)
    : options_(options),
      events_(events),
      defrag_(DefragConfig{}, decoder_),
      counters_(options.max_addresses) {}

void StatsEngine::on_packet(const PacketView& v) {
  const TimestampNs ts = v.raw->ts;
  if (ts > clock_) clock_ = ts;
  if (++packets_since_expiry_ >= 64) {
    packets_since_expiry_ = 0;
    defrag_.expire(clock_);
  }
  const PacketView* whole = nullptr;
  if (v.fragment && defrag_.add(v, assembled_) == IpDefragmenter::Result::Complete) {
    whole = &assembled_;
  }
  counters_.add(v, whole);
}

void StatsEngine::finish() {
  if (events_) {
    events_->emit(summary_event());
    events_->flush();
  }
}

Event StatsEngine::summary_event() const {
  const TrafficCounters& c = counters_;
  Event e("stats_summary", c.last_ts);
  e.set_time("first_ts", c.first_ts);
  e.set_time("last_ts", c.last_ts);
  e.set("packets", c.packets);
  e.set("bytes", c.bytes);
  e.set("ipv4_packets", c.ipv4_packets);
  e.set("ipv6_packets", c.ipv6_packets);
  e.set("tcp_packets", c.tcp_packets);
  e.set("udp_packets", c.udp_packets);
  e.set("icmp_packets", c.icmp_packets);
  e.set("icmpv6_packets", c.icmpv6_packets);
  e.set("arp_packets", c.arp_packets);
  e.set("vlan_packets", c.vlan_packets);
  e.set("ip_frame_bytes", c.ip_frame_bytes);
  e.set("distinct_ip_addresses", uint64_t(c.distinct_addresses()));
  if (c.untracked_address_hits()) e.set("untracked_address_hits", c.untracked_address_hits());
  rapidjson::Value top(rapidjson::kArrayType);
  char buf[kMaxAddressText];
  for (const auto& [addr, n] : c.top_addresses(options_.top)) {
    rapidjson::Value pair(rapidjson::kArrayType);
    pair.PushBack(rapidjson::Value(buf, rapidjson::SizeType(format_address(addr, buf)), e.alloc()),
                  e.alloc());
    pair.PushBack(rapidjson::Value(n), e.alloc());
    top.PushBack(pair, e.alloc());
  }
  e.set("top_addresses_by_packets", std::move(top));
  return e;
}

void StatsEngine::print_report(FILE* out) const {
  const TrafficCounters& c = counters_;
  std::string r;
  r += fmt::format("== netsift stats ==\n");
  r += fmt::format("packets {}  bytes {}  IP frame bytes {}\n", c.packets, c.bytes,
                   c.ip_frame_bytes);
  r += fmt::format("IPv4 {}  IPv6 {}  ARP {}  VLAN-tagged {}\n", c.ipv4_packets, c.ipv6_packets,
                   c.arp_packets, c.vlan_packets);
  r += fmt::format("TCP {}  UDP {}  ICMP {}  ICMPv6 {}\n", c.tcp_packets, c.udp_packets,
                   c.icmp_packets, c.icmpv6_packets);
  r += fmt::format("distinct IP addresses {}\n", c.distinct_addresses());
  r += "top addresses (packets as source or destination):\n";
  for (const auto& [addr, n] : c.top_addresses(options_.top)) {
    r += fmt::format("  {:<40} {}\n", to_string(addr), n);
  }
  std::fwrite(r.data(), 1, r.size(), out);
}

}  // namespace netsift
