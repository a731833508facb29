// libFuzzer target: the pcap/pcapng reader over arbitrary file contents, and every
// packet it yields through the decoder.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
  for (int i = 0; i < 10000; ++i) {
    if (reader.next(packet) != netsift::PacketSource::Status::Packet) break;
    decoder.decode(packet, view);
  }
  return 0;
}
