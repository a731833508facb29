// Whole-capture packet counts with tshark's semantics (the `stats_summary` event and
// the `ip_stats` facts of the corpus): a frame counts once for each protocol that
// appears anywhere in it — outer and inner headers of a tunnel, the header quoted by
// an ICMP error — and addresses are those of the outermost IP header. Partial counters
// from several workers merge by addition, so totals do not depend on sharding.
#pragma once

#include <tsl/robin_map.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "core/ip_address.h"
#include "decode/packet_view.h"

namespace netsift {

struct TrafficCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;  // wire length of every frame
  uint64_t ipv4_packets = 0, ipv6_packets = 0;
  uint64_t tcp_packets = 0, udp_packets = 0, icmp_packets = 0, icmpv6_packets = 0;
  uint64_t arp_packets = 0, vlan_packets = 0;
  uint64_t ip_frame_bytes = 0;  // wire length of frames whose IP addresses were read
  TimestampNs first_ts = 0, last_ts = 0;

  // Occurrences of each address as source or destination of the outermost IP header:
  // a packet counts once for each of its two addresses (twice for one sent to itself,
  // as tshark's ip.src + ip.dst fields do). At most `max_addresses` are tracked; the
  // occurrences of later new addresses are counted in `untracked_address_hits`.
  explicit TrafficCounters(size_t max_addresses = 1u << 20) : max_addresses_(max_addresses) {}

  // `reassembled`: for a fragment that completed its datagram, the whole datagram.
  // The transport protocol of a fragmented datagram counts once, on the frame that
  // completes it (as tshark counts with reassembly on); incomplete ones count as IP only.
  void add(const PacketView& v, const PacketView* reassembled = nullptr);
  void merge(const TrafficCounters& other);

  size_t distinct_addresses() const { return addresses_.size(); }
  uint64_t untracked_address_hits() const { return untracked_; }
  // The `n` addresses seen most, most first; ties by address order.
  std::vector<std::pair<IpAddress, uint64_t>> top_addresses(size_t n) const;

 private:
  void count_address(const IpAddress& a, uint64_t n);

  size_t max_addresses_;
  uint64_t untracked_ = 0;
  tsl::robin_map<IpAddress, uint64_t, IpAddressHash> addresses_;
};

}  // namespace netsift
