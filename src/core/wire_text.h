// Turning wire bytes into event text: lower-case hex for binary secrets (salts,
// challenge responses), and a check that a name read off the wire is clean UTF-8 text
// that can go into JSON as it is (else callers escape it).
#pragma once

#include <string>

#include "core/bytes.h"

namespace netsift {

inline std::string hex_string(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

// True when `bytes` is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or code
// points past U+10FFFF) without control characters.
inline bool is_clean_utf8(ByteView bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    uint8_t c = bytes[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (bytes.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((bytes[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (bytes[i + k] & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    i += n + 1;
  }
  return true;
}

}  // namespace netsift
