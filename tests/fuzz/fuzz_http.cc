// libFuzzer target: the HTTP analyzer (libhtp wrapper, resynchronisation, gap bridging,
// content decoding, header lists, credentials) through the real app-layer engine.
// Input: records [control][length lo][length hi][bytes]; control bit 0 is the direction,
// bit 1 makes the record a gap of `length` bytes instead of data.
#include <array>
#include <cstdint>

#include "analyzers/app_layer.h"
#include "analyzers/http/http_analyzer.h"
#include "core/buffer_budget.h"

namespace {
struct NullSink final : netsift::EventSink {
  void emit(const netsift::Event&) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::array<netsift::AnalyzerSpec, 1> kSpecs = {netsift::kHttpAnalyzer};
  NullSink sink;
  netsift::BufferBudget budget;
  netsift::AppLayerConfig config;
  netsift::AnalyzerOptions options(netsift::kHttpAnalyzer.options);
  std::string error;
  options.set("max_body", "64", error);
  options.set("max_decoded_body", "1000000", error);
  config.options.emplace("http", options);
  netsift::AppLayer engine(kSpecs, config, sink, budget);
  netsift::FlowInfo flow;
  flow.server_port = 80;
  flow.client_port = 40000;
  flow.proto = 6;
  netsift::AppFlow state;
  engine.start(state, flow, netsift::Transport::Tcp);
  size_t pos = 0;
  while (pos + 3 <= size) {
    uint8_t control = data[pos];
    size_t len = size_t(data[pos + 1]) | size_t(data[pos + 2]) << 8;
    pos += 3;
    auto dir = netsift::Dir(control & 1);
    flow.now += 1000;
    if (control & 2) {
      engine.gap(state, dir, len);
      continue;
    }
    len = std::min(len, size - pos);
    engine.data(state, dir, netsift::ByteView(data + pos, len));
    pos += len;
  }
  engine.close(state);
  return 0;
}
