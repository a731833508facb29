#include "stats/traffic_counters.h"

#include <gtest/gtest.h>

#include <memory>

#include "decode/decoder.h"
#include "packet_builder.h"

namespace netsift {
namespace {

using test::Bytes;

struct Decoded {
  Bytes bytes;
  RawPacket raw;
  PacketView view;
};

std::unique_ptr<Decoded> decode(const Bytes& bytes, TimestampNs ts = 0) {
  auto d = std::make_unique<Decoded>();
  d->bytes = bytes;
  d->raw.data = ByteView(d->bytes.data(), d->bytes.size());
  d->raw.caplen = d->raw.wirelen = uint32_t(bytes.size());
  d->raw.linktype = linktype::kEthernet;
  d->raw.ts = ts;
  Decoder(DecoderOptions{}).decode(d->raw, d->view);
  return d;
}

// IPv4 header from a.b.c.d addresses (last octets given), with a correct checksum.
Bytes ip4(uint8_t src, uint8_t dst, uint8_t proto, size_t payload_len) {
  Bytes b = test::ipv4(proto, payload_len);
  b[15] = src, b[19] = dst;
  b[10] = b[11] = 0;
  uint16_t c = test::checksum(b.data(), b.size());
  b[10] = uint8_t(c >> 8), b[11] = uint8_t(c);
  return b;
}

Bytes udp_frame(uint8_t src, uint8_t dst) {
  Bytes f = test::ethernet(0x0800);
  test::append(f, ip4(src, dst, 17, 8 + 4));
  test::append(f, test::udp(1000, 53, 4));
  test::append(f, Bytes{1, 2, 3, 4});
  return f;
}

Bytes tcp_frame(uint8_t src, uint8_t dst) {
  Bytes f = test::ethernet(0x0800);
  test::append(f, ip4(src, dst, 6, 20));
  test::append(f, test::tcp(40000, 80, 1, 0, 0x02));
  return f;
}

// ICMP port unreachable from `router` quoting a UDP datagram.
Bytes icmp_error_frame(uint8_t router, uint8_t dst) {
  Bytes quote = ip4(dst, 9, 17, 8 + 4);
  test::append(quote, test::udp(1000, 53, 4));
  Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
  test::append(icmp, quote);
  Bytes f = test::ethernet(0x0800);
  test::append(f, ip4(router, dst, 1, icmp.size()));
  test::append(f, icmp);
  return f;
}

// IPv6 in IPv4 (protocol 41) carrying a TCP SYN.
Bytes six_in_four_frame() {
  Bytes inner = test::ipv6(6, 20);
  test::append(inner, test::tcp(40000, 21, 1, 0, 0x02));
  Bytes f = test::ethernet(0x0800);
  test::append(f, ip4(1, 2, 41, inner.size()));
  test::append(f, inner);
  return f;
}

Bytes vlan_arp_frame() {
  Bytes f = test::ethernet(0x8100);
  test::put16(f, 7);
  test::put16(f, 0x0806);
  test::append(f, Bytes{0, 1, 8, 0, 6, 4, 0, 1});
  test::append(f, Bytes(20, 0));
  return f;
}

TEST(TrafficCounters, CountsEveryProtocolInTheFrame) {
  TrafficCounters c;
  auto icmp = decode(icmp_error_frame(1, 2));
  c.add(icmp->view);
  EXPECT_EQ(c.ipv4_packets, 1u);  // outer and quoted IPv4: one frame
  EXPECT_EQ(c.icmp_packets, 1u);
  EXPECT_EQ(c.udp_packets, 1u);  // the quoted UDP header counts, as in tshark
  EXPECT_EQ(c.tcp_packets, 0u);
  auto tunnel = decode(six_in_four_frame());
  c.add(tunnel->view);
  EXPECT_EQ(c.ipv4_packets, 2u);
  EXPECT_EQ(c.ipv6_packets, 1u);
  EXPECT_EQ(c.tcp_packets, 1u);
  // Addresses of the outermost header only: 10.0.0.1, .2 (ICMP) and .1, .2 (tunnel).
  EXPECT_EQ(c.distinct_addresses(), 2u);
  auto arp = decode(vlan_arp_frame());
  c.add(arp->view);
  EXPECT_EQ(c.arp_packets, 1u);
  EXPECT_EQ(c.vlan_packets, 1u);
  EXPECT_EQ(c.packets, 3u);
  EXPECT_EQ(c.ip_frame_bytes, icmp->raw.wirelen + tunnel->raw.wirelen);
}

TEST(TrafficCounters, PacketToItselfCountsTwice) {
  TrafficCounters c;
  auto loop = decode(tcp_frame(1, 1));
  c.add(loop->view);
  c.add(loop->view);
  auto top = c.top_addresses(5);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(to_string(top[0].first), "10.0.0.1");
  EXPECT_EQ(top[0].second, 4u);
}

TEST(TrafficCounters, TruncatedIpHeaderCountsAsIpWithoutAddresses) {
  Bytes f = test::ethernet(0x0800);
  test::append(f, Bytes{0x45, 0, 0, 32, 0, 1});
  auto d = decode(f);
  TrafficCounters c;
  c.add(d->view);
  EXPECT_EQ(c.ipv4_packets, 1u);
  EXPECT_EQ(c.distinct_addresses(), 0u);
  EXPECT_EQ(c.ip_frame_bytes, 0u);
}

TEST(TrafficCounters, MergedShardsEqualOnePass) {
  std::vector<std::unique_ptr<Decoded>> frames;
  for (int i = 0; i < 60; ++i) {
    uint8_t a = uint8_t(1 + i % 7), b = uint8_t(1 + (i * 5) % 11);
    switch (i % 4) {
      case 0:
        frames.push_back(decode(tcp_frame(a, b), i));
        break;
      case 1:
        frames.push_back(decode(udp_frame(a, b), i));
        break;
      case 2:
        frames.push_back(decode(icmp_error_frame(a, b), i));
        break;
      default:
        frames.push_back(decode(vlan_arp_frame(), i));
    }
  }
  TrafficCounters whole;
  for (auto& f : frames) whole.add(f->view);
  for (size_t shards : {2u, 3u, 5u}) {
    std::vector<TrafficCounters> part(shards);
    for (size_t i = 0; i < frames.size(); ++i) part[(i * 7 + 3) % shards].add(frames[i]->view);
    TrafficCounters merged;
    for (auto& p : part) merged.merge(p);
    EXPECT_EQ(merged.packets, whole.packets);
    EXPECT_EQ(merged.ipv4_packets, whole.ipv4_packets);
    EXPECT_EQ(merged.udp_packets, whole.udp_packets);
    EXPECT_EQ(merged.tcp_packets, whole.tcp_packets);
    EXPECT_EQ(merged.arp_packets, whole.arp_packets);
    EXPECT_EQ(merged.ip_frame_bytes, whole.ip_frame_bytes);
    EXPECT_EQ(merged.first_ts, whole.first_ts);
    EXPECT_EQ(merged.last_ts, whole.last_ts);
    EXPECT_EQ(merged.top_addresses(100), whole.top_addresses(100));
  }
}

TEST(TrafficCounters, AddressCapIsCountedNotSilent) {
  TrafficCounters c(2);
  auto a = decode(tcp_frame(1, 2));
  auto b = decode(tcp_frame(1, 3));
  c.add(a->view);
  c.add(b->view);
  EXPECT_EQ(c.distinct_addresses(), 2u);
  EXPECT_EQ(c.untracked_address_hits(), 1u);
  EXPECT_EQ(c.top_addresses(1)[0].second, 2u);
}

}  // namespace
}  // namespace netsift
