// libFuzzer target: the decoder over one frame. The first two bytes pick the link type
// from the ones netsift decodes, so every link layer is reached.
#include <cstdint>
#include <vector>

#include "decode/decoder.h"

namespace {
constexpr uint16_t kLinktypes[] = {
    netsift::linktype::kEthernet,  netsift::linktype::kNull,      netsift::linktype::kLoop,
    netsift::linktype::kRaw,       netsift::linktype::kIpv4,      netsift::linktype::kIpv6,
    netsift::linktype::kLinuxSll,  netsift::linktype::kLinuxSll2, netsift::linktype::kNflog,
    netsift::linktype::kRadiotap,  netsift::linktype::kPpp,       netsift::linktype::kCiscoHdlc,
    netsift::linktype::kIeee80211, netsift::linktype::kRawOpenBsd};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  netsift::RawPacket packet;
  packet.linktype = kLinktypes[data[0] % (sizeof kLinktypes / sizeof kLinktypes[0])];
  bool snaplen_cut = data[1] & 1;
  // Copy so that ASan sees the exact end of the frame.
  std::vector<uint8_t> frame(data + 2, data + size);
  packet.data = netsift::ByteView(frame.data(), frame.size());
  packet.caplen = uint32_t(frame.size());
  packet.wirelen = packet.caplen + (snaplen_cut ? 100 : 0);
  netsift::PacketView view;
  netsift::Decoder(netsift::DecoderOptions{(data[1] & 2) != 0}).decode(packet, view);
  return 0;
}
