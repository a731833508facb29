#include "capture/read_ahead.h"

#include <pthread.h>

#include <algorithm>
#include <cerrno>

namespace netsift {

ReadAhead::ReadAhead(size_t block_size, size_t headroom, size_t blocks)
    : block_size_(block_size),
      headroom_(headroom),
      blocks_(blocks),
      // Not zero-filled: read() writes every byte before it is used.
      memory_(new uint8_t[blocks * (headroom + block_size)]),
      ready_(new std::atomic<Block*>[blocks]) {
  for (size_t i = 0; i < blocks; ++i) {
    blocks_[i].base = memory_.get() + i * (headroom + block_size);
    ready_[i].store(nullptr, std::memory_order_relaxed);
  }
  // Taken from the back: block 0 first (the order only matters to tests' eyes).
  for (size_t i = blocks; i-- > 0;) free_.push_back(&blocks_[i]);
}

ReadAhead::ReadAhead(ReadFn read, size_t block_size, size_t headroom, size_t blocks)
    : ReadAhead(block_size, headroom, blocks) {
  read_ = std::move(read);
  threads_.emplace_back([this] { run(); });
}

ReadAhead::ReadAhead(PReadFn pread, uint64_t start, uint32_t threads, size_t block_size,
                     size_t headroom, size_t blocks)
    : ReadAhead(block_size, headroom, blocks) {
  pread_ = std::move(pread);
  start_ = start;
  for (uint32_t i = 0; i < std::max<uint32_t>(threads, 1); ++i)
    threads_.emplace_back([this] { run(); });
}

ReadAhead::~ReadAhead() {
  stop();
}

void ReadAhead::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stop_.store(true, std::memory_order_relaxed);
  }
  free_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool ReadAhead::claim(Block*& b) {
  std::unique_lock lock(mutex_);
  // Past end_seq_ the end is read (or being read).
  free_cv_.wait(lock, [&] { return stopping_ || next_seq_ > end_seq_ || !free_.empty(); });
  if (stopping_ || next_seq_ > end_seq_) return false;
  b = free_.back();
  free_.pop_back();
  b->seq = next_seq_++;
  return true;
}

bool ReadAhead::fill(Block* b) {
  uint8_t* dst = b->base + headroom_;
  ssize_t got;
  if (!pread_) {
    do {
      got = read_(dst, block_size_);
    } while (got < 0 && errno == EINTR && !stop_.load(std::memory_order_relaxed));
    b->len = got > 0 ? size_t(got) : 0;
    b->error = got < 0 ? errno : 0;
    return got > 0;
  }
  // A positional read of a regular file comes back short only at its end (or on a
  // signal): read on until the block is full or the file ends.
  size_t done = 0;
  const uint64_t at = start_ + b->seq * block_size_;
  b->error = 0;
  while (done < block_size_) {
    got = pread_(dst + done, block_size_ - done, at + done);
    if (got < 0 && errno == EINTR && !stop_.load(std::memory_order_relaxed)) continue;
    if (got < 0) b->error = errno;
    if (got <= 0) break;
    done += size_t(got);
  }
  b->len = b->error ? 0 : done;
  return b->len == block_size_;
}

void ReadAhead::run() {
  // Named so that per-thread profiles (perf, top -H) tell it from the others.
  pthread_setname_np(pthread_self(), "ns-read-ahead");
  Block* b = nullptr;
  while (claim(b)) {
    bool more = fill(b);
    if (!more) {
      // The end (a short or empty block, or an error): the threads read no further
      // than the block after it (a short block's successor tells the end).
      std::lock_guard lock(mutex_);
      uint64_t last = b->len == 0 ? b->seq : b->seq + 1;
      if (last < end_seq_) end_seq_ = last;
    }
    if (!more) free_cv_.notify_all();  // threads waiting for a block past the end: stop
    ready_[b->seq % blocks_.size()].store(b, std::memory_order_release);
    consumer_bell_.ring();
    if (!more && !pread_) return;
  }
}

ReadAhead::Block* ReadAhead::next() {
  std::atomic<Block*>& slot = ready_[taken_ % blocks_.size()];
  Block* b;
  for (;;) {
    uint32_t seen = consumer_bell_.prepare();
    b = slot.exchange(nullptr, std::memory_order_acquire);
    if (b) break;
    consumer_bell_.wait(seen);
  }
  ++taken_;
  // After a short block the file ended: whatever a later read found (a file still
  // being written) would not follow on, so the stream ends here as one read() would.
  if (short_taken_) {
    b->len = 0;
    b->error = 0;
  }
  short_taken_ = pread_ && b->len < block_size_;
  return b;
}

void ReadAhead::release(Block* b) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(b);
  }
  free_cv_.notify_one();
}

}  // namespace netsift
