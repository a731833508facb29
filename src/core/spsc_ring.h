// Hand-off between threads without locks: a bounded single-producer / single-consumer
// ring of small values (the sharded session engine passes batch pointers through it),
// and a Doorbell a thread sleeps on until another one has news for it.
//
// The ring never blocks by itself: try_push fails when full, try_pop when empty. Waiting
// is the caller's choice (push_wait/pop_wait ring the other side's doorbell and sleep on
// their own), so one thread can wait on several rings at once through one doorbell.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace netsift {

// A futex-backed wake-up: rings are cheap when nobody sleeps (no system call).
// Usage: `uint32_t seen = bell.prepare(); if (!try_something()) bell.wait(seen);` —
// a ring() after prepare() makes wait() return at once, so no wake-up is lost.
class Doorbell {
 public:
  uint32_t prepare() const { return seq_.load(std::memory_order_seq_cst); }
  void wait(uint32_t seen) {
    sleeping_.store(true, std::memory_order_seq_cst);
    if (seq_.load(std::memory_order_seq_cst) == seen) seq_.wait(seen, std::memory_order_seq_cst);
    sleeping_.store(false, std::memory_order_relaxed);
  }
  void ring() {
    seq_.fetch_add(1, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst)) seq_.notify_all();
  }

 private:
  std::atomic<uint32_t> seq_{0};
  std::atomic<bool> sleeping_{false};
};

template <class T>
class SpscRing {
 public:
  // `capacity` is rounded up to a power of two. `consumer_bell` is rung after each push
  // (wakes the consumer), `producer_bell` after each pop (wakes a producer waiting for
  // room); either may be null.
  // `first_index` only lets tests start near the indices' wrap-around.
  explicit SpscRing(size_t capacity, Doorbell* consumer_bell = nullptr,
                    Doorbell* producer_bell = nullptr, uint32_t first_index = 0)
      : mask_(uint32_t(std::bit_ceil(capacity < 2 ? size_t(2) : capacity) - 1)),
        slots_(new T[size_t(mask_) + 1]),
        consumer_bell_(consumer_bell),
        producer_bell_(producer_bell),
        tail_(first_index),
        head_cache_(first_index),
        head_(first_index),
        tail_cache_(first_index) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return size_t(mask_) + 1; }

  // Producer side.
  bool try_push(T value) {
    uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return false;  // full
    }
    slots_[tail & mask_] = std::move(value);
    tail_.store(tail + 1, std::memory_order_release);
    if (consumer_bell_) consumer_bell_->ring();
    return true;
  }
  // Waits (on `mine`, the producer's doorbell) while the ring is full: backpressure.
  void push_wait(T value, Doorbell& mine) {
    for (;;) {
      uint32_t seen = mine.prepare();
      if (try_push(value)) return;
      mine.wait(seen);
    }
  }

  // Consumer side.
  bool try_pop(T& out) {
    uint32_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return false;  // empty
    }
    out = std::move(slots_[head & mask_]);
    head_.store(head + 1, std::memory_order_release);
    if (producer_bell_) producer_bell_->ring();
    return true;
  }
  // Waits (on `mine`, the consumer's doorbell) while the ring is empty.
  T pop_wait(Doorbell& mine) {
    T out{};
    for (;;) {
      uint32_t seen = mine.prepare();
      if (try_pop(out)) return out;
      mine.wait(seen);
    }
  }

 private:
  // Producer and consumer indices on their own cache lines (no false sharing); each
  // side caches the other's index and rereads it only when the ring looks full/empty.
  // Indices wrap at 2^32; differences stay correct because capacity < 2^31.
  static constexpr size_t kLine = 64;
  const uint32_t mask_;
  std::unique_ptr<T[]> slots_;
  Doorbell* consumer_bell_;
  Doorbell* producer_bell_;
  alignas(kLine) std::atomic<uint32_t> tail_;
  uint32_t head_cache_;  // producer's view of head_
  alignas(kLine) std::atomic<uint32_t> head_;
  uint32_t tail_cache_;  // consumer's view of tail_
};

}  // namespace netsift
