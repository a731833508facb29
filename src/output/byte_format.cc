#include "output/byte_format.h"

namespace netsift {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

void append_text_block(OutputBuffer& out, ByteView bytes) {
  char* start = out.reserve(bytes.size() * 4 + 1);
  char* p = start;
  for (size_t i = 0; i < bytes.size(); ++i) {
    uint8_t c = bytes[i];
    if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t') {
      *p++ = char(c);
    } else if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') {
      continue;  // CR LF: the LF makes the line break
    } else {
      *p++ = '\\';
      *p++ = 'x';
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 15];
    }
  }
  if (p == start || p[-1] != '\n') *p++ = '\n';
  out.shrink_by(bytes.size() * 4 + 1 - size_t(p - start));
}

void append_hexdump(OutputBuffer& out, ByteView bytes) {
  constexpr size_t kLine = 8 + 2 + 40 + 2 + 16 + 1;  // "\t0x0000:" "  " hex "  " ascii "\n"
  for (size_t off = 0; off < bytes.size(); off += 16) {
    size_t n = std::min<size_t>(16, bytes.size() - off);
    char* line = out.reserve(kLine);
    char* p = line;
    *p++ = '\t';
    *p++ = '0';
    *p++ = 'x';
    for (int shift = 12; shift >= 0; shift -= 4) *p++ = kHex[(off >> shift) & 15];
    *p++ = ':';
    *p++ = ' ';
    *p++ = ' ';
    for (size_t i = 0; i < 16; ++i) {
      if (i < n) {
        *p++ = kHex[bytes[off + i] >> 4];
        *p++ = kHex[bytes[off + i] & 15];
      } else {
        *p++ = ' ';
        *p++ = ' ';
      }
      if (i & 1) *p++ = ' ';
    }
    *p++ = ' ';
    for (size_t i = 0; i < n; ++i) {
      uint8_t c = bytes[off + i];
      *p++ = (c >= 0x20 && c < 0x7f) ? char(c) : '.';
    }
    *p++ = '\n';
    out.shrink_by(kLine - size_t(p - line));
  }
}

}  // namespace netsift
