// libFuzzer target: the pcap/pcapng reader over arbitrary file contents, and every
// packet it yields through the decoder.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

#include "capture/file_reader.h"
#include "decode/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The reader takes a path; a memfd would do too, but a temp file keeps it portable.
  static std::string path = [] {
    char tmpl[] = "/tmp/fuzz-netsift-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    return std::string(tmpl);
  }();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  netsift::FileReader reader(path);
  if (!reader.open()) return 0;
  netsift::Decoder decoder(netsift::DecoderOptions{true});
  netsift::RawPacket packet;
  netsift::PacketView view;
  // Hold the blocks of the last few packets, as the sharded workers do: their bytes
  // must not change until let go (capture/raw_packet.h, PacketBlock).
  struct Held {
    netsift::ByteView data;
    netsift::PacketBlock* block;
    uint64_t sum;
  };
  auto sum = [](netsift::ByteView d) {
    uint64_t s = d.size();
    for (uint8_t b : d) s = s * 31 + b;
    return s;
  };
  std::deque<Held> held;
  const size_t window = size ? data[size - 1] % 8 : 0;
  auto let_go = [&] {
    const Held& h = held.front();
    if (sum(h.data) != h.sum) std::abort();  // a held block was overwritten
    --h.block->holds;
    held.pop_front();
  };
  for (int i = 0; i < 10000; ++i) {
    if (reader.next(packet) != netsift::PacketSource::Status::Packet) break;
    decoder.decode(packet, view);
    if (window && packet.block) {
      ++packet.block->holds;
      held.push_back({packet.data, packet.block, sum(packet.data)});
      if (held.size() > window) let_go();
    }
  }
  while (!held.empty()) let_go();
  return 0;
}
