// Address and MAC text against the C library's own formatting, for every byte value.
#include "core/ip_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace netsift {
namespace {

std::string libc_text(int af, const uint8_t* bytes) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(af, bytes, buf, sizeof buf) ? buf : "";
}

TEST(IpAddressText, EveryOctetValueInEveryPosition) {
  for (int pos = 0; pos < 4; ++pos) {
    for (int v = 0; v < 256; ++v) {
      uint8_t b[4] = {10, 200, 3, 45};
      b[pos] = uint8_t(v);
      ASSERT_EQ(to_string(IpAddress::v4(b)), libc_text(AF_INET, b));
    }
  }
  uint8_t widest[4] = {255, 255, 255, 255}, narrowest[4] = {0, 0, 0, 0};
  EXPECT_EQ(to_string(IpAddress::v4(widest)), "255.255.255.255");
  EXPECT_EQ(to_string(IpAddress::v4(narrowest)), "0.0.0.0");
}

TEST(IpAddressText, RandomV4AndV6MatchInetNtop) {
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    uint8_t b[16];
    for (auto& x : b) x = uint8_t(rng() % 4 == 0 ? 0 : rng());  // zero runs for v6
    ASSERT_EQ(to_string(IpAddress::v4(b)), libc_text(AF_INET, b));
    ASSERT_EQ(to_string(IpAddress::v6(b)), libc_text(AF_INET6, b));
  }
  EXPECT_EQ(to_string(IpAddress{}), "");
}

TEST(MacText, EveryByteValueAndExactLength) {
  for (int v = 0; v < 256; ++v) {
    uint8_t mac[6] = {uint8_t(v), 0x0c, 0x29, 0x92, 0x67, uint8_t(255 - v)};
    char out[18];
    std::memset(out, '#', sizeof out);
    format_mac(mac, out);
    char want[18];
    std::snprintf(want, sizeof want, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                  mac[3], mac[4], mac[5]);
    ASSERT_EQ(std::string(out, 17), std::string(want));
    ASSERT_EQ(out[17], '#') << "wrote past the 17 characters";
  }
}

}  // namespace
}  // namespace netsift
