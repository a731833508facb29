#include "output/line_writer.h"

#include <array>
#include <bit>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static_assert(std::endian::native == std::endian::little,
              "escape tables assume little-endian stores");

namespace netsift {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// True when all 8 bytes are printable ASCII other than '\\' and '"', so they can be
// copied as they are (SWAR: no byte < 0x20, none >= 0x7f, none equal to 0x5c or 0x22).
inline bool plain8(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
  uint64_t high = (x + kOnes * 0x01) & kHigh;  // >= 0x7f (0x7f + 1 sets the top bit)
  high |= x & kHigh;
  uint64_t bs = x ^ (kOnes * 0x5c), quote = x ^ (kOnes * 0x22);
  uint64_t is_bs = (bs - kOnes) & ~bs & kHigh;
  uint64_t is_quote = (quote - kOnes) & ~quote & kHigh;
  return (below_space | high | is_bs | is_quote) == 0;
}

// Per byte: its escaped form (up to 8 characters, unused ones zero) and its length, for
// plain text and for text inside a JSON string. Writing all 8 bytes and advancing by
// the length keeps the loop free of branches.
struct EscapeTable {
  std::array<uint64_t, 256> code{};
  std::array<uint8_t, 256> len{};
};

constexpr EscapeTable make_escape_table(bool json) {
  EscapeTable t;
  for (int c = 0; c < 256; ++c) {
    char out[8] = {};
    int n = 0;
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out[n++] = char(c);
    } else if (c == '"') {
      if (json) out[n++] = '\\';
      out[n++] = '"';
    } else {
      out[n++] = '\\';
      if (json) out[n++] = '\\';
      if (c == '\\') {
        out[n++] = '\\';
        if (json) out[n++] = '\\';
      } else if (c == '\n') {
        out[n++] = 'n';
      } else if (c == '\r') {
        out[n++] = 'r';
      } else if (c == '\t') {
        out[n++] = 't';
      } else {
        out[n++] = 'x';
        out[n++] = kHex[c >> 4];
        out[n++] = kHex[c & 15];
      }
    }
    uint64_t code = 0;
    for (int i = 7; i >= 0; --i) code = code << 8 | uint8_t(out[i]);  // little-endian order
    t.code[size_t(c)] = code;
    t.len[size_t(c)] = uint8_t(n);
  }
  return t;
}

constexpr EscapeTable kTextEscapes = make_escape_table(false);
constexpr EscapeTable kJsonEscapes = make_escape_table(true);

}  // namespace

size_t escape_to(ByteView bytes, char* out, bool json) {
  char* p = out;
  const EscapeTable& table = json ? kJsonEscapes : kTextEscapes;
  const uint8_t* s = bytes.data();
  const size_t n = bytes.size();
  size_t i = 0;
  // Writes 8 bytes even for shorter escapes: the reserved size (5 per byte) plus the
  // slack covers the overshoot, and later writes overwrite it.
  auto one = [&](uint8_t c) {
    std::memcpy(p, &table.code[c], 8);
    p += table.len[c];
  };
#ifdef __SSE2__
  // 16 bytes at a time: copied as they are when none needs escaping (text), else each
  // goes through the table. Binary payloads thus cost one table step per byte rather
  // than a failed 8-byte test at every position.
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  const __m128i backslash = _mm_set1_epi8('\\'), quote = _mm_set1_epi8('"');
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    // Signed compare: bytes >= 0x80 are negative, so this catches them with < 0x20.
    __m128i special = _mm_or_si128(_mm_cmplt_epi8(x, space), _mm_cmpeq_epi8(x, del));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(x, backslash));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(x, quote));
    if (_mm_movemask_epi8(special) == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
      p += 16;
      continue;
    }
    for (size_t k = 0; k < 16; ++k) one(s[i + k]);
  }
#endif
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    std::memcpy(&x, s + i, 8);
    if (plain8(x)) {
      std::memcpy(p, s + i, 8);
      p += 8;
      continue;
    }
    for (size_t k = 0; k < 8; ++k) one(s[i + k]);
  }
  for (; i < n; ++i) one(s[i]);
  return size_t(p - out);
}

}  // namespace netsift
