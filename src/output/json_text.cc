#include "output/json_text.h"

#include <fmt/format.h>
#include <rapidjson/internal/dtoa.h>
#include <rapidjson/internal/ieee754.h>

#include <array>
#include <cmath>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#include <tmmintrin.h>  // only in the function built for SSSE3, chosen at run time
#endif

namespace netsift {
namespace {

// Per byte: 0 = as is, else the character after the backslash ('u' = \u00XX). The
// same choices as RapidJSON's writer: control characters, '"' and '\\'; bytes >= 0x80
// pass through (UTF-8 is kept as it is).
constexpr std::array<char, 256> make_escapes() {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[size_t(c)] = 'u';
  t['\b'] = 'b';
  t['\t'] = 't';
  t['\n'] = 'n';
  t['\f'] = 'f';
  t['\r'] = 'r';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}
constexpr std::array<char, 256> kEscapes = make_escapes();

char* put_escaped(char* p, uint8_t c) {
  char e = kEscapes[c];
  if (e == 0) {
    *p++ = char(c);
    return p;
  }
  *p++ = '\\';
  *p++ = e;
  if (e == 'u') {
    static constexpr char kHex[] = "0123456789ABCDEF";
    *p++ = '0';
    *p++ = '0';
    *p++ = kHex[c >> 4];
    *p++ = kHex[c & 15];
  }
  return p;
}

#ifdef __SSE2__
// 16-byte blocks from s + i while 16 remain: each block is stored whole; when it holds
// a byte to escape, only the bytes before that one are kept, the byte is escaped, and
// the scan goes on right after it. The stores stay inside the reservation: the output
// is never behind the input and 6 * n bytes were reserved.
char* escape_blocks_sse2(const char* s, size_t n, size_t& i, char* p) {
  const __m128i below = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'),
                backslash = _mm_set1_epi8('\\');
  while (i + 16 <= n) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    __m128i special = _mm_cmpeq_epi8(_mm_min_epu8(x, below), x);  // x <= 0x1f unsigned
    special = _mm_or_si128(special, _mm_cmpeq_epi8(x, quote));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(x, backslash));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
    unsigned mask = unsigned(_mm_movemask_epi8(special));
    if (mask == 0) {
      p += 16;
      i += 16;
      continue;
    }
    unsigned k = unsigned(__builtin_ctz(mask));
    p = put_escaped(p + k, uint8_t(s[i + k]));
    i += k + 1;
  }
  return p;
}
#endif

#if defined(__SSE2__) && (defined(__x86_64__) || defined(__i386__))
#define NETSIFT_JSON_SSSE3 1
// For a mask of the 8 bytes of a half block that need a backslash in front ('"' and
// '\\'): the PSHUFB control that spreads the 8 bytes over 8 + popcount(mask) places,
// with a zero (lane index 0x80) where each backslash goes, and that output length.
struct Spread {
  std::array<std::array<uint8_t, 16>, 256> control{};
  std::array<uint8_t, 256> length{};
};
constexpr Spread make_spread() {
  Spread t;
  for (unsigned m = 0; m < 256; ++m) {
    size_t o = 0;
    for (uint8_t b = 0; b < 8; ++b) {
      if (m >> b & 1) t.control[m][o++] = 0x80;
      t.control[m][o++] = b;
    }
    t.length[m] = uint8_t(o);
    for (; o < 16; ++o) t.control[m][o] = 0x80;
  }
  return t;
}
constexpr Spread kSpread = make_spread();

// Writes the low 8 bytes of x with a backslash before each byte marked in m.
__attribute__((target("ssse3"))) inline char* spread_half(__m128i x, unsigned m, char* p) {
  const __m128i control =
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(kSpread.control[m].data()));
  __m128i y = _mm_shuffle_epi8(x, control);
  // No input byte is zero here (control characters are not), so the zeros are the gaps.
  y = _mm_or_si128(y, _mm_and_si128(_mm_cmpeq_epi8(y, _mm_setzero_si128()), _mm_set1_epi8('\\')));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), y);
  return p + kSpread.length[m];
}

