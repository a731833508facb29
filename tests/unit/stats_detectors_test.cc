// Detectors and bucket partials: alerts and aggregates must not depend on how packets
// are spread over workers (flows sharded by their hash, partials merged), and the
// small parsers and tables behind the statistics.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>

#include "decode/decoder.h"
#include "enrich/geoip.h"
#include "enrich/services.h"
#include "packet_builder.h"
#include "stats/detectors.h"
#include "stats/dns_peek.h"
#include "stats/flow_stats.h"
#include "stats/home_networks.h"

namespace netsift {
namespace {

using test::Bytes;

std::optional<IpAddress> parse_ip(const char* text) {
  IpAddress a;
  if (!parse_address(text, a)) return std::nullopt;
  return a;
}

struct Decoded {
  Bytes bytes;
  RawPacket raw;
  PacketView view;
};

// 10.0.src3.src4 -> 10.0.dst3.dst4
std::unique_ptr<Decoded> tcp_packet(uint8_t src3, uint8_t src4, uint8_t dst3, uint8_t dst4,
                                    uint16_t sport, uint16_t dport, uint8_t flags, TimestampNs ts) {
  auto d = std::make_unique<Decoded>();
  Bytes f = test::ethernet(0x0800);
  Bytes ip = test::ipv4(6, 20);
  ip[14] = src3, ip[15] = src4, ip[18] = dst3, ip[19] = dst4;
  ip[10] = ip[11] = 0;  // checksum not verified by default
  test::append(f, ip);
  test::append(f, test::tcp(sport, dport, 1, 0, flags));
  d->bytes = f;
  d->raw.data = ByteView(d->bytes.data(), d->bytes.size());
  d->raw.caplen = d->raw.wirelen = uint32_t(f.size());
  d->raw.linktype = linktype::kEthernet;
  d->raw.ts = ts;
  Decoder(DecoderOptions{}).decode(d->raw, d->view);
  return d;
}

// A vertical scan from 10.0.7.7 to 10.0.0.9 (150 ports, RST answers), 30 answered
// connections from 10.0.8.x, and a SYN flood from 900 sources to 10.0.0.9:80.
std::vector<std::unique_ptr<Decoded>> traffic() {
  std::vector<std::unique_ptr<Decoded>> out;
  TimestampNs t = 1000 * kNsPerSec;
  for (uint16_t p = 1; p <= 150; ++p) {
    out.push_back(tcp_packet(7, 7, 0, 9, 50000, p, 0x02, t += 1000));
    out.push_back(tcp_packet(0, 9, 7, 7, p, 50000, 0x14, t += 1000));  // RST+ACK
  }
  for (uint8_t i = 1; i <= 30; ++i) {
    out.push_back(tcp_packet(8, i, 0, 10, 40000, 443, 0x02, t += 1000));
    out.push_back(tcp_packet(0, 10, 8, i, 443, 40000, 0x12, t += 1000));
    out.push_back(tcp_packet(8, i, 0, 10, 40000, 443, 0x10, t += 1000));
  }
  for (int i = 0; i < 900; ++i) {
    out.push_back(tcp_packet(uint8_t(100 + i / 250), uint8_t(i % 250), 0, 9, uint16_t(1024 + i), 80,
                             0x02, t += 1000));
  }
  return out;
}

std::string_view no_country(const IpAddress&) {
  return {};
}

// The packets' flows sharded by hash over `shards` flow tables, their partials merged.
BucketPartial roll_up_sharded(const std::vector<std::unique_ptr<Decoded>>& packets, size_t shards,
                              const BucketCaps& caps = {}) {
  std::vector<FlowStats> flows;
  for (size_t i = 0; i < shards; ++i) flows.emplace_back(1u << 16, 120 * kNsPerSec);
  uint64_t pos = 0;
  for (const auto& p : packets) {
    FlowPacket fp = make_flow_packet(p->view, 40, false, pos++);
    flows[FlowKeyHash()(fp.key) % shards].add(fp);
  }
  BucketPartial merged;
  for (auto& f : flows) {
    BucketPartial part;
    f.roll_up(part, no_country, caps);
    merged.merge(part);
  }
  return merged;
}

std::vector<std::string> run_sharded(size_t shards) {
  auto packets = traffic();
  BucketPartial merged = roll_up_sharded(packets, shards);
  DetectorConfig config;
  config.syn_flood_rate = 10;  // 600 SYNs in 60 s
  Detectors detectors(config);
  std::vector<Alert> alerts;
  detectors.on_bucket(merged, 60 * kNsPerSec, alerts);
  std::vector<std::string> out;
  for (const Alert& a : alerts) {
    out.push_back(std::string(a.kind) + " " + to_string(a.src) + " " + to_string(a.dst) + " " +
                  std::to_string(a.port) + " " + std::to_string(a.count));
  }
  const HostCounters& target = merged.hosts[*parse_ip("10.0.0.9")];
  out.push_back("10.0.0.9 in " + std::to_string(target.packets_in) + " out " +
                std::to_string(target.packets_out) + " flows " + std::to_string(target.flows));
  out.push_back("peers " + std::to_string(merged.peers.size()) + " probes " +
                std::to_string(merged.probes.size()) + " answered " +
                std::to_string(merged.answered.size()));
  return out;
}

TEST(StatsDetectors, AlertsDoNotDependOnSharding) {
  std::vector<std::string> one = run_sharded(1);
  ASSERT_EQ(one.size(), 4u);
  EXPECT_EQ(one[0], "port_scan 10.0.7.7 10.0.0.9 0 150");
  // The scan's SYN to port 80 counts with the flood's 900.
  EXPECT_EQ(one[1], "syn_flood  10.0.0.9 80 901");
  EXPECT_EQ(one[2], "10.0.0.9 in 1050 out 150 flows 1050");
  EXPECT_EQ(one[3], "peers 1862 probes 1080 answered 30");  // both orders of 931 pairs
  for (size_t shards : {2u, 3u, 7u}) EXPECT_EQ(run_sharded(shards), one) << shards << " shards";
}

// Connections from one source to SSH of one host, each a completed handshake, spread
// over shards by flow: the burst is counted the same however they were spread; the
// SYN-only attempts of another source and connections to an unwatched port are not.
std::vector<std::string> burst_alerts(size_t shards, DetectorConfig config) {
  std::vector<std::unique_ptr<Decoded>> packets;
  TimestampNs t = 1000 * kNsPerSec;
  for (uint16_t i = 0; i < 40; ++i) {
    const uint16_t sp = uint16_t(50000 + i);
    packets.push_back(tcp_packet(7, 8, 0, 11, sp, 8080, 0x02, t += 1000));
    packets.push_back(tcp_packet(0, 11, 7, 8, 8080, sp, 0x12, t += 1000));
    packets.push_back(tcp_packet(7, 8, 0, 11, sp, 8080, 0x10, t += 1000));
    packets.push_back(tcp_packet(7, 8, 0, 11, sp, 22, 0x02, t += 1000));
    packets.push_back(tcp_packet(0, 11, 7, 8, 22, sp, 0x12, t += 1000));
    packets.push_back(tcp_packet(7, 8, 0, 11, sp, 22, 0x10, t += 1000));
    packets.push_back(tcp_packet(7, 9, 0, 11, sp, 22, 0x02, t += 1000));
  }
  // Only watched ports take an entry: with room for one entry per watched port, the
  // connections to 8080 (first in every round) cannot crowd out those to 22.
  size_t watched = 0;
  for (uint16_t port : config.conn_burst_ports) watched += port == 22 || port == 8080;
  const BucketCaps caps = BucketCaps::make(std::max<size_t>(watched, 1), 1u << 20, config);
  BucketPartial merged = roll_up_sharded(packets, shards, caps);
  Detectors detectors(config);
  std::vector<Alert> alerts;
  detectors.on_bucket(merged, 60 * kNsPerSec, alerts);
  std::vector<std::string> out;
  for (const Alert& a : alerts) {
    if (std::string_view(a.kind) != "conn_burst") continue;
    out.push_back(to_string(a.src) + " " + to_string(a.dst) + " " + std::to_string(a.port) + " " +
                  std::to_string(a.count));
  }
  return out;
}

TEST(StatsDetectors, ConnectionBurstToALoginService) {
  DetectorConfig config;  // 0.5/s over 60 s: 30 connections
  const std::vector<std::string> want = {"10.0.7.8 10.0.0.11 22 40"};
  for (size_t shards : {1u, 2u, 3u, 7u}) EXPECT_EQ(burst_alerts(shards, config), want) << shards;
  config.conn_burst_ports = {8080, 22};  // unsorted on purpose
  EXPECT_EQ(burst_alerts(2, config),
            (std::vector<std::string>{"10.0.7.8 10.0.0.11 22 40", "10.0.7.8 10.0.0.11 8080 40"}));
  config.conn_burst_rate = 1;  // 60 needed
  EXPECT_TRUE(burst_alerts(1, config).empty());
}

TEST(StatsDetectors, EncodedNames) {
  EXPECT_TRUE(
      encoded_looking("6f2a91c4d7e03b5a8c1f6e9d2b7a4c0e8f3d1b6a9c2e5f8a1d4b7c0e3f6a9d2b.t", 4.0));
  EXPECT_TRUE(
      encoded_looking("mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpjqwe2lomnxw2zlqojzxi4", 4.0));
  EXPECT_FALSE(
      encoded_looking("this-is-a-perfectly-ordinary-but-rather-long-name-12.service", 4.0));
  EXPECT_FALSE(encoded_looking("internal-my-load-balancer-1234567890.us-east-1.elb", 4.0));
  EXPECT_NEAR(shannon_entropy("aabb"), 1.0, 1e-9);
  EXPECT_EQ(shannon_entropy(""), 0.0);
}

TEST(StatsDnsPeek, QuestionNameAndDomain) {
  Bytes m = {0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0};
  for (const char* label : {"WWW", "Sub", "example", "com"}) {
    m.push_back(uint8_t(std::strlen(label)));
    test::append(m, std::string(label));
  }
  m.push_back(0);
  DnsPeek d;
  ASSERT_TRUE(peek_dns(ByteView(m.data(), m.size()), d));
  EXPECT_TRUE(d.response);
  EXPECT_EQ(d.rcode, 3);
  EXPECT_EQ(d.name(), "www.sub.example.com");
  EXPECT_EQ(d.domain(), "example.com");
  EXPECT_EQ(d.subdomain(), "www.sub");
  // Every cut: never reads past the end, a cut name is left empty.
  for (size_t n = 0; n < m.size(); ++n) {
    DnsPeek cut;
    bool ok = peek_dns(ByteView(m.data(), n), cut);
    EXPECT_EQ(ok, n >= 12);
    EXPECT_EQ(cut.name_len, 0u) << n;
  }
  m[12] = 0xc0;  // a compression pointer where no name precedes: not followed
  ASSERT_TRUE(peek_dns(ByteView(m.data(), m.size()), d));
  EXPECT_EQ(d.name_len, 0u);
}

TEST(StatsTables, ServicesAndRanges) {
  EXPECT_EQ(service_name(PortProto::Tcp, 27017), "mongodb");
  EXPECT_EQ(service_name(PortProto::Tcp, 6379), "redis");
  EXPECT_EQ(service_name(PortProto::Tcp, 9200), "elasticsearch");
  EXPECT_EQ(service_name(PortProto::Udp, 53), "dns");
  EXPECT_EQ(service_name(PortProto::Udp, 80), "");
  EXPECT_EQ(service_name(PortProto::Tcp, 14000), "scotty-ft");
  bool dst_server = false;
  EXPECT_EQ(conversation_service(PortProto::Tcp, 51515, 5432, &dst_server), "postgresql");
  EXPECT_TRUE(dst_server);
  EXPECT_EQ(conversation_service(PortProto::Tcp, 443, 51515, &dst_server), "https");
  EXPECT_FALSE(dst_server);
  auto name = [](const char* a) {
    const char* n = reserved_range_name(*parse_ip(a));
    return std::string(n ? n : "-");
  };
  EXPECT_EQ(name("10.1.2.3"), "LAN");
  EXPECT_EQ(name("172.31.255.255"), "LAN");
  EXPECT_EQ(name("172.32.0.1"), "-");
  EXPECT_EQ(name("100.64.0.1"), "shared address space");
  EXPECT_EQ(name("239.255.255.250"), "multicast");
  EXPECT_EQ(name("255.255.255.255"), "broadcast");
  EXPECT_EQ(name("fe80::1"), "link-local");
  EXPECT_EQ(name("fd12::1"), "LAN");
  EXPECT_EQ(name("::1"), "loopback");
  EXPECT_EQ(name("2001:db8::1"), "documentation");
  EXPECT_EQ(name("8.8.8.8"), "-");
}

TEST(StatsTables, HomeNetworksAndDirection) {
  HomeNetworks home;
  EXPECT_EQ(home.direction(*parse_ip("8.8.8.8"), *parse_ip("192.168.1.2")), Direction::In);
  EXPECT_EQ(home.direction(*parse_ip("192.168.1.2"), *parse_ip("8.8.8.8")), Direction::Out);
  EXPECT_EQ(home.direction(*parse_ip("10.0.0.1"), *parse_ip("fd00::1")), Direction::Loop);
  EXPECT_EQ(home.direction(*parse_ip("8.8.8.8"), *parse_ip("1.1.1.1")), Direction::Other);
  std::string error;
  ASSERT_TRUE(home.set({"203.0.113.0/25", "2001:db8::/33"}, error));
  EXPECT_TRUE(home.contains(*parse_ip("203.0.113.127")));
  EXPECT_FALSE(home.contains(*parse_ip("203.0.113.128")));
  EXPECT_TRUE(home.contains(*parse_ip("2001:db8:7fff::1")));
  EXPECT_FALSE(home.contains(*parse_ip("2001:db8:8000::1")));
  EXPECT_FALSE(home.set({"10.0.0.0/33"}, error));
  EXPECT_NE(error.find("10.0.0.0/33"), std::string::npos);
  EXPECT_FALSE(home.set({"nonsense"}, error));
}

}  // namespace
}  // namespace netsift
