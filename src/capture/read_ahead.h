// Reads a byte stream on a second thread (or several), a few large blocks ahead of its
// consumer.
//
// On the VMs netsift is measured on, copying a capture out of the page cache (read())
// is close to half of what the light jobs (`packets`, `stats`, the reader of
// `sessions --workers N`) cost; inflating a .pcap.gz costs more than that. With a core
// to spare that work overlaps with decoding instead of preceding it.
//
// A regular file may be read by several threads at once (positional reads of blocks
// taken in turn): with many session workers the page-cache copy on one thread is a
// serial step that bounds the whole run (docs/performance.md, "Workers that scale").
// A compressed stream has one thread (inflating is sequential).
//
// Each block has free headroom in front of its data, so the consumer can copy the
// unread tail of the previous block (a record cut by the block end) there and keep
// reading one contiguous run of bytes without copying the block itself.
//
// Blocks may be lent to consumers like the reader's own (capture/raw_packet.h): the
// reader gives a block back only when nobody holds it, and lends no more than leaves
// the threads blocks to read into, so neither side can wait for the other forever.
//
// Only for inputs whose read() always returns soon (regular files): the destructor
// waits for the threads to finish their current read.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "capture/raw_packet.h"
#include "core/spsc_ring.h"

namespace netsift {

class ReadAhead {
 public:
  // Fills `dst` with at most `n` bytes; returns the count, 0 at the end, -1 with errno.
  using ReadFn = std::function<ssize_t(uint8_t* dst, size_t n)>;
  // The same at byte `offset` of the file (pread(2)): for several threads.
  using PReadFn = std::function<ssize_t(uint8_t* dst, size_t n, uint64_t offset)>;

  // A consumer may hold one (PacketBlock::holds) past the reader's move to the next:
  // it goes back for refilling only once nobody holds it (FileReader's job).
  struct Block : PacketBlock {
    uint8_t* base = nullptr;  // headroom bytes, then the data
    size_t len = 0;           // data bytes at base + headroom(); 0: the stream ended
    int error = 0;            // errno of a failed read (the stream ended there)
    uint64_t seq = 0;         // its place in the stream (block `seq` of the file)
  };

  // One thread reading `read` in order.
  ReadAhead(ReadFn read, size_t block_size, size_t headroom, size_t blocks);
  // `threads` threads reading block k at `start + k * block_size` with `pread`. The
  // stream ends at the first block that comes back short (the end of the file then).
  ReadAhead(PReadFn pread, uint64_t start, uint32_t threads, size_t block_size, size_t headroom,
            size_t blocks);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next block in stream order (waits for it). After one with len 0, call no more.
  Block* next();
  // Gives a block back for refilling; its bytes must not be used after this.
  void release(Block* b);
  // Ends the threads (they may be waiting for a free block) and waits for them; the
  // blocks stay, so that those a consumer holds keep their bytes. The destructor does it.
  void stop();
  size_t headroom() const { return headroom_; }
  size_t blocks() const { return blocks_.size(); }
  size_t threads() const { return threads_.size(); }

 private:
  ReadAhead(size_t block_size, size_t headroom, size_t blocks);
  void run();
  // A free block and the next place in the stream for it; false: stop, or the end is
  // already read.
  bool claim(Block*& b);
  // Reads block b->seq; false when the stream ends with it.
  bool fill(Block* b);

  ReadFn read_;
  PReadFn pread_;
  uint64_t start_ = 0;
  const size_t block_size_;
  const size_t headroom_;
  std::vector<Block> blocks_;
  std::unique_ptr<uint8_t[]> memory_;
  // Free blocks and the next block to read: taken together (one lock per block of
  // 1 MiB, never per packet), so block k always gets a block before block k + 1.
  std::mutex mutex_;
  std::vector<Block*> free_;
  uint64_t next_seq_ = 0;
  uint64_t end_seq_ = UINT64_MAX;  // no block after this one is read
  bool stopping_ = false;
  std::condition_variable free_cv_;  // the threads wait here for a free block
  Doorbell consumer_bell_;           // the consumer sleeps here while its block is not ready
  // Read blocks by seq % blocks (at most `blocks` are read and not yet taken, and their
  // seqs follow each other, so each has its own slot).
  std::unique_ptr<std::atomic<Block*>[]> ready_;
  uint64_t taken_ = 0;             // the consumer's next seq
  bool short_taken_ = false;       // positional reads: the last block taken was short
  std::atomic<bool> stop_{false};  // stopping_, for a read interrupted by a signal
  std::vector<std::thread> threads_;
};

}  // namespace netsift
