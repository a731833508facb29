// Shared body of the libFuzzer targets of the line-based login analyzers (SMTP, FTP,
// POP3, IMAP): one analyzer alone in the real app-layer engine, so probing, replay,
// NeedMore tails, gaps and close are all exercised, and every event is written as JSON.
// Input: a flags byte (bit 0: the default port, else a port that makes the engine
// probe; bit 1: --redact), then records "control byte, bytes": bit 7 of the control is
// the direction, the low 7 bits the length; length 0 is a gap of 100 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "analyzers/app_layer.h"
#include "analyzers/registry.h"
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

inline int run_text_analyzer(std::string_view name, const uint8_t* data, size_t size) {
  const AnalyzerSpec* spec = find_analyzer(name);
  if (!spec || size < 1) return 0;
  std::array<AnalyzerSpec, 1> only = {*spec};
  FlowInfo flow;
  parse_address("192.0.2.1", flow.client_ip);
  parse_address("192.0.2.2", flow.server_ip);
  flow.client_port = 40000;
  flow.server_port = (data[0] & 1) && !spec->ports.empty() ? spec->ports[0] : 40001;
  flow.proto = 6;
  AppLayerConfig config;
  config.redact = data[0] & 2;
  JsonSink sink;
  BufferBudget budget;
  AppLayer engine(only, config, sink, budget);
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
  return 0;
}

}  // namespace netsift::fuzz
