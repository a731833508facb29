// FlowPlacer: a flow keeps its worker while it may live there, flows that start
// together spread out, new flows avoid a worker busy with a large one but never push a
// worker past its share of the flow cap, idle places are forgotten, the table stays
// within its cap, and the same input always gives the same placement.
#include "app/flow_placer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "capture/file_reader.h"
#include "decode/decoder.h"
#include "flow/flow_key.h"

namespace netsift {
namespace {

constexpr TimestampNs kIdle = 100 * kNsPerSec;

// A TCP packet stamped and measured at `now` (no clock jump).
uint32_t tcp(FlowPlacer& p, uint64_t hash, uint32_t bytes, TimestampNs now) {
  return p.place(hash, bytes, true, now, now);
}

TEST(FlowPlacer, AFlowStaysOnItsWorker) {
  FlowPlacer p(4, 1000, kIdle, kIdle);
  std::vector<uint32_t> first;
  for (uint64_t h = 1; h <= 40; ++h) first.push_back(tcp(p, h * 0x9e3779b97f4a7c15ull, 100, 0));
  for (int round = 0; round < 50; ++round) {
    for (uint64_t h = 1; h <= 40; ++h) {
      ASSERT_EQ(tcp(p, h * 0x9e3779b97f4a7c15ull, 1500, TimestampNs(round) * kNsPerSec),
                first[h - 1]);
    }
  }
}

TEST(FlowPlacer, FlowsThatStartTogetherSpreadOut) {
  FlowPlacer p(2, 1000, kIdle, kIdle);
  int on[2] = {0, 0};
  for (uint64_t h = 1; h <= 4; ++h) ++on[tcp(p, h, 100, 0)];
  EXPECT_EQ(on[0], 2);
  EXPECT_EQ(on[1], 2);
  FlowPlacer q(4, 1000, kIdle, kIdle);
  std::vector<int> seen(4, 0);
  for (uint64_t h = 1; h <= 8; ++h) ++seen[tcp(q, h, 100, 0)];
  EXPECT_EQ(seen, std::vector<int>(4, 2));
}

TEST(FlowPlacer, NewFlowsAvoidAWorkerBusyWithALargeOne) {
  FlowPlacer p(2, 1000, kIdle, kIdle);
  const uint32_t big = tcp(p, 1, 1500, 0);
  for (int i = 0; i < 5000; ++i) tcp(p, 1, 1500, 0);  // an elephant download
  int with_big = 0;
  for (uint64_t h = 2; h < 22; ++h) with_big += tcp(p, h, 100, 0) == big;
  EXPECT_EQ(with_big, 0);
}

TEST(FlowPlacer, NoWorkerGoesPastItsShareOfTheFlowCap) {
  FlowPlacer p(2, 64, kIdle, kIdle);  // 32 flows per worker
  const uint32_t big = tcp(p, 1, 1500, 0);
  for (int i = 0; i < 100000; ++i) tcp(p, 1, 1500, 0);
  int on[2] = {0, 0};
  for (uint64_t h = 2; h <= 64; ++h) ++on[tcp(p, h, 60, 0)];
  on[big] += 1;
  EXPECT_EQ(on[0], 32);
  EXPECT_EQ(on[1], 32);
}

TEST(FlowPlacer, IdlePlacesAreForgottenAndTheTableStaysCapped) {
  FlowPlacer p(2, 1000, kIdle, kIdle);
  for (uint64_t h = 1; h <= 500; ++h) tcp(p, h, 60, 0);
  EXPECT_EQ(p.size(), 500u);
  // Long after, one busy flow: the sweep (every 65,536 packets) forgets the idle ones.
  for (int i = 0; i < 70000; ++i) tcp(p, 1000000, 60, 2 * kIdle + TimestampNs(i));
  EXPECT_EQ(p.size(), 1u);
  FlowPlacer q(2, 256, kIdle, kIdle);
  for (uint64_t h = 1; h <= 5000; ++h) {
    tcp(q, h, 60, TimestampNs(h));
    ASSERT_LE(q.size(), 512u);  // twice max_flows at most
  }
  p.clear();
  EXPECT_EQ(p.size(), 0u);
}

// Places last as long as their flows may: a flood of short UDP flows (kept 60 s) does
// not push out the place of a TCP connection idle for minutes (kept an hour), and a
// lone packet stamped years ahead (an unconfirmed clock jump) forgets nothing.
TEST(FlowPlacer, PlacesLastAsLongAsTheirFlows) {
  const TimestampNs keep_tcp = 3600 * kNsPerSec, keep_udp = 120 * kNsPerSec;
  FlowPlacer p(4, 100000, keep_tcp, keep_udp);
  const uint32_t w = tcp(p, 1, 100, 0);
  TimestampNs t = 0;
  for (uint64_t h = 2; h < 200000; ++h) {
    t = TimestampNs(h) * (kNsPerSec / 300);  // 300 new UDP flows a second, ~11 minutes
    p.place(h, 60, false, t, t);
  }
  EXPECT_LE(p.size(), 60000u);  // ~300 x (120 s kept + 30 s between sweeps)
  EXPECT_EQ(tcp(p, 1, 100, t), w);
  // A packet stamped 10 years ahead, on a sweep: every place stays.
  FlowPlacer q(2, 1000, keep_tcp, keep_udp);
  const uint32_t a = tcp(q, 7, 100, 0), b = tcp(q, 8, 100, 0);
  for (int i = 0; i < 65534; ++i) tcp(q, 9, 100, TimestampNs(i));
  q.place(10, 100, true, 10 * 365 * 86400 * kNsPerSec, 65535);
  EXPECT_EQ(tcp(q, 7, 100, 65536), a);
  EXPECT_EQ(tcp(q, 8, 100, 65537), b);
  EXPECT_EQ(q.size(), 4u);
}

TEST(FlowPlacer, TheSameInputGivesTheSamePlacement) {
  auto run = [] {
    FlowPlacer p(3, 5000, kIdle, kIdle);
    std::vector<uint32_t> out;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      out.push_back(tcp(p, x % 700, uint32_t(x >> 50) % 1500, TimestampNs(i) * 1000));
    }
    return out;
  };
  EXPECT_EQ(run(), run());
}

// FTP: a data connection goes to the worker of the open control connection between the
// same two hosts (its engine expects it), whatever the load; other hosts, and hosts whose
// control connection is over, are placed as usual.
TEST(FlowPlacer, FtpDataConnectionsFollowTheirControlConnection) {
  auto packet = [](const char* src, uint16_t sport, const char* dst, uint16_t dport) {
    PacketView v;
    parse_address(src, v.src_ip);
    parse_address(dst, v.dst_ip);
    v.has_ports = true;
    v.src_port = sport;
    v.dst_port = dport;
    v.ip_proto = 6;
    v.l4 = L4::Tcp;
    return v;
  };
  auto place = [](FlowPlacer& p, const PacketView& v, TimestampNs now) {
    return p.place(FlowPlacer::key(v), 100, true, now, now, &v);
  };
  FlowPlacer p(4, 1000, kIdle, kIdle);
  p.set_control_ports({21, 2121});
  PacketView control = packet("10.0.0.1", 40000, "10.0.0.2", 2121);
  const uint32_t w = place(p, control, 0);
  std::vector<uint32_t> others;
  for (uint16_t i = 0; i < 12; ++i) {
    // Passive (client to server) and active (server port 20 to client) alike, with
    // unrelated flows starting in between that spread over the workers.
    EXPECT_EQ(place(p, packet("10.0.0.1", uint16_t(50000 + i), "10.0.0.2", uint16_t(30000 + i)), 0),
              w);
    EXPECT_EQ(place(p, packet("10.0.0.2", 20, "10.0.0.1", uint16_t(51000 + i)), 0), w);
    others.push_back(place(p, packet("10.0.9.9", uint16_t(52000 + i), "10.0.0.2", 30000), 0));
  }
  EXPECT_GE(std::set<uint32_t>(others.begin(), others.end()).size(), 3u);  // as usual
  EXPECT_EQ(place(p, control, 0), w);  // the control connection itself stays
  // Once the control connection is forgotten (idle), its hosts are placed as usual.
  for (uint64_t h = 1; h < 70000; ++h) p.place(h, 100, false, kIdle * 3, kIdle * 3);
  std::set<uint32_t> later;
  for (uint16_t i = 0; i < 8; ++i)
    later.insert(place(p, packet("10.0.0.1", uint16_t(53000 + i), "10.0.0.2", 31000), kIdle * 3));
  EXPECT_GT(later.size(), 1u);
  // Without control ports nothing is co-located.
  FlowPlacer q(4, 1000, kIdle, kIdle);
  place(q, control, 0);
  std::set<uint32_t> spread;
  for (uint16_t i = 0; i < 8; ++i)
    spread.insert(place(q, packet("10.0.0.1", uint16_t(50000 + i), "10.0.0.2", 30000), 0));
  EXPECT_GT(spread.size(), 1u);
}

// FTP on a port not configured for it (found by content by its worker): the client's
// request for a data connection (PASV, EPSV, PORT, EPRT, any case) makes its flow the
// control connection from then on, so the data connection announced next goes to the
// same worker; other payloads ("PASSWORD", "EPSVX", a reply) mark nothing.
TEST(FlowPlacer, AControlConnectionFoundByContentIsKnownByItsDataRequests) {
  auto packet = [](const char* src, uint16_t sport, const char* dst, uint16_t dport, RawPacket& raw,
                   std::string_view payload) {
    PacketView v;
    parse_address(src, v.src_ip);
    parse_address(dst, v.dst_ip);
    v.has_ports = true;
    v.src_port = sport;
    v.dst_port = dport;
    v.ip_proto = 6;
    v.l4 = L4::Tcp;
    raw.data = ByteView(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
    raw.caplen = raw.wirelen = uint32_t(payload.size());
    v.raw = &raw;
    v.payload_len = uint32_t(payload.size());
    return v;
  };
  auto place = [](FlowPlacer& p, const PacketView& v) {
    return p.place(FlowPlacer::key(v), 100, true, 0, 0, &v);
  };
  for (std::string_view request : {"EPSV\r\n", "PASV\r\n", "epsv 2\r\n", "PORT 10,0,0,1,200,10\r\n",
                                   "EPRT |2|::1|51210|\r\n"}) {
    SCOPED_TRACE(std::string(request));
    FlowPlacer p(4, 1000, kIdle, kIdle);
    p.set_control_ports({21});
    RawPacket raw;
    const uint32_t w = place(p, packet("10.0.0.1", 40000, "10.0.0.2", 2122, raw, ""));
    std::set<uint32_t> before;
    for (uint16_t i = 0; i < 8; ++i)
      before.insert(place(p, packet("10.0.0.1", uint16_t(50000 + i), "10.0.0.2", 30000, raw, "")));
    EXPECT_GT(before.size(), 1u);  // not known as a control connection yet
    for (std::string_view other : {"PASSWORD x\r\n", "EPSVX\r\n", "229 Entering (|||1|)\r\n"})
      place(p, packet("10.0.0.1", 40000, "10.0.0.2", 2122, raw, other));
    EXPECT_NE(place(p, packet("10.0.0.1", 50100, "10.0.0.2", 30000, raw, "")),
              place(p, packet("10.0.0.1", 50101, "10.0.0.2", 30000, raw, "")));
    EXPECT_EQ(place(p, packet("10.0.0.1", 40000, "10.0.0.2", 2122, raw, request)), w);
    for (uint16_t i = 0; i < 8; ++i) {
      EXPECT_EQ(place(p, packet("10.0.0.1", uint16_t(51000 + i), "10.0.0.2", 30000, raw, "")), w);
      EXPECT_EQ(place(p, packet("10.0.0.2", 20, "10.0.0.1", uint16_t(52000 + i), raw, "")), w);
    }
  }
  // Without FTP (no control ports set: no analyzers) a request marks nothing.
  FlowPlacer q(4, 1000, kIdle, kIdle);
  RawPacket raw;
  place(q, packet("10.0.0.1", 40000, "10.0.0.2", 2122, raw, "EPSV\r\n"));
  std::set<uint32_t> spread;
  for (uint16_t i = 0; i < 8; ++i)
    spread.insert(place(q, packet("10.0.0.1", uint16_t(50000 + i), "10.0.0.2", 30000, raw, "")));
  EXPECT_GT(spread.size(), 1u);
}

// The key the reader places whole packets by: the same for both directions of a flow,
// one per flow, and (by chance only otherwise) different between flows, on every
// bundled capture.
TEST(FlowPlacer, KeyIsSymmetricAndOnePerFlow) {
  size_t packets = 0, files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(NETSIFT_EXAMPLES_DIR)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".pcap") && !name.ends_with(".pcapng")) continue;
    FileReader reader(entry.path().string());
    ASSERT_TRUE(reader.open()) << reader.error();
    ++files;
    Decoder decoder;
    RawPacket raw;
    PacketView v;
    using Flow = std::tuple<IpAddress, IpAddress, uint16_t, uint16_t, uint8_t>;
    std::map<Flow, std::set<uint64_t>> keys;
    std::map<uint64_t, std::set<Flow>> flows;
    while (reader.next(raw) == PacketSource::Status::Packet) {
      decoder.decode(raw, v);
      if (!v.is_ip() || v.fragment) continue;
      ++packets;
      PacketView r = v;
      std::swap(r.src_ip, r.dst_ip);
      std::swap(r.src_port, r.dst_port);
      const uint64_t k = FlowPlacer::key(v);
      EXPECT_EQ(k, FlowPlacer::key(r)) << name << " packet " << packets;
      bool from_lo;
      FlowKey fk = make_flow_key(v, from_lo);
      Flow f{fk.lo_ip, fk.hi_ip, fk.lo_port, fk.hi_port, fk.proto};
      keys[f].insert(k);
      flows[k].insert(f);
    }
    for (const auto& [f, ks] : keys) EXPECT_EQ(ks.size(), 1u) << name;
    for (const auto& [k, fs] : flows) EXPECT_EQ(fs.size(), 1u) << name;
  }
  EXPECT_GT(files, 10u);
  EXPECT_GT(packets, 1000u);
}

// The last packet's place is remembered for the next: new flows between a flow's
// packets (which may move places in the table), and places forgotten at the cap, must
// not leave a stale one.
TEST(FlowPlacer, RunsOfOneFlowWithNewFlowsBetween) {
  FlowPlacer p(3, 16, kIdle, kIdle);  // at most 32 places: inserts forget the oldest
  const uint32_t a = tcp(p, 1, 100, 0);
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(tcp(p, 1, 1500, TimestampNs(i) * 1000), a);
    ASSERT_EQ(tcp(p, 1, 1500, TimestampNs(i) * 1000), a);
    p.place(1000 + uint64_t(i), 60, false, 0, TimestampNs(i) * 1000);  // new, soon the oldest
  }
  EXPECT_LE(p.size(), 32u);
  p.clear();
  EXPECT_EQ(p.size(), 0u);
  tcp(p, 1, 100, 0);  // placed anew, not through a place remembered before clear()
  EXPECT_EQ(p.size(), 1u);
}

}  // namespace
}  // namespace netsift
