#include "capture/read_ahead.h"

#include <cerrno>

namespace netsift {

ReadAhead::ReadAhead(ReadFn read, size_t block_size, size_t headroom, size_t blocks)
    : read_(std::move(read)),
      block_size_(block_size),
      headroom_(headroom),
      blocks_(blocks),
      // Not zero-filled: read() writes every byte before it is used.
      memory_(new uint8_t[blocks * (headroom + block_size)]),
      free_(blocks, &reader_bell_, nullptr),
      ready_(blocks, &consumer_bell_, nullptr) {
  for (size_t i = 0; i < blocks; ++i) {
    blocks_[i].base = memory_.get() + i * (headroom + block_size);
    free_.try_push(&blocks_[i]);  // the rings hold every block: never full
  }
  thread_ = std::thread([this] { run(); });
}

ReadAhead::~ReadAhead() {
  stop();
}

void ReadAhead::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true, std::memory_order_release);
  reader_bell_.ring();
  thread_.join();
}

void ReadAhead::run() {
  for (;;) {
    Block* b = nullptr;
    for (;;) {
      uint32_t seen = reader_bell_.prepare();
      if (stop_.load(std::memory_order_acquire)) return;
      if (free_.try_pop(b)) break;
      reader_bell_.wait(seen);
    }
    ssize_t got;
    do {
      got = read_(b->base + headroom_, block_size_);
    } while (got < 0 && errno == EINTR && !stop_.load(std::memory_order_relaxed));
    b->len = got > 0 ? size_t(got) : 0;
    b->error = got < 0 ? errno : 0;
    ready_.try_push(b);
    if (got <= 0) return;  // the end (or an error) is the last block
  }
}

ReadAhead::Block* ReadAhead::next() {
  return ready_.pop_wait(consumer_bell_);
}

void ReadAhead::release(Block* b) {
  free_.try_push(b);
}

}  // namespace netsift
