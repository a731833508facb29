// Test helper: builds frames byte by byte (Ethernet, VLAN, IPv4/IPv6, TCP/UDP/ICMP)
// so decoder tests state exactly what is on the wire.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace netsift::test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, uint16_t(v >> 16));
  put16(b, uint16_t(v));
}
inline void append(Bytes& b, const Bytes& more) {
  b.insert(b.end(), more.begin(), more.end());
}
inline void append(Bytes& b, const std::string& s) {
  b.insert(b.end(), s.begin(), s.end());
}

inline Bytes ethernet(uint16_t type) {
  Bytes b = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
  put16(b, type);
  return b;
}

inline uint16_t checksum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += uint32_t(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

// IPv4 header (20 bytes + options) with a correct checksum; payload appended by caller.
inline Bytes ipv4(uint8_t proto, size_t payload_len, const Bytes& options = {},
                  uint16_t frag = 0x4000, uint8_t ttl = 64) {
  size_t hlen = 20 + options.size();
  Bytes b = {uint8_t(0x40 | (hlen / 4)), 0};
  put16(b, uint16_t(hlen + payload_len));
  put16(b, 0x1234);
  put16(b, frag);
  b.push_back(ttl);
  b.push_back(proto);
  put16(b, 0);
  append(b, Bytes{10, 0, 0, 1, 10, 0, 0, 2});
  append(b, options);
  uint16_t c = checksum(b.data(), b.size());
  b[10] = uint8_t(c >> 8);
  b[11] = uint8_t(c);
  return b;
}

inline Bytes ipv6(uint8_t next, size_t payload_len, uint8_t hop_limit = 64) {
  Bytes b = {0x60, 0, 0, 0};
  put16(b, uint16_t(payload_len));
  b.push_back(next);
  b.push_back(hop_limit);
  Bytes src(16, 0), dst(16, 0);
  src[0] = 0x20;
  src[1] = 0x01;
  src[15] = 1;
  dst[0] = 0x20;
  dst[1] = 0x01;
  dst[15] = 2;
  append(b, src);
  append(b, dst);
  return b;
}

inline Bytes tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                 const Bytes& options = {}) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, seq);
  put32(b, ack);
  b.push_back(uint8_t(((20 + options.size()) / 4) << 4));
  b.push_back(flags);
  put16(b, 512);
  put16(b, 0);
  put16(b, 0);
  append(b, options);
  return b;
}

inline Bytes udp(uint16_t sport, uint16_t dport, size_t payload_len) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, uint16_t(8 + payload_len));
  put16(b, 0);
  return b;
}

}  // namespace netsift::test
