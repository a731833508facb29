// libFuzzer target: every registered analyzer over arbitrary bytes. The first byte picks
// the analyzer, the next ones split the rest into chunks and directions; NeedMore tails
// are handed back as the flow engine would.
#include <cstdint>
#include <string>
#include <vector>

#include "analyzers/registry.h"

namespace {
struct NullSink final : netsift::EventSink {
  void emit(const netsift::Event&) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto registry = netsift::analyzer_registry();
  if (size < 2 || registry.empty()) return 0;
  const netsift::AnalyzerSpec& spec = registry[data[0] % registry.size()];
  netsift::FlowInfo flow;
  NullSink sink;
  netsift::AnalyzerOptions options(spec.options);
  netsift::AnalyzerContext context{&flow, &spec, &options};
  auto analyzer = spec.make(context);
  std::vector<uint8_t> tail[2];
  size_t pos = 1;
  while (pos < size && analyzer) {
    uint8_t control = data[pos++];
    size_t len = std::min<size_t>(control & 0x7f, size - pos);
    int dir = control >> 7;
    spec.probe(netsift::Dir(dir), netsift::ByteView(data + pos, len));
    tail[dir].insert(tail[dir].end(), data + pos, data + pos + len);
    pos += len;
    auto r = analyzer->on_data(netsift::Dir(dir), tail[dir], sink);
    if (r.kind == netsift::ParseResult::NeedMore) {
      tail[dir].erase(tail[dir].begin(),
                      tail[dir].begin() + std::min<size_t>(r.consumed, tail[dir].size()));
    } else if (r.kind == netsift::ParseResult::Ok) {
      tail[dir].clear();
    } else {
      analyzer.reset();
    }
  }
  if (analyzer) analyzer->on_close(sink);
  return 0;
}
