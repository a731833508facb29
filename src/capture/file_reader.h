// Streaming reader for pcap (both byte orders, micro- and nanosecond), pcapng
// (SHB/IDB/EPB/SPB/obsolete PB, per-interface link type and if_tsresol/if_tsoffset,
// several sections, unknown blocks skipped), and Microsoft NetMon 2.x (Ethernet). Files,
// pipes and stdin are read() into a recycled 512 KiB block that grows only to the largest
// record seen (capped), never with the file size; NetMon files, which are read through
// a frame table, through a sliding 32 MiB map. gzip-compressed
// files and streams are inflated on the fly (zlib).
//
// Packets read into a block name it (RawPacket::block), so a consumer may hold it rather
// than copy the packet (capture/raw_packet.h, PacketBlock). While the current block is
// held, the reader reads on after its end, then into a spare block (the unread tail of
// a record copied over); blocks are reused once no longer held. Unheld, one block is
// all there is, as before.
//
// Large regular files are instead read (and inflated) a few blocks ahead on a second
// thread when a core is spare for it (capture/read_ahead.h); those blocks are lent the
// same way when the run's consumer holds blocks (`sessions --workers`), and go back to
// the thread once nobody holds them.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/raw_packet.h"
#include "capture/read_ahead.h"

namespace netsift {

// Whether FileReader reads a regular file ahead on a second thread, and in what blocks.
struct ReadAheadPolicy {
  // Auto: when this process may use a core beyond the reader's and `other_threads`' and
  // the file is large enough to repay the thread.
  enum class Mode { Auto, Off, On } mode = Mode::Auto;
  uint32_t other_threads = 0;  // busy threads of the run besides the reader (workers)
  // The consumer holds packets' blocks (RawPacket::block) past the next packet: read
  // ahead in more blocks (held ones cannot be refilled), and with several cores even
  // when workers occupy all of them, as the reader is then what bounds the run.
  bool lending = false;
  // Held blocks stay out of the thread's reach: the session workers hold up to ~12 of
  // 1 MiB (4 rounds of ~3), and the thread needs a few besides.
  size_t lending_blocks = 24;
  // 1 MiB x 4 measured best on the 1 GB bench capture (256 KiB to 2 MiB within 5 %).
  // Threads reading a regular file ahead (positional reads; a .gz has one): 0 = auto,
  // with lending one more for each 8 cores, at most 4 (with many workers the copy out
  // of the page cache on one thread bounds the run), else one.
  uint32_t threads = 0;
  size_t block = 1u << 20;
  size_t headroom = (256u << 10) + 64;  // a record cut by a block end up to this size is
  size_t blocks = 4;                    // not copied again (larger ones are)
};

class FileReader final : public PacketSource {
 public:
  // Largest single record we accept; bigger ones are reported as corruption.
  static constexpr size_t kMaxRecord = 256u << 20;

  // path "-" reads standard input.
  explicit FileReader(std::string path, ReadAheadPolicy read_ahead = {});
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Opens the file and reads its header; false with error() set on failure.
  bool open();
  // A read from a pipe or terminal that a signal interrupts while `*stop` is set ends
  // the input (next() says End), so SIGINT/SIGTERM stop a quiet `-r -` at once.
  void stop_on(const std::atomic<bool>* stop) { stop_ = stop; }
  Status next(RawPacket& out) override;
  const std::string& error() const override { return error_; }
  std::string name() const override { return path_; }
  uint64_t position() const override { return file_offset_; }
  uint64_t size() const override { return file_size_; }
  int fixed_linktype() const override;
  // The consumer reads no more of this file: stops reading ahead, and frees the blocks
  // no consumer holds any more (called again as it lets go of others).
  void trim() override;

 private:
  struct Interface {
    uint16_t linktype = 0;
    // timestamp units per second as a power: value = ts * 10^-n or 2^-n
    bool tsresol_binary = false;
    uint8_t tsresol_exp = 6;
    int64_t tsoffset_sec = 0;
  };
  enum class Format { Unknown, Pcap, Pcapng, Netmon };

