// Turns a RawPacket into a PacketView. Zero-copy, no allocation, never throws: on bad
// input it records the problem in the view and stops at the last good layer.
#pragma once

#include "capture/raw_packet.h"
#include "decode/packet_view.h"

namespace netsift {

struct DecoderOptions {
  // TCP/UDP/ICMP checksums cost a pass over the payload and are usually wrong on
  // captures taken on the sending host (offload), so they are checked only on request.
  // The IPv4 header checksum is always checked.
  bool verify_l4_checksums = false;
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {}) : options_(options) {}
  void decode(const RawPacket& packet, PacketView& view) const;

 private:
  DecoderOptions options_;
};

}  // namespace netsift
