// Reads a byte stream on a second thread, a few large blocks ahead of its consumer.
//
// On the VMs netsift is measured on, copying a capture out of the page cache (read())
// is close to half of what the light jobs (`packets`, `stats`, the reader of
// `sessions --workers N`) cost; inflating a .pcap.gz costs more than that. With a core
// to spare that work overlaps with decoding instead of preceding it.
//
// Each block has free headroom in front of its data, so the consumer can copy the
// unread tail of the previous block (a record cut by the block end) there and keep
// reading one contiguous run of bytes without copying the block itself.
//
// Blocks may be lent to consumers like the reader's own (capture/raw_packet.h): the
// reader gives a block back only when nobody holds it, and lends no more than leaves
// the thread blocks to read into, so neither side can wait for the other forever.
//
// Only for inputs whose read() always returns soon (regular files): the destructor
// waits for the thread to finish its current read.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "capture/raw_packet.h"
#include "core/spsc_ring.h"

namespace netsift {

class ReadAhead {
 public:
  // Fills `dst` with at most `n` bytes; returns the count, 0 at the end, -1 with errno.
  using ReadFn = std::function<ssize_t(uint8_t* dst, size_t n)>;

  // A consumer may hold one (PacketBlock::holds) past the reader's move to the next:
  // it goes back for refilling only once nobody holds it (FileReader's job).
  struct Block : PacketBlock {
    uint8_t* base = nullptr;  // headroom bytes, then the data
    size_t len = 0;           // data bytes at base + headroom(); 0: the stream ended
    int error = 0;            // errno of a failed read (the stream ended there)
  };

  ReadAhead(ReadFn read, size_t block_size, size_t headroom, size_t blocks);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next block in stream order (waits for it). After one with len 0, call no more.
  Block* next();
  // Gives a block back for refilling; its bytes must not be used after this.
  void release(Block* b);
  // Ends the thread (it may be waiting for a free block) and waits for it; the blocks
  // stay, so that those a consumer holds keep their bytes. The destructor does it too.
  void stop();
  size_t headroom() const { return headroom_; }
  size_t blocks() const { return blocks_.size(); }

 private:
  void run();

  ReadFn read_;
  const size_t block_size_;
  const size_t headroom_;
  std::vector<Block> blocks_;
  std::unique_ptr<uint8_t[]> memory_;
  Doorbell reader_bell_;    // the thread sleeps here while no block is free
  Doorbell consumer_bell_;  // the consumer sleeps here while no block is ready
  SpscRing<Block*> free_;   // consumer -> thread
  SpscRing<Block*> ready_;  // thread -> consumer, in stream order
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace netsift
