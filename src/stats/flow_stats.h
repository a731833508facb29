// Per-flow accounting for the statistics: one record per bidirectional 5-tuple (+VLAN)
// with packets and bytes each way, first and last time, TCP handshake state and DNS
// NXDOMAIN answers. The per-packet path touches only its flow's record; at the end of
// each time bucket the records touched roll up into a BucketPartial (hosts, peers,
// services, countries, protocols, detector inputs). Records live in a pool indexed by
// a hash map, so their addresses stay put. The number of flows is capped: when full,
// the caller rolls up and evict_oldest() ends the longest-idle sixteenth (counted).
#pragma once

#include <tsl/robin_map.h>

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "decode/packet_view.h"
#include "enrich/app_detect.h"
#include "flow/flow_key.h"
#include "stats/bucket.h"

namespace netsift {

// What flow accounting needs of one IP packet, taken from its PacketView by the thread
// that decoded it, so that a worker thread can account it without the view (whose bytes
// it does not own): sharded stats (app/sharded_stats.*) copy it, and `ip`'s bytes when
// nDPI needs them, into a batch.
// What an ICMP/ICMPv6 message is to the flood and sweep detectors: a query (echo,
// timestamp...) that asks for a reply, the reply, an error about a packet its receiver
// sent, or anything else (unsolicited).
enum class IcmpKind : uint8_t { None, Query, Reply, Error, Other };
IcmpKind icmp_kind(const PacketView& v);

struct FlowPacket {
  FlowKey key;  // fragments: without ports (only one of them carries the ports)
  bool from_lo = true;
  L4 l4 = L4::None;
  bool tcp_ports = false;   // TCP with ports, not a fragment
  bool tcp_header = false;  // TCP header read, not a fragment: `tcp_flags` are valid
  bool nxdomain = false;    // a DNS answer with RCODE 3
  IcmpKind icmp = IcmpKind::None;
  uint16_t tcp_flags = 0;
  uint32_t tcp_seq = 0;
  uint32_t ip_length = 0;  // bytes on the wire from the (innermost) IP header on
  TimestampNs ts = 0;
  // The capture's progress when it came (CaptureClock::stamp), which idle timeouts are
  // measured in: packet time does not go back where captures are concatenated.
  TimestampNs now = 0;
  uint64_t pos = 0;  // its position among the packets accounted: a stable order for flows
  // From the IP header on, captured bytes (at most ip_length), for nDPI; null for a
  // packet nDPI is not shown (no transport header, a fragment, nothing captured).
  const uint8_t* ip = nullptr;
  uint32_t ip_captured = 0;
};

// `v` is an IP packet with addresses.
FlowPacket make_flow_packet(const PacketView& v, uint32_t ip_length, bool nxdomain, uint64_t pos);

struct StatsFlow {
  FlowKey key;
  uint64_t first_pos = 0;    // position of its first packet (FlowPacket::pos)
  bool client_is_lo = true;  // the client (SYN sender, else first sender) is key.lo_ip
  uint8_t proto = 0;
  TimestampNs first = 0, last = 0;
  TimestampNs idle_since = 0;                       // FlowPacket::now of its last packet
  uint64_t packets[2] = {0, 0}, bytes[2] = {0, 0};  // [0] client to server, [1] back
  uint16_t flags[2] = {0, 0};                       // TCP flags seen each way
  bool syn = false, synack = false, established = false, closed = false;
  bool has_isn = false;  // client_isn: the sequence number of the client's SYN
  uint32_t client_isn = 0;
  bool reused = false;       // a new connection took its 5-tuple
  bool retired = false;      // out of the index (reused, or idle past its timeout when the
                             // next packet came): it ends at the next expiry
  std::string_view service;  // by server port
  std::string_view app;      // nDPI's name for the protocol, once detection is over
  void* dpi = nullptr;       // nDPI state while detection goes on
  uint64_t nxdomain = 0;     // NXDOMAIN answers to the client
  // Since the last roll-up:
  uint64_t d_packets[2] = {0, 0}, d_bytes[2] = {0, 0}, d_nxdomain = 0;
  uint32_t d_syn = 0;                                                          // client SYNs
  uint32_t d_flag_syn = 0, d_flag_synack = 0, d_flag_fin = 0, d_flag_rst = 0;  // packets
  // ICMP queries, replies and errors each way (IcmpKind); `icmp_replied[d]`: direction d
  // ever carried a reply (the queries the other way were answered).
  uint32_t d_icmp_query[2] = {0, 0}, d_icmp_reply[2] = {0, 0}, d_icmp_error[2] = {0, 0};
  bool icmp_replied[2] = {false, false};
  bool d_started = false, d_synack = false, d_completed = false, touched = false;

  const IpAddress& client() const { return client_is_lo ? key.lo_ip : key.hi_ip; }
  const IpAddress& server() const { return client_is_lo ? key.hi_ip : key.lo_ip; }
  uint16_t client_port() const { return client_is_lo ? key.lo_port : key.hi_port; }
  uint16_t server_port() const { return client_is_lo ? key.hi_port : key.lo_port; }
};

// The order ended flows come out in: first packet's time, then its position.
inline bool flow_order_less(const StatsFlow& a, const StatsFlow& b) {
  return a.first != b.first ? a.first < b.first : a.first_pos < b.first_pos;
}

class FlowStats {
 public:
  // `dpi` (may be null) names application protocols; it must outlive the table.
  FlowStats(size_t max_flows, TimestampNs idle_timeout, AppDetector* dpi = nullptr)
      : max_flows_(max_flows), idle_timeout_(idle_timeout), dpi_(dpi) {}
  ~FlowStats();
  FlowStats(FlowStats&&) = default;

  // Fragments count in a flow without ports (their transport header is in one fragment
  // only).
  void add(const FlowPacket& p);
  // Rolls every flow touched since the last call into `out`; `country` names the
  // country (or range) of an address for the per-country aggregate.
  void roll_up(BucketPartial& out, const std::function<std::string_view(const IpAddress&)>& country,
               const BucketCaps& caps);
  // Ends flows idle since before `now - idle_timeout` (closed TCP flows after 5 s; `now`
  // is the capture's progress, as FlowPacket::now), or
  // every flow when `all`; each ended flow goes to `done` before it is forgotten, in
  // the order of their first packets (time, then position), which does not depend on
  // how flows were spread over tables.
  void expire(TimestampNs now, bool all, const std::function<void(const StatsFlow&)>& done);
  bool full() const { return index_.size() + retired_.size() >= max_flows_; }
  // Ends the `n` flows idle longest (call after roll_up: their counts are then rolled),
  // flows replaced by a new connection on their 5-tuple first.
  void evict_oldest(size_t n, const std::function<void(const StatsFlow&)>& done);
  size_t size() const { return index_.size(); }
  size_t max_flows() const { return max_flows_; }
  uint64_t evicted() const { return evicted_; }

 private:
  void release(uint32_t idx);
  // A SYN on the 5-tuple of `f` that opens a new connection (the rules of the session
  // engine's FlowTable, without its streams).
  static bool starts_new_connection(const StatsFlow& f, const FlowPacket& p, int dir);

  void end_detection(StatsFlow& f);

  size_t max_flows_;
  TimestampNs idle_timeout_;
  AppDetector* dpi_;
  tsl::robin_map<FlowKey, uint32_t, FlowKeyHash> index_;
  std::vector<StatsFlow> pool_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> touched_;
  std::vector<uint32_t> retired_;  // StatsFlow::retired, ended at the next expiry
  uint64_t evicted_ = 0;
};

}  // namespace netsift
