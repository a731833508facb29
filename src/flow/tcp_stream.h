// Reassembly of one direction of a TCP connection. Bytes are handed to the receiver in
// sequence order as soon as they are contiguous: in-order segments straight from the
// packet (no copy), out-of-order ones held (copied, bounded) until the hole fills.
// Overlaps keep the bytes that arrived first; differing overlapping bytes are counted
// as conflicts. Holes that will not fill (capture loss) are skipped and reported as gaps.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/buffer_budget.h"
#include "core/bytes.h"

namespace netsift {

class StreamReceiver {
 public:
  virtual ~StreamReceiver() = default;
  // `offset` counts stream bytes from the first byte seen (0 = first data byte after SYN).
  virtual void on_stream_data(int dir, uint64_t offset, ByteView data) = 0;
  virtual void on_stream_gap(int dir, uint64_t offset, uint64_t length) = 0;
};

struct StreamStats {
  uint64_t bytes_delivered = 0;
  uint64_t gaps = 0;
  uint64_t gap_bytes = 0;
  uint64_t retransmitted_bytes = 0;
  uint64_t overlaps = 0;
  uint64_t conflicting_overlaps = 0;
  uint64_t cap_dropped_bytes = 0;
};

class TcpStream {
 public:
  TcpStream(int dir, StreamReceiver& receiver, BufferBudget& budget, uint64_t max_held)
      : dir_(dir), receiver_(receiver), budget_(budget), max_held_(max_held) {}
  ~TcpStream() { budget_.release(held_bytes_ + (recent_ ? kRecent : 0)); }
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  // A SYN fixes the initial sequence number (the SYN itself takes one number).
  void on_syn(uint32_t seq);
  // A segment with payload `data` at sequence `seq`; `fin` when it carries FIN.
  void on_segment(uint32_t seq, ByteView data, bool fin);
  // The peer acknowledged up to `ack`: bytes before it that we never saw were lost
  // by the capture, so a hole before held data is skipped now rather than later.
  void on_peer_ack(uint32_t ack);
  // Bytes at `seq` that were on the wire but not captured (snaplen): a gap now.
  void on_lost(uint32_t seq, uint32_t length);
  // End of the connection: everything held is delivered, holes reported as gaps.
  void flush();

  bool started() const { return started_; }
  // Whether `seq` falls in the sequence space this direction has covered since it
  // started (from its first byte to the next expected one): a SYN whose first data
  // byte would lie elsewhere belongs to another connection.
  bool covers(uint32_t seq) const {
    int64_t off = offset_of(seq);
    return started_ && off >= 0 && uint64_t(off) <= next_off_;
  }
  // Where `seq` lies from the next expected byte: < 0 delivered already, 0 next,
  // > 0 beyond it (only meaningful once started).
  int64_t ahead_of_next(uint32_t seq) const { return int32_t(seq - next_seq_); }
  // Whether an acknowledgment number covers bytes (or a FIN) this direction has not
  // carried yet.
  bool acks_beyond(uint32_t ack) const {
    return held_.empty() && ahead_of_next(ack) > (fin_reached() ? 1 : 0);
  }
  bool fin_seen() const { return fin_seen_; }
  // Whether it acknowledges exactly what this direction has carried (its FIN too).
  bool acks_all(uint32_t ack) const {
    return held_.empty() && ahead_of_next(ack) == (fin_reached() ? 1 : 0);
  }
  bool fin_reached() const { return fin_seen_ && next_off_ >= fin_off_; }
  const StreamStats& stats() const { return stats_; }
  uint64_t held_bytes() const { return held_bytes_; }
  // Delivered bytes kept to check retransmissions (counted in the budget too).
  uint64_t recent_bytes() const { return recent_ ? kRecent : 0; }

 private:
  // Delivered bytes kept to compare with a retransmission of them: "GOOD" then "EVIL"
  // at the same sequence number is a conflicting overlap even once "GOOD" went out.
  // Allocated on the first delivery while the global budget is less than half used.
  static constexpr uint64_t kRecent = 4096;
  // Compares `data` at stream offset `off` with the delivered bytes still kept.
  void compare_delivered(int64_t off, ByteView data);
  // Offset in the stream of sequence number `seq`, relative to the next expected byte.
  int64_t offset_of(uint32_t seq) const { return int64_t(next_off_) + int32_t(seq - next_seq_); }
  void deliver(ByteView data);
  // Reports `missing` bytes at the next offset as a gap and moves past them.
  void skip_gap(uint64_t missing);
  void hold(uint64_t off, ByteView data);
  void drain();
  void skip_to_first_held();

  int dir_;
  StreamReceiver& receiver_;
  BufferBudget& budget_;
  uint64_t max_held_;
  bool started_ = false;
  uint32_t next_seq_ = 0;  // sequence number of the next byte to deliver
  uint64_t next_off_ = 0;  // its stream offset
  bool fin_seen_ = false;
  uint64_t fin_off_ = 0;
  std::map<uint64_t, std::vector<uint8_t>> held_;  // out-of-order data by offset
  uint64_t held_bytes_ = 0;
  std::unique_ptr<uint8_t[]> recent_;  // ring: the byte at offset o is at o % kRecent
  uint64_t recent_from_ = 0;           // first offset kept
  StreamStats stats_;
};

}  // namespace netsift