// As escape_blocks_sse2, but a block whose only escapes are quotes and backslashes (text
// already escaped as \\xNN: a backslash every 4 bytes; HTML) is written in two shuffles
// instead of one round per escape. Control characters (\\u00XX) take the SSE2 way.
__attribute__((target("ssse3"))) char* escape_blocks_ssse3(const char* s, size_t n, size_t& i,
                                                           char* p) {
  const __m128i below = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'),
                backslash = _mm_set1_epi8('\\');
  while (i + 16 <= n) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    unsigned control_chars = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, below), x)));
    unsigned marked = unsigned(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash))));
    if ((control_chars | marked) == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
      p += 16;
      i += 16;
    } else if (control_chars == 0) {
      // At most 32 bytes out of 16: inside the 6 * n reserved (n >= i + 16).
      p = spread_half(x, marked & 0xff, p);
      p = spread_half(_mm_srli_si128(x, 8), marked >> 8, p);
      i += 16;
    } else {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
      unsigned k = unsigned(__builtin_ctz(control_chars | marked));
      p = put_escaped(p + k, uint8_t(s[i + k]));
      i += k + 1;
    }
  }
  return p;
}
#endif

// Any string: escapes where needed (see escape_blocks_*); outlined, the short plain case
// in append_string is the common one.
__attribute__((noinline)) void append_string_any(const char* s, size_t n, TextBuffer& out) {
  char* p = out.reserve(6 * n + 2);
  *p++ = '"';
  size_t i = 0;
#ifdef __SSE2__
#ifdef NETSIFT_JSON_SSSE3
  if (n >= 16) {
    p = __builtin_cpu_supports("ssse3") ? escape_blocks_ssse3(s, n, i, p)
                                        : escape_blocks_sse2(s, n, i, p);
  }
#else
  p = escape_blocks_sse2(s, n, i, p);
#endif
  const __m128i below = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'),
                backslash = _mm_set1_epi8('\\');
  // A tail (or short string: keys, addresses, names) of 4..15 bytes is tested as two
  // overlapping 8- or 4-byte loads in one vector, every lane a byte of the string.
  if (size_t r = n - i; r >= 4) {
    __m128i x;
    uint64_t a8 = 0, b8 = 0;
    uint32_t a4 = 0, b4 = 0;
    if (r >= 8) {
      std::memcpy(&a8, s + i, 8);
      std::memcpy(&b8, s + n - 8, 8);
      x = _mm_set_epi64x(int64_t(b8), int64_t(a8));
    } else {
      std::memcpy(&a4, s + i, 4);
      std::memcpy(&b4, s + n - 4, 4);
      x = _mm_set_epi32(int(a4), int(a4), int(b4), int(a4));
    }
    __m128i special = _mm_cmpeq_epi8(_mm_min_epu8(x, below), x);
    special = _mm_or_si128(special, _mm_cmpeq_epi8(x, quote));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(x, backslash));
    if (_mm_movemask_epi8(special) == 0) {
      if (r >= 8) {
        std::memcpy(p, &a8, 8);
        std::memcpy(p + r - 8, &b8, 8);
      } else {
        std::memcpy(p, &a4, 4);
        std::memcpy(p + r - 4, &b4, 4);
      }
      p += r;
      i = n;
    }
  }
#endif
  for (; i < n; ++i) p = put_escaped(p, uint8_t(s[i]));
  *p++ = '"';
  out.commit(p);
}

// True when no byte of x needs escaping in JSON: none below 0x20, none '"' or '\\'
// (bytes >= 0x80 pass: UTF-8 is kept). SWAR tests, exact as a whole.
constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
inline bool json_plain8(uint64_t x) {
  uint64_t below = (x - kOnes * 0x20) & ~x;
  uint64_t q = x ^ (kOnes * '"'), b = x ^ (kOnes * '\\');
  return ((below | ((q - kOnes) & ~q) | ((b - kOnes) & ~b)) & kHigh) == 0;
}

// Writes the n < 16 bytes of s to p when none needs escaping (false otherwise), with
// overlapping 8- or 4-byte loads and stores, or three bytes for strings under 4.
inline bool copy_plain_short(const char* s, size_t n, char* p) {
  if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
    if (!json_plain8(a) || !json_plain8(b)) return false;
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
    return true;
  }
  if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, s, 4);
    std::memcpy(&b, s + n - 4, 4);
    if (!json_plain8(uint64_t(a) << 32 | b)) return false;
    std::memcpy(p, &a, 4);
    std::memcpy(p + n - 4, &b, 4);
    return true;
  }
  if (n == 0) return true;
  char a = s[0], b = s[n / 2], c = s[n - 1];
  if ((kEscapes[uint8_t(a)] | kEscapes[uint8_t(b)] | kEscapes[uint8_t(c)]) != 0) return false;
  p[0] = a;
  p[n / 2] = b;
  p[n - 1] = c;
  return true;
}

