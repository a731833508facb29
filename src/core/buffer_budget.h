// Caps on bytes held by buffers that grow with traffic (out-of-order TCP data, analyzer
// tails and probe buffers; whole-session transcripts), checked against one global cap.
//
// One engine counts in a plain BufferBudget. Sharded workers (--workers N) each have
// their own BufferBudget whose `limit` is an allowance drawn from one SharedBudget in
// grants: the atomic is touched when a worker's allowance runs out or has much to spare,
// not per packet, and one busy worker can use nearly the whole cap (what others keep
// unused is at most two grants each).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace netsift {

class SharedBudget {
 public:
  // `workers` share `total` bytes; grants are a small part of it.
  SharedBudget(uint64_t total, uint32_t workers)
      : total_(total),
        grant_(std::clamp<uint64_t>(total / (16 * uint64_t(std::max<uint32_t>(workers, 1))), 1,
                                    4u << 20)),
        free_(total) {}
  uint64_t total() const { return total_; }
  uint64_t grant() const { return grant_; }
  // Bytes nobody has drawn.
  uint64_t available() const { return free_.load(std::memory_order_relaxed); }
  // Takes up to `want` bytes: what it got, maybe 0.
  uint64_t take(uint64_t want) {
    uint64_t cur = free_.load(std::memory_order_relaxed);
    for (;;) {
      uint64_t got = std::min(cur, want);
      if (got == 0) return 0;
      if (free_.compare_exchange_weak(cur, cur - got, std::memory_order_relaxed)) return got;
    }
  }
  void give(uint64_t bytes) { free_.fetch_add(bytes, std::memory_order_relaxed); }

 private:
  const uint64_t total_;
  const uint64_t grant_;
  alignas(64) std::atomic<uint64_t> free_;
};

struct BufferBudget {
  uint64_t held = 0;
  uint64_t limit = 256ull << 20;   // the cap, or this worker's allowance from `shared`
  SharedBudget* shared = nullptr;  // workers: where the allowance comes from
  uint32_t engines = 1;            // how many budgets share the cap

  // The cap over all engines.
  uint64_t cap() const { return shared ? shared->total() : limit; }
  // Bytes held in all engines (workers: the grants drawn, less this one's unused part).
  uint64_t used() const {
    if (!shared) return held;
    uint64_t drawn = shared->total() - shared->available();
    uint64_t spare = limit > held ? limit - held : 0;
    return drawn > spare ? drawn - spare : 0;
  }
  // Room for `bytes` more, drawing on the shared budget when needed.
  bool can_take(uint64_t bytes) { return held + bytes <= limit || grow_to(held + bytes); }
  // Held more than allowed (and no more could be drawn).
  bool over() { return held > limit && !grow_to(held); }
  // How much of `want` more bytes fits.
  uint64_t room(uint64_t want) {
    if (held + want > limit) grow_to(held + want);
    return limit > held ? std::min(want, limit - held) : 0;
  }
  void release(uint64_t bytes) {
    held -= std::min(held, bytes);
    // Much unused allowance goes back, so that other workers may draw it.
    if (shared && limit > held + 2 * shared->grant()) {
      uint64_t back = limit - held - shared->grant();
      limit -= back;
      shared->give(back);
    }
  }

 private:
  // Draws allowance up to `target` (a grant at least; less when the pool runs low).
  bool grow_to(uint64_t target) {
    if (!shared) return false;
    limit += shared->take(std::max(target - limit, shared->grant()));
    return target <= limit;
  }
};

// Bytes one kind of user draws from a BufferBudget, itself capped at a part of the cap
// (a 1/divisor share of each engine's part), so that this kind cannot starve the others:
// the HTTP content decoders' windows may take a quarter of max_buffer_total, and TCP
// reassembly keeps the rest.
class BudgetShare {
 public:
  BudgetShare(BufferBudget& budget, uint32_t divisor) : budget_(budget), divisor_(divisor) {}
  bool take(uint64_t bytes) {
    const uint64_t share =
        budget_.cap() / (uint64_t(divisor_) * std::max<uint32_t>(budget_.engines, 1));
    if (held_ + bytes > share || !budget_.can_take(bytes)) return false;
    budget_.held += bytes;
    held_ += bytes;
    return true;
  }
  void give(uint64_t bytes) {
    budget_.release(bytes);
    held_ -= std::min(held_, bytes);
  }
  uint64_t held() const { return held_; }

 private:
  BufferBudget& budget_;
  const uint32_t divisor_;
  uint64_t held_ = 0;
};

}  // namespace netsift
