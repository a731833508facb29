// The byte caps: one engine's plain cap, and sharded workers drawing on one shared cap
// in grants (a busy worker may use nearly all of it; the cap is never exceeded).
#include "core/buffer_budget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

namespace netsift {
namespace {

TEST(BufferBudget, OneEngineIsThePlainCap) {
  BufferBudget b{0, 100};
  EXPECT_TRUE(b.can_take(100));
  b.held = 100;
  EXPECT_FALSE(b.can_take(1));
  EXPECT_EQ(b.room(50), 0u);
  b.release(40);
  EXPECT_EQ(b.room(50), 40u);
  EXPECT_FALSE(b.over());
  b.held = 101;
  EXPECT_TRUE(b.over());
  EXPECT_EQ(b.used(), 101u);
  EXPECT_EQ(b.cap(), 100u);
}

TEST(BufferBudget, OneBusyWorkerMayUseTheWholeSharedCap) {
  SharedBudget pool(16u << 20, 4);  // grants of 256 KiB
  std::vector<BufferBudget> w(4);
  for (auto& b : w) {
    b.shared = &pool;
    b.limit = 0;
    b.engines = 4;
  }
  uint64_t took = 0;
  while (w[0].can_take(64 << 10)) {
    w[0].held += 64 << 10;
    took += 64 << 10;
  }
  EXPECT_EQ(took, 16u << 20);  // split evenly, it would have stopped at 4 MiB
  EXPECT_EQ(w[0].used(), 16u << 20);
  EXPECT_FALSE(w[1].can_take(1));
  EXPECT_EQ(w[1].room(1000), 0u);
  // What one gives back the others may draw; unused allowance goes back too.
  w[0].release(8u << 20);
  EXPECT_LE(w[0].limit, w[0].held + 2 * pool.grant());
  EXPECT_TRUE(w[1].can_take(7u << 20));
  w[1].held += 7u << 20;
  // Over its allowance, a worker draws more when there is some.
  w[3].held = 100;
  EXPECT_FALSE(w[3].over());
  w[3].release(100);
  uint64_t available = pool.available();
  EXPECT_EQ(w[2].room(2u << 20), std::min<uint64_t>(2u << 20, available));
}

TEST(BufferBudget, ThreadsNeverExceedTheSharedCap) {
  constexpr uint64_t kCap = 1u << 20;
  SharedBudget pool(kCap, 4);
  std::vector<std::thread> threads;
  std::vector<BufferBudget> w(4);
  for (int t = 0; t < 4; ++t) {
    w[size_t(t)].shared = &pool;
    w[size_t(t)].limit = 0;
    threads.emplace_back([&b = w[size_t(t)], t] {
      std::mt19937 rng{uint32_t(t)};
      std::vector<uint64_t> held;
      for (int i = 0; i < 200000; ++i) {
        if (held.empty() || rng() % 3) {
          uint64_t n = 1 + rng() % 8192;
          if (b.can_take(n)) {
            b.held += n;
            held.push_back(n);
          }
        } else {
          b.release(held.back());
          held.pop_back();
        }
        ASSERT_LE(b.held, b.limit);
      }
      for (uint64_t n : held) b.release(n);
    });
  }
  for (auto& t : threads) t.join();
  uint64_t limits = 0;
  for (auto& b : w) {
    EXPECT_EQ(b.held, 0u);
    limits += b.limit;
  }
  EXPECT_EQ(limits + pool.available(), kCap);  // nothing lost, nothing made up
}

}  // namespace
}  // namespace netsift
