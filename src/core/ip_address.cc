#include "core/ip_address.h"

#include <arpa/inet.h>

namespace netsift {
namespace {

char* put_decimal_byte(char* p, uint8_t v) {
  if (v >= 100) {
    *p++ = char('0' + v / 100);
    v %= 100;
    *p++ = char('0' + v / 10);
    *p++ = char('0' + v % 10);
  } else if (v >= 10) {
    *p++ = char('0' + v / 10);
    *p++ = char('0' + v % 10);
  } else {
    *p++ = char('0' + v);
  }
  return p;
}

}  // namespace

size_t format_address(const IpAddress& a, char* out) {
  if (a.family == 4) {
    char* p = out;
    for (int i = 0; i < 4; ++i) {
      if (i) *p++ = '.';
      p = put_decimal_byte(p, a.bytes[i]);
    }
    return size_t(p - out);
  }
  if (a.family == 6) {
    // inet_ntop follows RFC 5952 (longest zero run compressed, lower case).
    if (inet_ntop(AF_INET6, a.bytes.data(), out, kMaxAddressText)) return std::strlen(out);
  }
  return 0;
}

std::string to_string(const IpAddress& a) {
  char buf[kMaxAddressText];
  return std::string(buf, format_address(a, buf));
}

bool parse_address(const std::string& text, IpAddress& out) {
  uint8_t buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
    out = IpAddress::v4(buf);
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    out = IpAddress::v6(buf);
    return true;
  }
  return false;
}

void format_mac(const uint8_t* mac, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 6; ++i) {
    out[i * 3] = kHex[mac[i] >> 4];
    out[i * 3 + 1] = kHex[mac[i] & 15];
    if (i < 5) out[i * 3 + 2] = ':';
  }
}

}  // namespace netsift
