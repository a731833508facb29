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
// "0000".."9999": four digits per division keeps long numbers (sequence numbers, epoch
// seconds) to two or three steps.
constexpr std::array<char, 40000> make_digit_quads() {
  std::array<char, 40000> t{};
  for (int i = 0; i < 10000; ++i) {
    t[size_t(i * 4)] = char('0' + i / 1000);
    t[size_t(i * 4 + 1)] = char('0' + i / 100 % 10);
    t[size_t(i * 4 + 2)] = char('0' + i / 10 % 10);
    t[size_t(i * 4 + 3)] = char('0' + i % 10);
  }
  return t;
}
inline constexpr std::array<char, 40000> kDigitQuads = make_digit_quads();
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
    // Most values fit 32 bits, whose divisions by 100 are cheaper multiplications.
    if (v <= UINT32_MAX) {
      put_decimal(uint32_t(v));
    } else {
      put_decimal(v);
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
  // Digits are written backwards straight into place: no temporary, no memcpy call.
  template <typename T>
  void put_decimal(T v) {
    const auto& kPairs = detail::kDigitPairs;
    char* q = p_ + decimal_digits(v);
    p_ = q;
    while (v >= 10000) {
      q -= 4;
      std::memcpy(q, &detail::kDigitQuads[(v % 10000) * 4], 4);
      v /= 10000;
    }
    if (v >= 100) {
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
  template <typename T>
  static int decimal_digits(T v) {
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

// A counter-like value printed on every record (frame number, epoch second): when it
// repeats or grows by one, its digits are reused or incremented in place instead of
// being converted again.
class CachedDecimal {
 public:
  void write(LineWriter& w, uint64_t v) {
    bool reusable = len_ != 0 && (v == value_ || (v == value_ + 1 && v != 0 && increment()));
    value_ = v;
    if (reusable) {
      w.str({text_, len_});
      return;
    }
    char* start = w.pos();
    w.u64(v);
    len_ = size_t(w.pos() - start);
    std::memcpy(text_, start, len_);
  }

 private:
  // Adds one to the digits; false when that needs one more digit (then re-rendered).
  bool increment() {
    for (size_t i = len_; i-- > 0;) {
      if (text_[i] != '9') {
        ++text_[i];
        return true;
      }
      text_[i] = '0';
    }
    return false;
  }

  uint64_t value_ = 0;
  char text_[32] = {};  // 20 digits at most; str() may copy 16-byte blocks
  size_t len_ = 0;
};

}  // namespace netsift
