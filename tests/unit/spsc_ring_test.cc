// The worker rings: order, capacity, wrap-around of the indices, and one producer and
// one consumer on their own threads with backpressure both ways.
#include "core/spsc_ring.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace netsift {
namespace {

TEST(SpscRing, FifoUpToCapacityThenFull) {
  SpscRing<int> ring(5);  // rounded up to 8
  EXPECT_EQ(ring.capacity(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(ring.try_push(i));
  EXPECT_FALSE(ring.try_push(99));
  int v = -1;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(ring.try_pop(v));
    EXPECT_EQ(v, i);
  }
  EXPECT_FALSE(ring.try_pop(v));
}

TEST(SpscRing, IndicesWrapAroundTwoToThe32) {
  // Start a few slots before the 32-bit indices wrap, and go well past it.
  SpscRing<uint64_t> ring(4, nullptr, nullptr, UINT32_MAX - 5);
  uint64_t next_in = 0, next_out = 0, v = 0;
  for (int round = 0; round < 50; ++round) {
    while (ring.try_push(next_in)) ++next_in;
    EXPECT_EQ(next_in - next_out, 4u);  // exactly full, across the wrap too
    for (int k = 0; k < 3; ++k) {
      ASSERT_TRUE(ring.try_pop(v));
      EXPECT_EQ(v, next_out++);
    }
  }
  while (ring.try_pop(v)) EXPECT_EQ(v, next_out++);
  EXPECT_EQ(next_out, next_in);
}

// One producer, one consumer, a tiny ring: every value arrives once, in order, while
// each side keeps waiting for the other (full ring, empty ring).
void run_threads(int count, bool slow_consumer) {
  Doorbell producer_bell, consumer_bell;
  SpscRing<uint32_t> ring(2, &consumer_bell, &producer_bell);
  std::vector<uint32_t> got;
  got.reserve(size_t(count));
  std::thread consumer([&] {
    for (int i = 0; i < count; ++i) {
      got.push_back(ring.pop_wait(consumer_bell));
      if (slow_consumer && i % 1000 == 0)
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  for (int i = 0; i < count; ++i) {
    ring.push_wait(uint32_t(i), producer_bell);
    if (!slow_consumer && i % 1000 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  consumer.join();
  ASSERT_EQ(got.size(), size_t(count));
  for (int i = 0; i < count; ++i) ASSERT_EQ(got[size_t(i)], uint32_t(i));
  uint32_t v;
  EXPECT_FALSE(ring.try_pop(v));
}

TEST(SpscRing, ThreadsProducerWaitsForSlowConsumer) {
  run_threads(20000, true);
}
TEST(SpscRing, ThreadsConsumerWaitsForSlowProducer) {
  run_threads(20000, false);
}

TEST(SpscRing, PushWaitBlocksWhileFull) {
  Doorbell producer_bell, consumer_bell;
  SpscRing<int> ring(2, &consumer_bell, &producer_bell);
  ASSERT_TRUE(ring.try_push(1));
  ASSERT_TRUE(ring.try_push(2));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    ring.push_wait(3, producer_bell);  // full: must wait for a pop
    pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(pushed.load());
  int v = 0;
  ASSERT_TRUE(ring.try_pop(v));
  producer.join();
  EXPECT_TRUE(pushed.load());
  ASSERT_TRUE(ring.try_pop(v));
  EXPECT_EQ(v, 2);
  ASSERT_TRUE(ring.try_pop(v));
  EXPECT_EQ(v, 3);
}

}  // namespace
}  // namespace netsift
