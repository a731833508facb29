// FlowPlacer: a flow keeps its worker while it may live there, flows that start
// together spread out, new flows avoid a worker busy with a large one but never push a
// worker past its share of the flow cap, idle places are forgotten, the table stays
// within its cap, and the same input always gives the same placement.
#include "app/flow_placer.h"

#include <gtest/gtest.h>

#include <vector>

namespace netsift {
namespace {

constexpr TimestampNs kIdle = 100 * kNsPerSec;

TEST(FlowPlacer, AFlowStaysOnItsWorker) {
  FlowPlacer p(4, 1000, kIdle);
  std::vector<uint32_t> first;
  for (uint64_t h = 1; h <= 40; ++h) first.push_back(p.place(h * 0x9e3779b97f4a7c15ull, 100, 0));
  for (int round = 0; round < 50; ++round) {
    for (uint64_t h = 1; h <= 40; ++h) {
      ASSERT_EQ(p.place(h * 0x9e3779b97f4a7c15ull, 1500, TimestampNs(round) * kNsPerSec),
                first[h - 1]);
    }
  }
}

TEST(FlowPlacer, FlowsThatStartTogetherSpreadOut) {
  FlowPlacer p(2, 1000, kIdle);
  int on[2] = {0, 0};
  for (uint64_t h = 1; h <= 4; ++h) ++on[p.place(h, 100, 0)];
  EXPECT_EQ(on[0], 2);
  EXPECT_EQ(on[1], 2);
  FlowPlacer q(4, 1000, kIdle);
  std::vector<int> seen(4, 0);
  for (uint64_t h = 1; h <= 8; ++h) ++seen[q.place(h, 100, 0)];
  EXPECT_EQ(seen, std::vector<int>(4, 2));
}

TEST(FlowPlacer, NewFlowsAvoidAWorkerBusyWithALargeOne) {
  FlowPlacer p(2, 1000, kIdle);
  const uint32_t big = p.place(1, 1500, 0);
  for (int i = 0; i < 5000; ++i) p.place(1, 1500, 0);  // an elephant download
  int with_big = 0;
  for (uint64_t h = 2; h < 22; ++h) with_big += p.place(h, 100, 0) == big;
  EXPECT_EQ(with_big, 0);
}

TEST(FlowPlacer, NoWorkerGoesPastItsShareOfTheFlowCap) {
  FlowPlacer p(2, 64, kIdle);  // 32 flows per worker
  const uint32_t big = p.place(1, 1500, 0);
  for (int i = 0; i < 100000; ++i) p.place(1, 1500, 0);
  int on[2] = {0, 0};
  for (uint64_t h = 2; h <= 64; ++h) ++on[p.place(h, 60, 0)];
  on[big] += 1;
  EXPECT_EQ(on[0], 32);
  EXPECT_EQ(on[1], 32);
}

TEST(FlowPlacer, IdlePlacesAreForgottenAndTheTableStaysCapped) {
  FlowPlacer p(2, 1000, kIdle);
  for (uint64_t h = 1; h <= 500; ++h) p.place(h, 60, 0);
  EXPECT_EQ(p.size(), 500u);
  // Long after, one busy flow: the sweep (every 65,536 packets) forgets the idle ones.
  for (int i = 0; i < 70000; ++i) p.place(1000000, 60, 2 * kIdle + TimestampNs(i));
  EXPECT_EQ(p.size(), 1u);
  FlowPlacer q(2, 256, kIdle);
  for (uint64_t h = 1; h <= 5000; ++h) {
    q.place(h, 60, TimestampNs(h));
    ASSERT_LE(q.size(), 256u);
  }
  p.clear();
  EXPECT_EQ(p.size(), 0u);
}

TEST(FlowPlacer, TheSameInputGivesTheSamePlacement) {
  auto run = [] {
    FlowPlacer p(3, 5000, kIdle);
    std::vector<uint32_t> out;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      out.push_back(p.place(x % 700, uint32_t(x >> 50) % 1500, TimestampNs(i) * 1000));
    }
    return out;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace netsift
