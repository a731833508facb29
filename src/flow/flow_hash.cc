#include "flow/flow_hash.h"

#include <cstring>

namespace netsift {
namespace {

uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

uint64_t endpoint_hash(const IpAddress& a, uint16_t port) {
  uint64_t lo, hi;
  std::memcpy(&lo, a.bytes.data(), 8);
  std::memcpy(&hi, a.bytes.data() + 8, 8);
  return mix(mix(lo ^ (uint64_t(a.family) << 56)) ^ hi ^ (uint64_t(port) << 40));
}

}  // namespace

uint64_t flow_hash(const PacketView& v, bool whole) {
  bool ports = v.has_ports && (whole || !v.fragment);
  uint16_t sport = ports ? v.src_port : 0, dport = ports ? v.dst_port : 0;
  uint64_t a = endpoint_hash(v.src_ip, sport), b = endpoint_hash(v.dst_ip, dport);
  // Sum and xor are both symmetric; together they tell (a, b) apart from most other
  // pairs with the same sum.
  return mix((a + b) ^ mix(a ^ b) ^ v.ip_proto);
}

}  // namespace netsift
