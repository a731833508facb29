// The contract between the flow engine and protocol analyzers (see docs/architecture.md).
// One Analyzer instance lives per flow, owned by the flow. TCP analyzers get each
// direction's bytes in order as they become contiguous; UDP analyzers get datagrams.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/bytes.h"
#include "core/ip_address.h"
#include "core/timestamp.h"
#include "output/event.h"

namespace netsift {

enum class Dir : uint8_t { ToServer = 0, ToClient = 1 };
enum class Transport : uint8_t { Tcp, Udp };
enum class Confidence : uint8_t { No, Maybe, Yes };

// What the parser did with the bytes it was given (Suricata's ok/error/incomplete).
struct ParseResult {
  enum Kind : uint8_t { Ok, NeedMore, Error, Done } kind = Ok;
  uint32_t consumed = 0;  // NeedMore: bytes used from `data`; the rest comes back prepended
  uint32_t needed = 0;    // NeedMore: bytes still missing, when known (0 = unknown)
  static ParseResult ok() { return {}; }
  static ParseResult need_more(uint32_t consumed, uint32_t needed = 0) {
    return {NeedMore, consumed, needed};
  }
  static ParseResult error() { return {Error, 0, 0}; }
  static ParseResult done() { return {Done, 0, 0}; }
};

// The flow as analyzers see it. Owned by the flow; `now` is the current packet's time.
struct FlowInfo {
  IpAddress client_ip, server_ip;
  uint16_t client_port = 0, server_port = 0;
  uint8_t proto = 0;
  char community_id[32] = {};
  TimestampNs start = 0;
  TimestampNs now = 0;
};

// Starts an event with the flow's common fields (ts, addresses, ports, proto, community_id).
Event make_flow_event(const char* kind, const FlowInfo& flow);
Event make_flow_event(const char* kind, const FlowInfo& flow, TimestampNs ts);

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  // TCP: ordered bytes of one direction; UDP: one datagram. `data` lives for the call only.
  virtual ParseResult on_data(Dir dir, ByteView data, EventSink& out) = 0;
  // Bytes that will never arrive (capture loss): resynchronise or give up.
  virtual void on_gap(Dir dir, uint64_t missing, EventSink& out) {}
  // FIN/RST/timeout/end of input: flush partial work.
  virtual void on_close(EventSink& out) {}
};

struct AnalyzerConfig {
  size_t max_tail = 64 * 1024;  // bytes the engine keeps for a NeedMore
};

struct AnalyzerSpec {
  std::string_view name;  // used in config, events ("app"), tests, fuzzers
  Transport transport;
  std::span<const uint16_t> ports;  // default server ports
  // Looks at the first bytes of one direction; Yes claims the flow.
  Confidence (*probe)(Dir dir, ByteView first_bytes);
  std::unique_ptr<Analyzer> (*make)(const FlowInfo& flow, const AnalyzerConfig& config);
};

}  // namespace netsift
