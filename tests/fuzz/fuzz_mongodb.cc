// libFuzzer target: the MongoDB analyzer over arbitrary conversations (chunks of a control
// byte, high bit: direction, low 7 bits: length, then the bytes; NeedMore tails handed
// back as the engine would), and the BSON reader and wire parser over the whole input.
#include <cstdint>
#include <vector>

#include "analyzers/mongodb/bson.h"
#include "analyzers/mongodb/mongodb_analyzer.h"
#include "analyzers/mongodb/mongodb_wire.h"

namespace {
struct NullSink final : netsift::EventSink {
  void emit(const netsift::Event&) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using netsift::ParseResult;
  const netsift::AnalyzerSpec& spec = netsift::kMongodbAnalyzer;
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
  // The whole input as one BSON document and as one wire message.
  netsift::ByteView all(data, size);
  netsift::bson::validate(all);
  netsift::bson::Document doc;
  if (netsift::bson::Document::view(all, doc)) {
    auto it = doc.elements();
    netsift::bson::Element e;
    while (it.next(e)) {
      if (e.value.data() < data || e.value.data() + e.value.size() > data + size) __builtin_trap();
    }
  }
  if (size >= netsift::mongodb::kHeaderSize && netsift::mongodb::read_header(data).length == size) {
    netsift::mongodb::Message m;
    std::vector<uint8_t> scratch;
    netsift::mongodb::parse_message(all, m, scratch);
  }
  return 0;
}
