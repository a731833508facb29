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
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    __m128i special = _mm_cmpeq_epi8(_mm_min_epu8(x, below), x);  // x <= 0x1f unsigned
    special = _mm_or_si128(special, _mm_cmpeq_epi8(x, quote));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(x, backslash));
    if (_mm_movemask_epi8(special) == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
      p += 16;
      continue;
    }
    for (size_t k = 0; k < 16; ++k) p = put_escaped(p, uint8_t(s[i + k]));
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
