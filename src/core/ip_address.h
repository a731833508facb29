// An IPv4 or IPv6 address held by value (16 bytes + family). IPv4 sits in the first
// four bytes; the rest stay zero so that comparison and hashing are uniform.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

namespace netsift {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  uint8_t family = 0;  // 0 = none, 4 or 6

  static IpAddress v4(const uint8_t* p) {
    IpAddress a;
    std::memcpy(a.bytes.data(), p, 4);
    a.family = 4;
    return a;
  }
  static IpAddress v6(const uint8_t* p) {
    IpAddress a;
    std::memcpy(a.bytes.data(), p, 16);
    a.family = 6;
    return a;
  }
  size_t size() const { return family == 4 ? 4 : family == 6 ? 16 : 0; }
  bool empty() const { return family == 0; }

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress& a, const IpAddress& b) {
    if (auto c = a.family <=> b.family; c != 0) return c;
    return std::memcmp(a.bytes.data(), b.bytes.data(), 16) <=> 0;
  }
};

// Hash for address-keyed tables: multiply-xorshift over the two halves and the family.
struct IpAddressHash {
  size_t operator()(const IpAddress& a) const {
    uint64_t lo, hi;
    std::memcpy(&lo, a.bytes.data(), 8);
    std::memcpy(&hi, a.bytes.data() + 8, 8);
    uint64_t h = (lo ^ (uint64_t(a.family) << 56)) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    h = (h ^ hi) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return size_t(h);
  }
};

// Writes the textual form (dotted quad, or RFC 5952 IPv6) into `out`, which must hold
// at least kMaxAddressText bytes; returns the number of characters written.
constexpr size_t kMaxAddressText = 46;
size_t format_address(const IpAddress& a, char* out);
std::string to_string(const IpAddress& a);

// Parses "1.2.3.4" or an IPv6 literal; returns false on anything else.
bool parse_address(const std::string& text, IpAddress& out);

// Formats a MAC address as aa:bb:cc:dd:ee:ff into `out` (17 characters, no NUL).
void format_mac(const uint8_t* mac, char* out);

}  // namespace netsift
