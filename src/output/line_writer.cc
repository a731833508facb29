#include "output/line_writer.h"

#include <array>
#include <bit>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NETSIFT_SSSE3_ESCAPE 1
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

#ifdef NETSIFT_SSSE3_ESCAPE
// Text mode, 16 bytes at a time with SSSE3 (every x86-64 CPU since 2006; checked at run
// time, the build targets plain x86-64). Binary payloads are half the `packets` lines
// of a typical capture, and the table loop took a quarter of its time. Each byte gets
// four candidate characters, "<c or \\><letter or x><hex><hex>", and a per-4-byte
// shuffle keeps the 1, 2 or 4 that its escape needs.
struct Compaction {
  std::array<std::array<uint8_t, 16>, 256> shuffle{};
  std::array<uint8_t, 256> len{};
};

// Index: bit k set for a two-character escape of byte k (\\ \n \r \t), bit 4 + k for \xNN.
constexpr Compaction make_compaction() {
  Compaction c;
  for (int key = 0; key < 256; ++key) {
    int n = 0;
    for (int k = 0; k < 4; ++k) {
      const bool hex = (key >> (4 + k)) & 1, two = (key >> k) & 1;
      const int take = hex ? 4 : two ? 2 : 1;
      for (int j = 0; j < take; ++j) c.shuffle[size_t(key)][size_t(n++)] = uint8_t(4 * k + j);
    }
    for (int j = n; j < 16; ++j) c.shuffle[size_t(key)][size_t(j)] = 0x80;  // zero
    c.len[size_t(key)] = uint8_t(n);
  }
  return c;
}
constexpr Compaction kCompaction = make_compaction();

// Escapes the 16 bytes at s (text mode) to p; returns the characters written. Stores
// 16 bytes per 4 input bytes: writes up to 12 bytes past the returned length.
[[gnu::target("ssse3")]] size_t escape16_text(const uint8_t* s, char* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i nl = _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'));
  const __m128i cr = _mm_cmpeq_epi8(x, _mm_set1_epi8('\r'));
  const __m128i tab = _mm_cmpeq_epi8(x, _mm_set1_epi8('\t'));
  const __m128i bs = _mm_cmpeq_epi8(x, backslash);
  const __m128i two = _mm_or_si128(_mm_or_si128(nl, cr), _mm_or_si128(tab, bs));
  // Signed compare: bytes >= 0x80 are negative, so < 0x20 catches them too.
  const __m128i unprintable =
      _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));
  const __m128i hex = _mm_andnot_si128(two, unprintable);
  const __m128i plain = _mm_andnot_si128(_mm_or_si128(two, hex), _mm_set1_epi8(-1));
  // Slot 0: the byte itself or a backslash; slot 1: n, r, t, \\ or x; slots 2-3: hex digits.
  const __m128i first = _mm_or_si128(_mm_and_si128(plain, x), _mm_andnot_si128(plain, backslash));
  __m128i letter = _mm_and_si128(nl, _mm_set1_epi8('n'));
  letter = _mm_or_si128(letter, _mm_and_si128(cr, _mm_set1_epi8('r')));
  letter = _mm_or_si128(letter, _mm_and_si128(tab, _mm_set1_epi8('t')));
  letter = _mm_or_si128(letter, _mm_and_si128(bs, backslash));
  letter = _mm_or_si128(letter, _mm_andnot_si128(two, _mm_set1_epi8('x')));
  const __m128i digits =
      _mm_setr_epi8('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f');
  const __m128i low4 = _mm_set1_epi8(0x0f);
  const __m128i hi = _mm_shuffle_epi8(digits, _mm_and_si128(_mm_srli_epi16(x, 4), low4));
  const __m128i lo = _mm_shuffle_epi8(digits, _mm_and_si128(x, low4));
  // Interleave to four candidates per byte, in byte order: 4 vectors of 4 bytes each.
  const __m128i fl_lo = _mm_unpacklo_epi8(first, letter), fl_hi = _mm_unpackhi_epi8(first, letter);
  const __m128i hl_lo = _mm_unpacklo_epi8(hi, lo), hl_hi = _mm_unpackhi_epi8(hi, lo);
  const __m128i groups[4] = {_mm_unpacklo_epi16(fl_lo, hl_lo), _mm_unpackhi_epi16(fl_lo, hl_lo),
                             _mm_unpacklo_epi16(fl_hi, hl_hi), _mm_unpackhi_epi16(fl_hi, hl_hi)};
  const unsigned two_bits = unsigned(_mm_movemask_epi8(two));
  const unsigned hex_bits = unsigned(_mm_movemask_epi8(hex));
  char* q = p;
  for (int g = 0; g < 4; ++g) {
    const unsigned key = ((two_bits >> (4 * g)) & 15) | ((hex_bits >> (4 * g)) & 15) << 4;
    const __m128i mask =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(kCompaction.shuffle[key].data()));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_shuffle_epi8(groups[g], mask));
    q += kCompaction.len[key];
  }
  return size_t(q - p);
}

bool cpu_has_ssse3() {
  static const bool has = __builtin_cpu_supports("ssse3");
  return has;
}
#endif

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
#ifdef NETSIFT_SSSE3_ESCAPE
  if (!json && n >= 16 && cpu_has_ssse3()) {
    const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
    const __m128i backslash = _mm_set1_epi8('\\');
    for (; i + 16 <= n; i += 16) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      __m128i special = _mm_or_si128(_mm_cmplt_epi8(x, space), _mm_cmpeq_epi8(x, del));
      special = _mm_or_si128(special, _mm_cmpeq_epi8(x, backslash));
      if (_mm_movemask_epi8(special) == 0) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
        p += 16;
      } else {
        p += escape16_text(s + i, p);
      }
    }
  }
#endif
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
