#include "output/json_text.h"

#include <fmt/format.h>
#include <rapidjson/internal/dtoa.h>
#include <rapidjson/internal/ieee754.h>

#include <array>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
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

void append_string(const char* s, size_t n, TextBuffer& out) {
  char* p = out.reserve(6 * n + 2);
  *p++ = '"';
  size_t i = 0;
#ifdef __SSE2__
  const __m128i below = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'),
                backslash = _mm_set1_epi8('\\');
  // Each 16-byte block is stored whole; when it holds a byte to escape, only the bytes
  // before that one are kept, the byte is escaped, and the scan goes on right after it.
  // Data already escaped as \xNN (a backslash every 4 bytes) costs an iteration per
  // backslash instead of a table step per byte. The stores stay inside the reservation:
  // the output is never behind the input and 6 * n bytes were reserved.
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

void append_uint(uint64_t v, TextBuffer& out) {
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
      out.push('{');
      bool first = true;
      for (const auto& m : v.GetObject()) {
        if (!first) out.push(',');
        first = false;
        append_string(m.name.GetString(), m.name.GetStringLength(), out);
        out.push(':');
        append_json(m.value, out);
      }
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
        char* p = out.reserve(32);
        out.commit(rapidjson::internal::dtoa(d, p, 6));
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
