#include "flow/tcp_stream.h"

#include <algorithm>
#include <cstring>

namespace netsift {

void TcpStream::on_syn(uint32_t seq) {
  if (started_) return;
  started_ = true;
  next_seq_ = seq + 1;
  next_off_ = 0;
}

void TcpStream::on_segment(uint32_t seq, ByteView data, bool fin) {
  if (!started_) {  // picked up mid-stream: the first byte we see is offset 0
    started_ = true;
    next_seq_ = seq;
    next_off_ = 0;
  }
  int64_t off = offset_of(seq);
  int64_t end = off + int64_t(data.size());
  if (fin && !fin_seen_ && end >= 0) {
    fin_seen_ = true;
    fin_off_ = uint64_t(end);
  }
  if (data.empty()) return;
  if (end <= int64_t(next_off_)) {  // everything already delivered: a retransmission
    stats_.retransmitted_bytes += data.size();
    compare_delivered(off, data);
    return;
  }
  if (off < int64_t(next_off_)) {
    size_t cut = size_t(int64_t(next_off_) - off);
    stats_.retransmitted_bytes += cut;
    compare_delivered(off, data.first(cut));
    data = data.subspan(cut);
    off = int64_t(next_off_);
  }
  if (fin_seen_) {  // nothing counts after the FIN
    if (uint64_t(off) >= fin_off_) return;
    if (uint64_t(off) + data.size() > fin_off_) data = data.first(size_t(fin_off_ - uint64_t(off)));
  }
  if (uint64_t(off) == next_off_ && held_.empty()) {
    deliver(data);
    return;
  }
  hold(uint64_t(off), data);
  drain();
  while (!held_.empty() && (held_bytes_ > max_held_ || budget_.over())) {
    stats_.cap_dropped_bytes += held_.begin()->first - next_off_;
    skip_to_first_held();
  }
}

void TcpStream::on_peer_ack(uint32_t ack) {
  if (!started_ || held_.empty()) return;
  int64_t acked = offset_of(ack);
  if (acked > int64_t(next_off_) && int64_t(held_.begin()->first) <= acked) skip_to_first_held();
}

void TcpStream::on_lost(uint32_t seq, uint32_t length) {
  if (!started_ || offset_of(seq) != int64_t(next_off_)) return;  // not next: a hole anyway
  skip_gap(length);
  drain();
}

void TcpStream::flush() {
  while (!held_.empty()) skip_to_first_held();
  if (fin_seen_ && next_off_ < fin_off_) skip_gap(fin_off_ - next_off_);
}

void TcpStream::skip_gap(uint64_t missing) {
  ++stats_.gaps;
  stats_.gap_bytes += missing;
  receiver_.on_stream_gap(dir_, next_off_, missing);
  next_seq_ += uint32_t(missing);
  next_off_ += missing;
  recent_from_ = next_off_;  // the ring holds nothing for the missing bytes
}

void TcpStream::compare_delivered(int64_t off, ByteView data) {
  if (!recent_) return;
  int64_t from =
      std::max<int64_t>({off, int64_t(recent_from_), int64_t(next_off_) - int64_t(kRecent)});
  int64_t to = std::min<int64_t>(off + int64_t(data.size()), int64_t(next_off_));
  if (from >= to) return;
  ++stats_.overlaps;
  for (int64_t o = from; o < to; ++o) {
    if (recent_[uint64_t(o) % kRecent] != data[size_t(o - off)]) {
      ++stats_.conflicting_overlaps;
      return;
    }
  }
}

void TcpStream::deliver(ByteView data) {
  if (!recent_ && budget_.used() + kRecent <= budget_.cap() / 2 && budget_.can_take(kRecent)) {
    recent_ = std::make_unique<uint8_t[]>(kRecent);
    budget_.held += kRecent;
    recent_from_ = next_off_;
  }
  if (recent_) {
    ByteView last = data.size() > kRecent ? data.last(kRecent) : data;
    uint64_t at = next_off_ + (data.size() - last.size());
    size_t first = std::min<size_t>(last.size(), size_t(kRecent - at % kRecent));
    std::memcpy(recent_.get() + at % kRecent, last.data(), first);
    std::memcpy(recent_.get(), last.data() + first, last.size() - first);
  }
  receiver_.on_stream_data(dir_, next_off_, data);
  next_off_ += data.size();
  next_seq_ += uint32_t(data.size());
  stats_.bytes_delivered += data.size();
}

void TcpStream::hold(uint64_t off, ByteView data) {
  const uint64_t end = off + data.size();
  uint64_t pos = off;
  auto compare = [&](uint64_t seg_start, const std::vector<uint8_t>& seg, uint64_t from,
                     uint64_t to) {
    ++stats_.overlaps;
    if (std::memcmp(seg.data() + (from - seg_start), data.data() + (from - off), to - from) != 0) {
      ++stats_.conflicting_overlaps;
    }
  };
  auto insert = [&](uint64_t from, uint64_t to) {
    const uint8_t* p = data.data() + (from - off);
    held_.emplace(from, std::vector<uint8_t>(p, p + (to - from)));
    held_bytes_ += to - from;
    budget_.held += to - from;
  };
  // A held segment starting before `off` may cover its beginning.
  auto it = held_.upper_bound(pos);
  if (it != held_.begin()) {
    auto prev = std::prev(it);
    uint64_t prev_end = prev->first + prev->second.size();
    if (prev_end > pos) {
      uint64_t to = std::min(prev_end, end);
      compare(prev->first, prev->second, pos, to);  // first data wins: keep what was held
      pos = to;
    }
  }
  while (pos < end) {
    it = held_.lower_bound(pos);
    uint64_t next_start = it == held_.end() ? end : std::min(it->first, end);
    if (next_start > pos) {
      insert(pos, next_start);
      pos = next_start;
    }
    if (pos < end && it != held_.end() && it->first == pos) {
      uint64_t to = std::min<uint64_t>(it->first + it->second.size(), end);
      compare(it->first, it->second, pos, to);
      pos = to;
    }
  }
}

void TcpStream::drain() {
  while (!held_.empty()) {
    auto it = held_.begin();
    if (it->first > next_off_) break;
    uint64_t seg_end = it->first + it->second.size();
    if (seg_end > next_off_) {
      deliver(ByteView(it->second).subspan(size_t(next_off_ - it->first)));
    }
    held_bytes_ -= it->second.size();
    budget_.release(it->second.size());
    held_.erase(it);
  }
}

void TcpStream::skip_to_first_held() {
  if (held_.empty()) return;
  uint64_t first = held_.begin()->first;
  if (first > next_off_) skip_gap(first - next_off_);
  drain();
}

}  // namespace netsift
