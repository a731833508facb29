// Sharding flows over workers: both directions of a flow, and every fragment of a
// datagram, go to the same worker; a reassembled datagram goes where the whole packets
// of its flow go; flows spread evenly. On real captures from examples/.
#include "flow/flow_hash.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "capture/file_reader.h"
#include "decode/decoder.h"
#include "flow/flow_key.h"
#include "flow/ip_defrag.h"

namespace netsift {
namespace {

PacketView reversed(const PacketView& v) {
  PacketView r = v;
  std::swap(r.src_ip, r.dst_ip);
  std::swap(r.src_port, r.dst_port);
  return r;
}

struct Stats {
  size_t packets = 0, first_fragments_with_ports = 0, later_fragments = 0, reassembled = 0;
};

// Reads a capture, checks symmetry on every packet, fragments of one datagram on one
// hash, and one hash per flow for whole datagrams (after defragmentation).
Stats check_capture(const std::string& name) {
  Stats st;
  FileReader reader(std::string(NETSIFT_EXAMPLES_DIR) + "/" + name);
  EXPECT_TRUE(reader.open()) << reader.error();
  Decoder decoder;
  IpDefragmenter defrag(DefragConfig{}, decoder);
  RawPacket raw;
  PacketView v, assembled;
  using DatagramId = std::tuple<IpAddress, IpAddress, uint32_t, uint8_t>;
  std::map<DatagramId, uint64_t> datagram_hash;
  std::map<std::tuple<IpAddress, IpAddress, uint16_t, uint16_t, uint8_t>, std::set<uint64_t>>
      flow_hashes;
  auto whole = [&](const PacketView& p) {
    if (!p.has_ports) return;
    bool from_lo;
    FlowKey k = make_flow_key(p, from_lo);
    flow_hashes[{k.lo_ip, k.hi_ip, k.lo_port, k.hi_port, k.proto}].insert(flow_hash(p, true));
  };
  while (reader.next(raw) == PacketSource::Status::Packet) {
    decoder.decode(raw, v);
    if (!v.is_ip()) continue;
    ++st.packets;
    EXPECT_EQ(flow_hash(v), flow_hash(reversed(v))) << name << " packet " << st.packets;
    EXPECT_EQ(flow_hash(v, true), flow_hash(reversed(v), true));
    if (!v.fragment) {
      whole(v);
      continue;
    }
    if (v.frag_offset == 0 && v.has_ports) ++st.first_fragments_with_ports;
    if (v.frag_offset != 0) ++st.later_fragments;
    DatagramId id{std::min(v.src_ip, v.dst_ip), std::max(v.src_ip, v.dst_ip), v.frag_id,
                  v.ip_proto};
    auto [it, fresh] = datagram_hash.try_emplace(id, flow_hash(v));
    EXPECT_EQ(it->second, flow_hash(v)) << name << ": fragments of one datagram split";
    if (defrag.add(v, assembled) == IpDefragmenter::Result::Complete) {
      ++st.reassembled;
      whole(assembled);
    }
  }
  for (const auto& [flow, hashes] : flow_hashes) EXPECT_EQ(hashes.size(), 1u) << name;
  return st;
}

TEST(FlowHash, FragmentedIpv4DatagramsMeet) {
  Stats a = check_capture("ipfrag-fragmented-1.pcap");
  Stats b = check_capture("ipfrag-fragmented-2.pcap");
  EXPECT_GT(a.later_fragments + b.later_fragments, 0u);
  EXPECT_GT(a.first_fragments_with_ports + b.first_fragments_with_ports, 0u);
  EXPECT_GT(a.reassembled + b.reassembled, 0u);
}

TEST(FlowHash, FragmentedIpv6DnsResponseJoinsItsQuery) {
  // The queries are whole packets, the responses fragments: after reassembly both
  // directions must hash alike (checked inside), or a worker would see half a flow.
  Stats s = check_capture("ipv6-fragmented-dns.pcap");
  EXPECT_GT(s.reassembled, 0u);
  EXPECT_GT(s.later_fragments, 0u);
}

TEST(FlowHash, TunnelsAndVlansHashByInnermostFlow) {
  for (const char* name : {"tunnel-vxlan.pcap", "tunnel-geneve.pcap", "tunnel-various_gre.pcap",
                           "vlan-http-qinq-0.pcap", "http-get.pcap"}) {
    Stats s = check_capture(name);
    EXPECT_GT(s.packets, 0u) << name;
  }
}

TEST(FlowHash, PortsMatterOnlyForWholePackets) {
  PacketView v;
  v.l3 = L3::Ipv4;
  uint8_t a[4] = {192, 0, 2, 1}, b[4] = {198, 51, 100, 7};
  v.src_ip = IpAddress::v4(a);
  v.dst_ip = IpAddress::v4(b);
  v.ip_proto = 17;
  v.has_ports = true;
  v.src_port = 5353;
  v.dst_port = 53;
  PacketView other_ports = v;
  other_ports.src_port = 40000;
  EXPECT_NE(flow_hash(v), flow_hash(other_ports));
  // A first fragment (ports known) and a later one (none) of one datagram.
  PacketView first = v, later = v;
  first.fragment = later.fragment = true;
  first.more_fragments = true;
  later.has_ports = false;
  later.src_port = later.dst_port = 0;
  later.frag_offset = 1480;
  EXPECT_EQ(flow_hash(first), flow_hash(later));
  EXPECT_EQ(flow_hash(first), flow_hash(reversed(later)));
  // Already whole (an IPv6 atomic fragment): its ports count, as for its flow's packets.
  EXPECT_EQ(flow_hash(first, true), flow_hash(v, true));
}

TEST(FlowHash, FlowsSpreadEvenlyOverShards) {
  for (uint32_t shards : {2u, 3u, 4u, 7u, 16u}) {
    std::vector<size_t> per(shards);
    PacketView v;
    v.l3 = L3::Ipv4;
    v.ip_proto = 6;
    v.has_ports = true;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    v.src_ip = IpAddress::v4(a);
    v.dst_ip = IpAddress::v4(b);
    v.dst_port = 443;
    const size_t flows = 20000;
    for (size_t i = 0; i < flows; ++i) {
      v.src_port = uint16_t(1024 + i);  // one client, one server, many connections
      uint32_t s = shard_of(flow_hash(v), shards);
      ASSERT_LT(s, shards);
      ++per[s];
    }
    for (size_t n : per) {
      EXPECT_GT(n, flows / shards * 8 / 10) << shards << " shards";
      EXPECT_LT(n, flows / shards * 12 / 10) << shards << " shards";
    }
  }
}

}  // namespace
}  // namespace netsift
