// Standard base64 (RFC 4648, with padding), for Community IDs and binary event data.
#pragma once

#include <string>

#include "core/bytes.h"

namespace netsift {

constexpr size_t base64_length(size_t n) {
  return (n + 2) / 3 * 4;
}

// Writes base64_length(in.size()) characters to `out`; returns that count.
inline size_t base64_encode(ByteView in, char* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char* p = out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = uint32_t(in[i]) << 16 | uint32_t(in[i + 1]) << 8 | in[i + 2];
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  if (size_t rest = in.size() - i) {
    uint32_t v = uint32_t(in[i]) << 16 | (rest == 2 ? uint32_t(in[i + 1]) << 8 : 0u);
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    *p++ = '=';
  }
  return size_t(p - out);
}

inline std::string base64_encode(ByteView in) {
  std::string s(base64_length(in.size()), '\0');
  base64_encode(in, s.data());
  return s;
}

}  // namespace netsift
