// LineWriter's formatting helpers against plain reference implementations: the fast
// paths (16-byte SIMD blocks, 8-byte words, fixed-size stores that overshoot) must give
// exactly what a byte-at-a-time loop gives, at every length and alignment.
#include "output/line_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace netsift {
namespace {

std::string reference_escape(const std::vector<uint8_t>& bytes, bool json) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::string bs = json ? "\\\\" : "\\";
  for (uint8_t c : bytes) {
    if (c == '"') {
      out += json ? "\\\"" : "\"";
    } else if (c == '\\') {
      out += bs + bs;
    } else if (c == '\n') {
      out += bs + "n";
    } else if (c == '\r') {
      out += bs + "r";
    } else if (c == '\t') {
      out += bs + "t";
    } else if (c < 0x20 || c >= 0x7f) {
      out += bs + "x" + kHex[c >> 4] + kHex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out;
}

std::string fast_escape(const std::vector<uint8_t>& bytes, bool json) {
  std::string out(bytes.size() * 5 + 8, '?');
  size_t n = escape_to(ByteView(bytes.data(), bytes.size()), out.data(), json);
  out.resize(n);
  return out;
}

TEST(EscapeTo, EveryByteValueInBothModes) {
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[size_t(i)] = uint8_t(i);
  EXPECT_EQ(fast_escape(all, false), reference_escape(all, false));
  EXPECT_EQ(fast_escape(all, true), reference_escape(all, true));
  EXPECT_EQ(fast_escape({'a', '"', 'b'}, false), "a\"b");
  EXPECT_EQ(fast_escape({'a', '"', 'b'}, true), "a\\\"b");
  EXPECT_EQ(fast_escape({0x00, '\r', '\n', 0xff}, false), "\\x00\\r\\n\\xff");
}

TEST(EscapeTo, MixedTextAndBinaryAtEveryLength) {
  std::mt19937 rng(7);
  for (size_t len = 0; len <= 80; ++len) {
    for (int round = 0; round < 50; ++round) {
      std::vector<uint8_t> bytes(len);
      // Mostly printable text with occasional specials, so blocks of every kind occur.
      int special_rate = round % 5;  // 0: none ... 4: often
      for (auto& b : bytes) {
        uint32_t r = rng();
        b = (special_rate && r % 8 < uint32_t(special_rate)) ? uint8_t(r >> 8)
                                                             : uint8_t(0x20 + (r >> 8) % 0x5f);
      }
      ASSERT_EQ(fast_escape(bytes, false), reference_escape(bytes, false)) << "len " << len;
      ASSERT_EQ(fast_escape(bytes, true), reference_escape(bytes, true)) << "len " << len;
    }
  }
}

std::string write_u64(uint64_t v, int padded_width = 0) {
  OutputBuffer buf(-1);
  std::string out;
  {
    LineWriter w(buf, 64);
    char* start = w.pos();
    if (padded_width) {
      w.u64_padded(v, padded_width);
    } else {
      w.u64(v);
    }
    out.assign(start, w.pos());
  }
  return out;
}

TEST(LineWriter, IntegersAtEveryDigitCount) {
  uint64_t v = 1;
  EXPECT_EQ(write_u64(0), "0");
  for (int digits = 1; digits <= 20; ++digits) {
    EXPECT_EQ(write_u64(v), std::to_string(v));
    EXPECT_EQ(write_u64(v - 1), std::to_string(v - 1));
    EXPECT_EQ(write_u64(v + 7), std::to_string(v + 7));
    if (digits < 20) v *= 10;
  }
  EXPECT_EQ(write_u64(UINT64_MAX), std::to_string(UINT64_MAX));
  for (uint64_t x = 0; x < 200000; ++x) ASSERT_EQ(write_u64(x), std::to_string(x));
  for (uint64_t p = 10; p <= 10000000000000000000ull; p *= 10) {
    for (uint64_t d : {p - 1, p, p + 1, p * 9 / 10 + 99999})
      ASSERT_EQ(write_u64(d), std::to_string(d));
    if (p == 10000000000000000000ull) break;
  }
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100000; ++i) {
    uint64_t x = rng() >> (rng() % 64);
    ASSERT_EQ(write_u64(x), std::to_string(x));
  }
}

TEST(CachedDecimal, RepeatsIncrementsCarriesAndJumps) {
  CachedDecimal cached;
  std::vector<uint64_t> values = {
      0,          0, 1,   2,    2,    9,          10,         11,         99, 100,
      101,        5, 999, 1000, 1000, 1795706597, 1795706598, 1795706598, 42, UINT64_MAX - 1,
      UINT64_MAX, 0, 1};
  for (uint64_t v = 9990; v < 10020; ++v) values.push_back(v);
  OutputBuffer buf(-1);
  for (uint64_t v : values) {
    LineWriter w(buf, 64);
    char* start = w.pos();
    cached.write(w, v);
    ASSERT_EQ(std::string(start, w.pos()), std::to_string(v));
  }
}

TEST(LineWriter, ZeroPaddedFractions) {
  EXPECT_EQ(write_u64(0, 6), "000000");
  EXPECT_EQ(write_u64(7, 6), "000007");
  EXPECT_EQ(write_u64(460123, 6), "460123");
  EXPECT_EQ(write_u64(999999999, 9), "999999999");
  EXPECT_EQ(write_u64(5, 1), "5");
  EXPECT_EQ(write_u64(42, 3), "042");
  EXPECT_EQ(write_u64(12345678, 8), "12345678");
  EXPECT_EQ(write_u64(1234567890, 10), "1234567890");
  EXPECT_EQ(write_u64(5, 12), "000000000005");
  for (uint64_t v = 0; v < 1000000; v += 7) {
    char want[8];
    std::snprintf(want, sizeof want, "%06u", unsigned(v));
    ASSERT_EQ(write_u64(v, 6), want);
  }
}

TEST(LineWriter, StringsOfEveryLengthUpTo40) {
  std::string source;
  for (int i = 0; i < 40; ++i) source.push_back(char('a' + i % 26));
  for (size_t n = 0; n <= source.size(); ++n) {
    OutputBuffer buf(-1);
    LineWriter w(buf, 128);
    char* start = w.pos();
    w.ch('<');
    w.str(std::string_view(source).substr(0, n));
    w.ch('>');
    std::string want(1, '<');
    want.append(source, 0, n);
    want.push_back('>');
    ASSERT_EQ(std::string(start, w.pos()), want);
  }
}

}  // namespace
}  // namespace netsift
