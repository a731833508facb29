#include "core/ip_address.h"

#include <arpa/inet.h>

#include <array>
#include <bit>
#include <cstring>

static_assert(std::endian::native == std::endian::little, "packed tables assume little-endian");

namespace netsift {
namespace {

// Per byte value: its decimal digits followed by '.', packed little-endian into 4 bytes,
// and how many of them there are. Writing all 4 and advancing by the length keeps dotted
// quads free of divisions and branches.
struct DottedByte {
  std::array<uint32_t, 256> code{};
  std::array<uint8_t, 256> len{};
};
constexpr DottedByte make_dotted_bytes() {
  DottedByte t;
  for (unsigned v = 0; v < 256; ++v) {
    char digits[4] = {};
    unsigned n = 0;
    if (v >= 100) digits[n++] = char('0' + v / 100);
    if (v >= 10) digits[n++] = char('0' + v / 10 % 10);
    digits[n++] = char('0' + v % 10);
    digits[n++] = '.';
    uint32_t code = 0;
    for (int i = 3; i >= 0; --i) code = code << 8 | uint8_t(digits[i]);
    t.code[v] = code;
    t.len[v] = uint8_t(n);
  }
  return t;
}
constexpr DottedByte kDottedBytes = make_dotted_bytes();

// "xx:" per byte value, packed little-endian.
constexpr std::array<uint32_t, 256> make_mac_pairs() {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<uint32_t, 256> t{};
  for (unsigned v = 0; v < 256; ++v) {
    t[v] = uint32_t(uint8_t(kHex[v >> 4])) | uint32_t(uint8_t(kHex[v & 15])) << 8 |
           uint32_t(uint8_t(':')) << 16;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kMacPairs = make_mac_pairs();

}  // namespace

size_t format_address(const IpAddress& a, char* out) {
  if (a.family == 4) {
    // 4-byte stores may run 3 past the text; `out` holds kMaxAddressText anyway.
    char* p = out;
    for (int i = 0; i < 4; ++i) {
      std::memcpy(p, &kDottedBytes.code[a.bytes[i]], 4);
      p += kDottedBytes.len[a.bytes[i]];
    }
    return size_t(p - out) - 1;  // without the last '.'
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
  for (int i = 0; i < 5; ++i) std::memcpy(out + i * 3, &kMacPairs[mac[i]], 4);  // "xx:" + 1
  std::memcpy(out + 15, &kMacPairs[mac[5]], 2);
}

}  // namespace netsift
