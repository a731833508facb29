// libFuzzer target: a sequence of packets through decode -> IP defragmentation -> flow
// table -> TCP reassembly -> analyzers -> session output. Input: records of
// [1 byte flags][2 bytes length][frame], frames decoded as raw IP (flags bit 0: IPv6
// link type) so the fuzzer spends its effort past the link layer. Small caps make the
// eviction and buffer-cap paths reachable.
#include <cstdint>
#include <vector>

#include "app/session_options.h"
#include "app/session_output.h"
#include "app/session_pipeline.h"

namespace {
struct NullSink final : netsift::EventSink {
  void emit(const netsift::Event&) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsift::SessionOptions options;
  options.flow.max_flows = 8;
  options.flow.max_buffer_per_direction = 4096;
  options.flow.max_buffer_total = 16384;
  options.defrag.max_datagrams = 4;
  options.stream = (size & 1) != 0;
  NullSink sink;
  netsift::SessionOutput output(options, &sink, nullptr);
  netsift::SessionPipeline pipeline(options, output, sink);
  netsift::Decoder decoder;
  std::vector<uint8_t> frame;
  size_t pos = 0;
  int64_t ts = 0;
  while (pos + 3 <= size) {
    uint8_t flags = data[pos];
    size_t len = size_t(data[pos + 1]) << 8 | data[pos + 2];
    pos += 3;
    len = std::min(len, size - pos);
    frame.assign(data + pos, data + pos + len);
    pos += len;
    netsift::RawPacket raw;
    raw.data = netsift::ByteView(frame.data(), frame.size());
    raw.caplen = raw.wirelen = uint32_t(frame.size());
    raw.linktype = (flags & 1) ? netsift::linktype::kIpv6 : netsift::linktype::kRaw;
    ts += int64_t(flags >> 1) * 1'000'000'000;  // lets timeouts fire
    raw.ts = ts;
    netsift::PacketView view;
    decoder.decode(raw, view);
    pipeline.on_packet(view, 0);
  }
  pipeline.finish();
  return 0;
}
