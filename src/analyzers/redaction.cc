#include "analyzers/redaction.h"

#include <algorithm>
#include <string_view>

namespace netsift {

void Redaction::add_range(Dir dir, uint64_t offset, uint64_t length) {
  if (length == 0) return;
  Side& s = sides_[size_t(dir)];
  Range r{offset, offset + length};
  auto it = std::lower_bound(s.ranges.begin(), s.ranges.end(), r.begin,
                             [](const Range& a, uint64_t b) { return a.end < b; });
  // Merge with every range it touches.
  auto last = it;
  while (last != s.ranges.end() && last->begin <= r.end) {
    r.begin = std::min(r.begin, last->begin);
    r.end = std::max(r.end, last->end);
    ++last;
  }
  it = s.ranges.erase(it, last);
  s.ranges.insert(it, r);
  if (s.ranges.size() > kMaxRanges) {
    // Join the two neighbours closest together: the bytes between them are masked too.
    size_t best = 0;
    for (size_t i = 1; i + 1 < s.ranges.size(); ++i) {
      if (s.ranges[i + 1].begin - s.ranges[i].end < s.ranges[best + 1].begin - s.ranges[best].end)
        best = i;
    }
    s.ranges[best].end = s.ranges[best + 1].end;
    s.ranges.erase(s.ranges.begin() + long(best) + 1);
  }
}

void Redaction::add_value(Dir dir, uint64_t from, ByteView value) {
  if (value.empty()) return;
  Side& s = sides_[size_t(dir)];
  std::string_view v(reinterpret_cast<const char*>(value.data()), value.size());
  for (const auto& known : s.values) {
    if (known.bytes == v) return;
  }
  if (s.values.size() >= kMaxValues || value.size() > kMaxValueBytes) {
    s.mask_from = std::min(s.mask_from, from);
    return;
  }
  s.values.push_back({from, std::string(v)});
}

void Redaction::apply(Dir dir, uint64_t offset, std::span<uint8_t> bytes) const {
  const Side& s = sides_[size_t(dir)];
  uint64_t end = offset + bytes.size();
  auto mask = [&](uint64_t b, uint64_t e) {
    b = std::max(b, offset);
    e = std::min(e, end);
    if (b < e) std::fill(bytes.begin() + long(b - offset), bytes.begin() + long(e - offset), kMask);
  };
  auto it = std::lower_bound(s.ranges.begin(), s.ranges.end(), offset,
                             [](const Range& a, uint64_t b) { return a.end <= b; });
  for (; it != s.ranges.end() && it->begin < end; ++it) mask(it->begin, it->end);
  if (s.mask_from < end) mask(s.mask_from, end);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  for (const auto& v : s.values) {
    // Occurrences are found before masking others: search a stable copy of the view.
    for (size_t at = text.find(v.bytes); at != std::string_view::npos;
         at = text.find(v.bytes, at + 1)) {
      if (offset + at >= v.from) mask(offset + at, offset + at + v.bytes.size());
    }
  }
}

bool Redaction::empty() const {
  for (const auto& s : sides_) {
    if (!s.ranges.empty() || !s.values.empty() || s.mask_from != UINT64_MAX) return false;
  }
  return true;
}

}  // namespace netsift
