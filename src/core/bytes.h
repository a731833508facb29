// Byte views and bounds-checked big/little-endian loads used by every wire parser.
// Nothing here owns memory: a ByteView borrows bytes whose owner outlives the view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace netsift {

using ByteView = std::span<const uint8_t>;

inline uint16_t load_be16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint64_t load_be64(const uint8_t* p) {
  return uint64_t(load_be32(p)) << 32 | load_be32(p + 4);
}
inline uint16_t load_le16(const uint8_t* p) {
  return uint16_t(p[1] << 8 | p[0]);
}
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0];
}
inline uint64_t load_le64(const uint8_t* p) {
  return uint64_t(load_le32(p + 4)) << 32 | load_le32(p);
}

inline std::string_view as_chars(ByteView v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}
inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Bytes to pass over (a message skipped by its length) that may run past what is at
// hand: moves `pos` over what it can of [pos, size) and counts `left` down.
inline void pass_over(uint64_t& left, size_t& pos, size_t size) {
  size_t n = size - pos < left ? size - pos : size_t(left);
  pos += n;
  left -= n;
}

// A read cursor over wire bytes. Every read checks bounds; a failed read sets the
// cursor to failed, returns 0 and leaves it failed, so parsers can read a whole header
// and check ok() once. It never throws.
class Cursor {
 public:
  explicit Cursor(ByteView data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t offset() const { return pos_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  ByteView rest() const { return ok_ ? data_.subspan(pos_) : ByteView{}; }

  bool has(size_t n) {
    if (ok_ && data_.size() - pos_ >= n) return true;
    ok_ = false;
    return false;
  }
  uint8_t u8() { return has(1) ? data_[pos_++] : 0; }
  uint16_t be16() { return take_fixed<2>(load_be16); }
  uint32_t be32() { return take_fixed<4>(load_be32); }
  uint64_t be64() { return take_fixed<8>(load_be64); }
  uint16_t le16() { return take_fixed<2>(load_le16); }
  uint32_t le32() { return take_fixed<4>(load_le32); }
  uint64_t le64() { return take_fixed<8>(load_le64); }
  ByteView bytes(size_t n) {
    if (!has(n)) return {};
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  void skip(size_t n) { (void)bytes(n); }
  // A NUL-terminated string (the NUL consumed, not included); without a NUL the cursor
  // fails.
  bool cstring(ByteView& out) {
    ByteView tail = rest();
    const void* nul = tail.empty() ? nullptr : std::memchr(tail.data(), 0, tail.size());
    if (!nul) {
      ok_ = false;
      return false;
    }
    out = bytes(size_t(static_cast<const uint8_t*>(nul) - tail.data()));
    pos_ += 1;
    return true;
  }

 private:
  template <size_t N, typename F>
  auto take_fixed(F load) -> decltype(load(nullptr)) {
    if (!has(N)) return 0;
    auto v = load(data_.data() + pos_);
    pos_ += N;
    return v;
  }

  ByteView data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace netsift
