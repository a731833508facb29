// Shared body of the analyzer fuzz targets: plays arbitrary bytes as one TCP conversation
// through the real app-layer engine with a single analyzer, so probing, replay, NeedMore
// tails, gaps and close are all exercised, and writes every event as JSON.
// Input: a flags byte (bit 0: the analyzer's default port, else a port only probing can
// claim; bit 1: --redact), then records of a control byte (bit 7: server to client; low
// 7 bits: length, 0 meaning a gap of 100 bytes) followed by that many bytes.
// Seeds in this format: tests/fuzz/seeds/conversation_seeds.py.
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
    if (text.view().empty()) __builtin_trap();
  }
};

inline void play_conversation(const AnalyzerSpec& spec, const uint8_t* data, size_t size,
                              AppLayerConfig config = {}) {
  if (size < 1) return;
  FlowInfo flow;
  parse_address("192.0.2.1", flow.client_ip);
  parse_address("192.0.2.2", flow.server_ip);
  flow.proto = 6;
  flow.client_port = 40000;
  flow.server_port = (data[0] & 1) && !spec.ports.empty() ? spec.ports[0] : 40001;
  config.redact = data[0] & 2;
  config.weird_events = true;
  JsonSink sink;
  BufferBudget budget;
  AppLayer engine(std::span<const AnalyzerSpec>(&spec, 1), std::move(config), sink, budget);
  AppFlow state;
  engine.start(state, flow, Transport::Tcp);
  size_t pos = 1;
  while (pos < size) {
    uint8_t control = data[pos++];
    Dir dir = control & 0x80 ? Dir::ToClient : Dir::ToServer;
    size_t len = std::min<size_t>(control & 0x7f, size - pos);
    flow.now += 1000;
    if (len == 0) {
      engine.gap(state, dir, 100);
      continue;
    }
    engine.data(state, dir, ByteView(data + pos, len));
    pos += len;
  }
  engine.close(state);
}

}  // namespace netsift::fuzz
