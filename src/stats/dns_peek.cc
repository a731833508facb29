#include "stats/dns_peek.h"

namespace netsift {

bool peek_dns(ByteView msg, DnsPeek& out) {
  out.name_len = out.domain_start = 0;
  if (msg.size() < 12) return false;
  const uint8_t* p = msg.data();
  out.response = (p[2] & 0x80) != 0;
  out.opcode = (p[2] >> 3) & 0x0f;
  out.rcode = p[3] & 0x0f;
  const unsigned qdcount = unsigned(p[4]) << 8 | p[5];
  if (qdcount == 0) return true;
  // The first question's name starts right after the header, so it has no pointer to
  // follow; a pointer here is malformed and ends the name.
  size_t pos = 12, len = 0;
  uint16_t label_starts[128];
  unsigned labels = 0;
  while (pos < msg.size()) {
    const uint8_t n = p[pos++];
    if (n == 0) {
      if (len > 0) --len;  // drop the dot after the last label
      out.name_len = uint16_t(len);
      out.domain_start = labels > 2 ? label_starts[labels - 2] : 0;
      return true;
    }
    if (n > 63 || pos + n > msg.size() || len + n + 1 > sizeof out.name_buf || labels == 128) {
      return true;
    }
    label_starts[labels++] = uint16_t(len);
    for (size_t i = 0; i < n; ++i) {
      uint8_t c = p[pos + i];
      if (c >= 'A' && c <= 'Z') c = uint8_t(c + 32);
      out.name_buf[len++] = char(c);
    }
    out.name_buf[len++] = '.';
    pos += n;
  }
  return true;
}

}  // namespace netsift
