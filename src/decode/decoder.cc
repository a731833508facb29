#include "decode/decoder.h"

#include "decode/decode_steps.h"

namespace netsift {

void Decoder::decode(const RawPacket& packet, PacketView& view) const {
  view = PacketView{};
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
