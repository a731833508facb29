// Writes one output record straight into memory reserved in an OutputBuffer: no bounds
// checks per field, no allocation. The caller reserves a worst-case size up front
// (every field here has a known maximum length) and gives back the unused tail.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/bytes.h"
#include "core/ip_address.h"
#include "output/output_buffer.h"

namespace netsift {

namespace detail {
constexpr std::array<char, 200> make_digit_pairs() {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[size_t(i * 2)] = char('0' + i / 10);
    t[size_t(i * 2 + 1)] = char('0' + i % 10);
  }
  return t;
}
inline constexpr std::array<char, 200> kDigitPairs = make_digit_pairs();
}  // namespace detail

// Printable ASCII as is, \\ \r \n \t escaped, other bytes \xNN (at most 4 chars a byte).
// With `json`, the escapes' backslashes and '"' are escaped again so the result can sit
// inside a JSON string (at most 5 chars a byte). `out` needs room for 5 * size + 8
// characters (8-byte stores may run past the end). Returns the characters written.
size_t escape_to(ByteView bytes, char* out, bool json);

// Fields may be stored with a few bytes (at most 8) of overshoot past their text, which
// the next field overwrites: reserve that much beyond the longest possible record.
class LineWriter {
 public:
  LineWriter(OutputBuffer& out, size_t max_size)
      : out_(out), reserved_(max_size), start_(out.reserve(max_size)), p_(start_) {
    out_.writer_opened();
  }
  ~LineWriter() {
    out_.shrink_by(reserved_ - size_t(p_ - start_));
    out_.writer_closed();
  }
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  template <size_t N>
  void lit(const char (&s)[N]) {
    std::memcpy(p_, s, N - 1);
    p_ += N - 1;
  }
  void str(std::string_view s) {
    // Most strings here are short names: two overlapping fixed-size copies beat both a
    // byte loop and a call to memcpy, and never read past the source.
    const char* from = s.data();
    const size_t n = s.size();
    if (n >= 16 && n <= 32) {
      std::memcpy(p_, from, 16);
      std::memcpy(p_ + n - 16, from + n - 16, 16);
    } else if (n >= 8 && n < 16) {
      std::memcpy(p_, from, 8);
      std::memcpy(p_ + n - 8, from + n - 8, 8);
    } else if (n >= 4 && n < 8) {
      std::memcpy(p_, from, 4);
      std::memcpy(p_ + n - 4, from + n - 4, 4);
    } else if (n < 4) {
      for (size_t i = 0; i < n; ++i) p_[i] = from[i];
    } else {
      std::memcpy(p_, from, n);
    }
    p_ += n;
  }
  void ch(char c) { *p_++ = c; }
  void u64(uint64_t v) {
    // Digits are written backwards straight into place: no temporary, no memcpy call.
    const auto& kPairs = detail::kDigitPairs;
    const int digits = decimal_digits(v);
    char* q = p_ + digits;
    p_ = q;
    while (v >= 100) {
      q -= 2;
      std::memcpy(q, &kPairs[(v % 100) * 2], 2);
      v /= 100;
    }
    if (v >= 10) {
      std::memcpy(q - 2, &kPairs[v * 2], 2);
    } else {
      q[-1] = char('0' + v);
    }
  }
  // Zero-padded to `width` digits (for fractions); v < 10^width.
  void u64_padded(uint64_t v, int width) {
    char* q = p_ + width;
    p_ = q;
    for (; width >= 2; width -= 2) {
      q -= 2;
      std::memcpy(q, &detail::kDigitPairs[(v % 100) * 2], 2);
      v /= 100;
    }
    if (width) q[-1] = char('0' + v % 10);
  }
  void address(const IpAddress& a) { p_ += format_address(a, p_); }
  void mac(const uint8_t* m) {
    format_mac(m, p_);
    p_ += 17;
  }
  // See escape_to(); the caller's reserved size must allow for it.
  void escaped(ByteView bytes, bool json = false) { p_ += escape_to(bytes, p_, json); }
  char* pos() { return p_; }
  void advance(size_t n) { p_ += n; }

 private:
  static int decimal_digits(uint64_t v) {
    int n = 1;
    for (;;) {
      if (v < 10) return n;
      if (v < 100) return n + 1;
      if (v < 1000) return n + 2;
      if (v < 10000) return n + 3;
      v /= 10000;
      n += 4;
    }
  }

  OutputBuffer& out_;
  size_t reserved_;
  char* start_;
  char* p_;
};

}  // namespace netsift
