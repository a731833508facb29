// Shared body of the conversation fuzz targets (fuzz_mysql, fuzz_pgsql): plays arbitrary
// bytes as one TCP conversation through the real app-layer engine with a single
// analyzer, so probing, replay, NeedMore tails, gaps and close are all exercised, and
// writes every event as JSON. Input: one byte choosing the server port (bit 0 set: the
// analyzer's default port, else a port only probing can claim), then records of a flags
// byte (bit 0: server to client; bit 1: a gap of LENGTH bytes instead of data) and a
// 2-byte big-endian LENGTH, followed by LENGTH data bytes.
#pragma once

#include <cstdint>
#include <span>

#include "analyzers/app_layer.h"
#include "core/buffer_budget.h"
#include "output/json_text.h"

namespace netsift::fuzz {

struct JsonSink final : EventSink {
  void emit(const Event& e) override {
    TextBuffer text;
    append_json(e.doc(), text);
  }
};

inline void play_conversation(const AnalyzerSpec& spec, const uint8_t* data, size_t size) {
  if (size < 1) return;
  JsonSink sink;
  BufferBudget budget;
  AppLayerConfig config;
  config.weird_events = true;
  AppLayer engine(std::span<const AnalyzerSpec>(&spec, 1), config, sink, budget);
  FlowInfo flow;
  flow.proto = 6;
  flow.client_port = 50000;
  flow.server_port = (data[0] & 1) && !spec.ports.empty() ? spec.ports[0] : 40000;
  AppFlow state;
  engine.start(state, flow, Transport::Tcp);
  size_t pos = 1;
  while (pos + 3 <= size) {
    uint8_t flags = data[pos];
    size_t len = size_t(data[pos + 1]) << 8 | data[pos + 2];
    pos += 3;
    Dir dir = flags & 1 ? Dir::ToClient : Dir::ToServer;
    flow.now += 1000;
    if (flags & 2) {
      engine.gap(state, dir, len);
      continue;
    }
    len = std::min(len, size - pos);
    engine.data(state, dir, ByteView(data + pos, len));
    pos += len;
  }
  engine.close(state);
}

}  // namespace netsift::fuzz
