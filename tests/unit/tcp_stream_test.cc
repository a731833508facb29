#include "flow/tcp_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace netsift {
namespace {

struct Collector final : StreamReceiver {
  std::string data;
  std::vector<std::pair<uint64_t, uint64_t>> gaps;
  void on_stream_data(int, uint64_t offset, ByteView d) override {
    EXPECT_EQ(offset, data.size() + total_gap());
    data.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void on_stream_gap(int, uint64_t offset, uint64_t length) override {
    gaps.emplace_back(offset, length);
  }
  uint64_t total_gap() const {
    uint64_t n = 0;
    for (auto& g : gaps) n += g.second;
    return n;
  }
};

ByteView view(const std::string& s, size_t from, size_t len) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()) + from, len);
}

std::string message(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char('a' + (i * 7) % 26);
  return s;
}

struct Fixture {
  Collector out;
  BufferBudget budget;
  TcpStream stream{0, out, budget, 1 << 20};
};

TEST(TcpStream, SplitAtEveryOffsetInOrder) {
  const std::string msg = message(64);
  for (size_t cut = 0; cut <= msg.size(); ++cut) {
    Fixture f;
    f.stream.on_syn(1000);
    f.stream.on_segment(1001, view(msg, 0, cut), false);
    f.stream.on_segment(1001 + uint32_t(cut), view(msg, cut, msg.size() - cut), true);
    EXPECT_EQ(f.out.data, msg) << cut;
    EXPECT_TRUE(f.stream.fin_reached());
    EXPECT_EQ(f.stream.held_bytes(), 0u);
  }
}

TEST(TcpStream, ReorderedSegmentsAtEveryOffset) {
  const std::string msg = message(64);
  for (size_t cut = 1; cut < msg.size(); ++cut) {
    Fixture f;
    f.stream.on_syn(5);
    f.stream.on_segment(6 + uint32_t(cut), view(msg, cut, msg.size() - cut), false);
    EXPECT_EQ(f.out.data, "") << "nothing delivered before the hole fills";
    f.stream.on_segment(6, view(msg, 0, cut), false);
    EXPECT_EQ(f.out.data, msg) << cut;
    EXPECT_EQ(f.stream.held_bytes(), 0u);
  }
}

TEST(TcpStream, RandomOrderDuplicatesAndSameDataOverlaps) {
  const std::string msg = message(4000);
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::pair<size_t, size_t>> segs;
    for (size_t pos = 0; pos < msg.size();) {
      size_t len = 1 + rng() % 300;
      len = std::min(len, msg.size() - pos);
      segs.emplace_back(pos, len);
      // an overlapping retransmission with the same bytes
      if (rng() % 3 == 0 && pos > 10)
        segs.emplace_back(pos - 10, std::min<size_t>(len + 10, msg.size() - pos + 10));
      pos += len;
    }
    std::shuffle(segs.begin(), segs.end(), rng);
    Fixture f;
    f.stream.on_syn(0xfffff000u);  // wraps around during the stream
    for (auto [pos, len] : segs)
      f.stream.on_segment(0xfffff001u + uint32_t(pos), view(msg, pos, len), false);
    EXPECT_EQ(f.out.data, msg) << round;
    EXPECT_EQ(f.stream.stats().conflicting_overlaps, 0u);
    EXPECT_TRUE(f.out.gaps.empty());
  }
}

TEST(TcpStream, ConflictingOverlapKeepsFirstDataAndIsCounted) {
  Fixture f;
  f.stream.on_syn(0);
  const std::string first = "AAAAAAAAAA", second = "BBBBBBBBBB";
  f.stream.on_segment(6, view(first, 0, 10), false);    // bytes 5..14, held
  f.stream.on_segment(11, view(second, 0, 10), false);  // bytes 10..19, overlaps 5 bytes
  f.stream.on_segment(1, view(std::string("01234"), 0, 5), false);
  EXPECT_EQ(f.out.data, "01234AAAAAAAAAABBBBB");
  EXPECT_EQ(f.stream.stats().overlaps, 1u);
  EXPECT_EQ(f.stream.stats().conflicting_overlaps, 1u);
}