  // Whether `m` is a pcap magic read in the file's own byte order.
  static bool native_pcap_magic(uint32_t m);
  // Whether `le` (4 bytes read little-endian) is a pcap magic in either byte order.
  static bool is_pcap_magic(uint32_t le);
  // Whether a pcap file header (magic, version 2.4) starts at data_[pos_].
  bool pcap_header_follows() const;
  // A pcapng section header block at pos_.
  bool section_header_follows() const;
  // Makes at least n bytes available at data_[pos_]; false at EOF/short read.
  bool fill(size_t n);
  bool fill_ahead(size_t n);
  void start_read_ahead();
  void stop_read_ahead();
  // The thread has ended: the current block is retired, and the blocks stay only while a
  // consumer holds some (ended_ahead_).
  void end_read_ahead();
  bool want_read_ahead(uint64_t size, bool compressed) const;
  uint32_t read_ahead_threads() const;
  // read(2), or inflated bytes for gzip input; 0 at the end (or on corrupt gzip data).
  ssize_t read_some(uint8_t* dst, size_t n);
  bool remap(size_t n);
  // Makes the current block one of at least n bytes with [pos_, end_) at its start.
  void move_to_spare(size_t n);
  // Makes the unheld current block one of at least n bytes, keeping [0, end_).
  void grow_block(size_t n);
  // The block a packet just read may be held in; null while reading ahead, and for a
  // block grown past kMaxLentBlock by a large record: consumers bound how many blocks
  // they hold, so each must stay small (the packet is copied instead).
  static constexpr size_t kMaxLentBlock = 2u << 20;
  PacketBlock* lendable() const {
    if (ahead_)
      return lend_ahead_ && ahead_block_ && data_ == ahead_block_->base ? ahead_block_ : nullptr;
    return cur_->size > kMaxLentBlock ? nullptr : cur_;
  }
  // A read-ahead block the reader has moved past: back to the thread, or kept until no
  // consumer holds it.
  void retire(ReadAhead::Block* b);
  void release_unheld();
  Status fail(const std::string& what, uint64_t at);
  Status next_pcap(RawPacket& out);
  Status next_pcapng(RawPacket& out);
  bool read_pcap_header();
  bool read_netmon_header();
  // Maps [offset, offset + n) of a regular file into view at data_[pos_].
  bool seek(uint64_t offset, size_t n);
  Status next_netmon(RawPacket& out);
  // pcapng block handlers; `body` excludes type, both lengths.
  bool on_section_header(ByteView block);
  bool on_interface(ByteView body, uint64_t at);
  TimestampNs convert_ts(const Interface& ifc, uint64_t units) const;

  struct Gunzip;
  std::string path_;
  std::string error_;
  std::unique_ptr<Gunzip> gz_;
  ReadAheadPolicy read_ahead_;
  // Set while read ahead: data_ is then ahead_block_'s memory, or cur_'s after a record
  // larger than the headroom.
  bool ahead_wanted_ = false;  // start reading ahead at the first next()
  std::unique_ptr<ReadAhead> ahead_;
  ReadAhead::Block* ahead_block_ = nullptr;
  bool lend_ahead_ = false;                 // packets in ahead_block_ may be lent
  std::vector<ReadAhead::Block*> retired_;  // moved past, still held by a consumer
  std::unique_ptr<ReadAhead> ended_ahead_;  // after the end: kept while blocks are held
  int fd_ = -1;
  bool owns_fd_ = false;
  bool eof_ = false;
  const std::atomic<bool>* stop_ = nullptr;
  bool interrupted_ = false;  // a stop request ended a read: the input ends there
  // Files, pipes and stdin are read() into cur_; NetMon files are memory-mapped a window
  // at a time (map_). data_ points at whichever holds the bytes.
  bool mapped_ = false;
  void* map_ = nullptr;
  size_t map_len_ = 0;
  uint64_t map_offset_ = 0;  // file offset of map_
  struct Block : PacketBlock {
    std::unique_ptr<uint8_t[]> bytes;
    size_t size = 0;
  };
  std::vector<std::unique_ptr<Block>> blocks_;  // the current one and spares (maybe held)
  Block* cur_ = nullptr;
  const uint8_t* data_ = nullptr;
  size_t pos_ = 0;            // start of unconsumed data in data_
  size_t end_ = 0;            // end of valid data in data_
  uint64_t file_offset_ = 0;  // file offset of data_[pos_]
  uint64_t file_size_ = 0;
  Format format_ = Format::Unknown;
  // pcap
  bool swapped_ = false;
  bool nanos_ = false;
  bool kuznetsov_ = false;
  uint16_t pcap_linktype_ = 0;
  // pcapng
  bool ng_big_endian_ = false;
  std::vector<Interface> interfaces_;
  // NetMon 2.x
  TimestampNs netmon_start_ = 0;
  std::vector<uint32_t> netmon_frames_;
  size_t netmon_next_ = 0;
};

}  // namespace netsift
