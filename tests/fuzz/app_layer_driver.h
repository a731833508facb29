// Plays fuzz input through the real app-layer engine (port claim or probing, held bytes
// replayed, NeedMore tails and `needed`, gaps, Error/Done, on_close once), for the
// analyzer fuzz targets. Input framing, shared with tests/fuzz/seeds/conversation_seeds.py:
// chunks of a control byte (high bit: to the client; low 7 bits: length) and that many
// bytes; a length of 0 is a gap instead, of (next byte + 1) bytes (TCP only).
#pragma once

#include <cstdint>
#include <span>

#include "analyzers/app_layer.h"

namespace netsift::fuzz {

struct NullSink final : EventSink {
  void emit(const Event&) override {}
};

// `analyzers` are all the engine knows; the flow's server port is `server_port` (a
// default port of one of them claims at once; another port leaves it to the probes).
inline void drive_app_layer(std::span<const AnalyzerSpec> analyzers, Transport transport,
                            uint16_t server_port, const uint8_t* data, size_t size) {
  FlowInfo flow;
  flow.proto = transport == Transport::Tcp ? 6 : 17;
  flow.client_port = 40000;
  flow.server_port = server_port;
  NullSink sink;
  BufferBudget budget;
  AppLayerConfig config;
  config.weird_events = true;  // the weird path runs too
  config.max_tail = 16 * 1024;
  {
    AppLayer engine(analyzers, config, sink, budget);
    AppFlow state;
    engine.start(state, flow, transport);
    size_t pos = 0;
    while (pos < size) {
      uint8_t control = data[pos++];
      Dir dir = Dir(control >> 7);
      size_t len = control & 0x7f;
      flow.now += 1000;
      if (len == 0) {
        if (pos < size && transport == Transport::Tcp) engine.gap(state, dir, data[pos] + 1u);
        ++pos;
        continue;
      }
      len = len < size - pos ? len : size - pos;
      engine.data(state, dir, ByteView(data + pos, len));
      pos += len;
    }
    engine.close(state);
  }
  if (budget.held != 0) __builtin_trap();  // every held byte was given back
}

}  // namespace netsift::fuzz
