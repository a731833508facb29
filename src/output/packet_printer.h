// Renders decoded packets for `netsift packets`: text (the ancestor's one-line form,
// a short -q form, a --hex dump) or JSON Lines (docs/events.md lists the fields).
#pragma once

#include <cstdint>
#include <memory>

#include "decode/packet_view.h"
#include "output/output_buffer.h"

namespace netsift {

class PacketPrinter {
 public:
  virtual ~PacketPrinter() = default;
  // `frame` is the 1-based index of the packet in the input.
  virtual void print(const PacketView& v, uint64_t frame) = 0;
};

struct TextPacketOptions {
  bool utc = false;
  bool quiet = false;        // -q: one short line
  bool hexdump = false;      // --hex: hex + ASCII dump of the frame after the line
  bool data_binary = false;  // -x: also DATA_BINARY=<hex of payload>
  size_t data_max = 64;      // cap on payload bytes shown as text/hex (0 = all)
  bool no_time = false;      // -t: no timestamp
  bool calendar = false;     // -tttt: -q lines start with the calendar time, not the epoch
};

struct JsonPacketOptions {
  bool payload = false;  // add "payload" (escaped text, see docs/events.md)
};

std::unique_ptr<PacketPrinter> make_text_packet_printer(OutputBuffer& out,
                                                        TextPacketOptions options);
std::unique_ptr<PacketPrinter> make_json_packet_printer(OutputBuffer& out,
                                                        JsonPacketOptions options);

}  // namespace netsift
