// libFuzzer target: the Redis analyzer over arbitrary conversations. Each chunk is a
// control byte (high bit: direction, low 7 bits: length) and that many bytes; NeedMore
// tails are handed back as the engine would. The RESP reader also reads the whole input
// as one stream from each side (inline commands on, then off).
#include <cstdint>
#include <vector>

#include "analyzers/redis/redis_analyzer.h"
#include "analyzers/redis/resp_reader.h"

namespace {
struct NullSink final : netsift::EventSink {
  void emit(const netsift::Event&) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using netsift::ParseResult;
  const netsift::AnalyzerSpec& spec = netsift::kRedisAnalyzer;
  netsift::FlowInfo flow;
  NullSink sink;
  netsift::AnalyzerOptions options(spec.options);
  netsift::AnalyzerContext context{&flow, &spec, &options};
  auto analyzer = spec.make(context);
  std::vector<uint8_t> tail[2];
  size_t pos = 0;
  while (pos < size && analyzer) {
    uint8_t control = data[pos++];
    size_t len = std::min<size_t>(control & 0x7f, size - pos);
    int dir = control >> 7;
    spec.probe(netsift::Dir(dir), netsift::ByteView(data + pos, len));
    tail[dir].insert(tail[dir].end(), data + pos, data + pos + len);
    pos += len;
    auto r = analyzer->on_data(netsift::Dir(dir), tail[dir], sink);
    if (r.kind == ParseResult::NeedMore) {
      if (r.consumed > tail[dir].size()) __builtin_trap();
      tail[dir].erase(tail[dir].begin(), tail[dir].begin() + r.consumed);
      if (tail[dir].size() > 64 * 1024) analyzer.reset();
    } else if (r.kind == ParseResult::Ok) {
      tail[dir].clear();
    } else {
      analyzer.reset();
    }
  }
  if (analyzer) analyzer->on_close(sink);
  for (bool inline_commands : {true, false}) {
    netsift::redis::RespReader reader(inline_commands);
    size_t at = 0;
    for (;;) {
      auto r = reader.next(netsift::ByteView(data + at, size - at));
      if (r.consumed > size - at) __builtin_trap();
      at += r.consumed;
      if (r.status != netsift::redis::RespReader::Status::Message) break;
    }
  }
  return 0;
}