inline void append_string(const char* s, size_t n, TextBuffer& out) {
  if (n < 16) {
    char* p = out.reserve(18);
    if (copy_plain_short(s, n, p + 1)) {
      p[0] = '"';
      p[n + 1] = '"';
      out.commit(p + n + 2);
      return;
    }
  }
  append_string_any(s, n, out);
}

void append_uint(uint64_t v, TextBuffer& out) {
  if (v < 10) return out.push(char('0' + v));  // flags, counts, small ids
  fmt::format_int digits(v);
  out.append({digits.data(), digits.size()});
}

}  // namespace

void TextBuffer::grow(size_t n) {
  size_t cap = std::max<size_t>(cap_ * 2, 4096);
  while (cap - size_ < n) cap *= 2;
  std::unique_ptr<char[]> bigger(new char[cap]);
  if (size_) std::memcpy(bigger.get(), data_.get(), size_);
  data_ = std::move(bigger);
  cap_ = cap;
}

char* write_json_double(double d, char* p) {
  // A whole number of microseconds (what Event::set_time stores: every timestamp and
  // duration) is printed from the integer. Below 2^33 s a double's spacing is finer than
  // a microsecond, so this decimal is the only one with six places that reads back as d.
  if (std::fabs(d) < 8e9 && !(d == 0 && std::signbit(d))) {
    double scaled = d * 1e6;
    auto near = int64_t(scaled + (scaled < 0 ? -0.5 : 0.5));
    // The product can be off by a unit near 2^33 s: the neighbours are tried too.
    for (int64_t micros : {near, near - 1, near + 1}) {
      if (double(micros) / 1e6 != d) continue;
      uint64_t m = micros < 0 ? uint64_t(-micros) : uint64_t(micros);
      if (micros < 0) *p++ = '-';
      fmt::format_int whole(m / 1000000);
      std::memcpy(p, whole.data(), whole.size());
      p += whole.size();
      *p++ = '.';
      auto frac = uint32_t(m % 1000000);
      if (frac == 0) {
        *p++ = '0';
        return p;
      }
      char digits[6];
      for (int k = 5; k >= 0; --k, frac /= 10) digits[k] = char('0' + frac % 10);
      size_t len = 6;
      while (digits[len - 1] == '0') --len;
      std::memcpy(p, digits, len);
      return p + len;
    }
  }
  return rapidjson::internal::dtoa(d, p, 6);
}

void append_json(const rapidjson::Value& v, TextBuffer& out) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out.append("null");
      return;
    case rapidjson::kFalseType:
      out.append("false");
      return;
    case rapidjson::kTrueType:
      out.append("true");
      return;
    case rapidjson::kObjectType: {
      char open = '{';  // then ',' before each later member
      for (const auto& m : v.GetObject()) {
        const char* key = m.name.GetString();
        size_t n = m.name.GetStringLength();
        char* p = out.reserve(19);
        if (n < 16 && copy_plain_short(key, n, p + 2)) {
          // The usual key: `{"name":` or `,"name":` in one step.
          p[0] = open;
          p[1] = '"';
          p[n + 2] = '"';
          p[n + 3] = ':';
          out.commit(p + n + 4);
        } else {
          out.push(open);
          append_string_any(key, n, out);
          out.push(':');
        }
        open = ',';
        append_json(m.value, out);
      }
      if (open == '{') out.push('{');
      out.push('}');
      return;
    }
    case rapidjson::kArrayType: {
      out.push('[');
      bool first = true;
      for (const auto& x : v.GetArray()) {
        if (!first) out.push(',');
        first = false;
        append_json(x, out);
      }
      out.push(']');
      return;
    }
    case rapidjson::kStringType:
      append_string(v.GetString(), v.GetStringLength(), out);
      return;
    case rapidjson::kNumberType:
      if (v.IsDouble()) {
        double d = v.GetDouble();
        if (rapidjson::internal::Double(d).IsNanOrInf()) {
          out.append("null");  // JSON has no NaN/Infinity (RapidJSON's writer would stop)
          return;
        }
        out.commit(write_json_double(d, out.reserve(32)));
      } else if (v.IsUint64()) {
        append_uint(v.GetUint64(), out);
      } else {
        out.push('-');
        append_uint(uint64_t(0) - uint64_t(v.GetInt64()), out);
      }
      return;
  }
}

}  // namespace netsift