TEST(TcpStream, GapSkippedWhenPeerAcknowledgesAndAtFlush) {
  Fixture f;
  f.stream.on_syn(100);
  const std::string msg = message(30);
  f.stream.on_segment(101, view(msg, 0, 10), false);
  f.stream.on_segment(121, view(msg, 20, 10), false);  // bytes 10..19 never captured
  EXPECT_EQ(f.out.data.size(), 10u);
  f.stream.on_peer_ack(131);  // the receiver got everything: the capture lost the hole
  ASSERT_EQ(f.out.gaps.size(), 1u);
  EXPECT_EQ(f.out.gaps[0], (std::pair<uint64_t, uint64_t>(10, 10)));
  EXPECT_EQ(f.out.data, msg.substr(0, 10) + msg.substr(20));

  Fixture g;
  g.stream.on_syn(100);
  g.stream.on_segment(121, view(msg, 20, 10), true);
  g.stream.flush();
  ASSERT_EQ(g.out.gaps.size(), 1u);
  EXPECT_EQ(g.out.gaps[0].second, 20u);
  EXPECT_EQ(g.out.data, msg.substr(20));
}

TEST(TcpStream, MidstreamPickupAndRetransmissionsDropped) {
  Fixture f;
  const std::string msg = message(20);
  f.stream.on_segment(7777, view(msg, 0, 10), false);
  f.stream.on_segment(7777, view(msg, 0, 10), false);  // retransmission
  f.stream.on_segment(7787, view(msg, 10, 10), false);
  EXPECT_EQ(f.out.data, msg);
  EXPECT_EQ(f.stream.stats().retransmitted_bytes, 10u);
}

TEST(TcpStream, PerDirectionCapForcesGapInsteadOfGrowing) {
  Collector out;
  BufferBudget budget;
  TcpStream stream(0, out, budget, 1000);
  stream.on_syn(0);
  const std::string chunk = message(500);
  // A hole at the start, then 10 KB of data behind it: never more than the cap is held.
  for (int i = 0; i < 20; ++i) {
    stream.on_segment(1 + 100 + uint32_t(i) * 500, view(chunk, 0, 500), false);
    EXPECT_LE(stream.held_bytes(), 1000u);
  }
  EXPECT_GT(stream.stats().cap_dropped_bytes, 0u);
  EXPECT_FALSE(out.gaps.empty());
  EXPECT_EQ(budget.held, stream.held_bytes() + stream.recent_bytes());
}

}  // namespace
}  // namespace netsift

namespace netsift {
namespace {

ByteView bytes(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Issue 7 item 14: different bytes retransmitted over data already delivered.
TEST(TcpStream, DifferingRetransmissionOfDeliveredDataIsAConflict) {
  Fixture f;
  f.stream.on_syn(999);
  f.stream.on_segment(1000, bytes("GOOD"), false);
  f.stream.on_segment(1000, bytes("EVIL"), false);
  EXPECT_EQ(f.out.data, "GOOD");  // first data wins
  EXPECT_EQ(f.stream.stats().retransmitted_bytes, 4u);
  EXPECT_EQ(f.stream.stats().overlaps, 1u);
  EXPECT_EQ(f.stream.stats().conflicting_overlaps, 1u);
}

TEST(TcpStream, IdenticalRetransmissionIsNoConflict) {
  Fixture f;
  f.stream.on_syn(999);
  f.stream.on_segment(1000, bytes("hello world"), false);
  f.stream.on_segment(1006, bytes("world, again"), false);  // partly old, partly new
  f.stream.on_segment(1000, bytes("hello"), false);
  EXPECT_EQ(f.out.data, "hello world, again");
  EXPECT_EQ(f.stream.stats().overlaps, 2u);
  EXPECT_EQ(f.stream.stats().conflicting_overlaps, 0u);
  f.stream.on_segment(1006, bytes("WORLD"), false);
  EXPECT_EQ(f.stream.stats().conflicting_overlaps, 1u);
}

TEST(TcpStream, RetransmissionOverAGapIsNotComparedWithStaleBytes) {
  Fixture f;
  f.stream.on_syn(999);
  f.stream.on_segment(1000, bytes("abcd"), false);
  f.stream.on_lost(1004, 4);  // bytes 4..7 never captured
  f.stream.on_segment(1008, bytes("ijkl"), false);
  f.stream.on_segment(1004, bytes("efgh"), false);  // late copy of the lost bytes
  EXPECT_EQ(f.stream.stats().conflicting_overlaps, 0u);
}

}  // namespace
}  // namespace netsift
