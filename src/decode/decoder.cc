#include "decode/decoder.h"

#include <cstring>
#include <type_traits>

#include "decode/decode_steps.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace netsift {
namespace {

// Copies a ready blank over the view in 16-byte moves. `view = PacketView{}` builds a
// temporary and copies it, and GCC emits both as rep string instructions whose start-up
// cost (tens of cycles) was paid twice on every packet.
void reset(PacketView& view) {
  static const PacketView kBlank{};
  static_assert(std::is_trivially_copyable_v<PacketView>);
  constexpr size_t kWords = sizeof(PacketView) / 16, kTail = sizeof(PacketView) % 16;
  auto* to = reinterpret_cast<unsigned char*>(&view);
  const auto* from = reinterpret_cast<const unsigned char*>(&kBlank);
#ifdef __SSE2__
  // Unrolled: as a loop the counter, compare and branch were half of its instructions.
#pragma GCC unroll 32
  for (size_t i = 0; i < kWords; ++i) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + 16 * i));
    __asm__("" : "+x"(v));  // keeps GCC from turning the loop back into `rep movsq`
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + 16 * i), v);
  }
#else
  std::memcpy(to, from, kWords * 16);
#endif
  if constexpr (kTail != 0) std::memcpy(to + kWords * 16, from + kWords * 16, kTail);
}

}  // namespace

void Decoder::decode(const RawPacket& packet, PacketView& view) const {
  reset(view);
  view.raw = &packet;
  decode::Frame frame{packet.data, view, options_, packet.caplen < packet.wirelen};
  decode::link_layer(frame, packet.linktype);
}

namespace decode {

uint32_t checksum_add(uint32_t sum, ByteView bytes) {
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  uint64_t acc = sum;
  while (n >= 4) {
    acc += load_be32(p);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    acc += load_be16(p);
    p += 2;
    n -= 2;
  }
  if (n) acc += uint32_t(*p) << 8;
  while (acc >> 32) acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  return uint32_t(acc);
}

uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

uint32_t pseudo_header_sum(const PacketView& v, uint8_t proto, uint32_t length) {
  uint32_t sum = 0;
  sum = checksum_add(sum, ByteView(v.src_ip.bytes.data(), v.src_ip.size()));
  sum = checksum_add(sum, ByteView(v.dst_ip.bytes.data(), v.dst_ip.size()));
  sum += proto;
  sum += length & 0xffff;
  sum += length >> 16;
  return sum;
}

}  // namespace decode
}  // namespace netsift
