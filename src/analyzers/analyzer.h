// The contract between the app-layer engine (analyzers/app_layer.h) and protocol
// analyzers (see docs/architecture.md, "Adding an analyzer"). One Analyzer instance lives
// per flow, owned by the engine's per-flow state. TCP analyzers get each direction's
// bytes in order as they become contiguous; UDP analyzers get datagrams.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/buffer_budget.h"
#include "core/bytes.h"
#include "core/ip_address.h"
#include "core/timestamp.h"
#include "events/event.h"

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
  // Where this flow's events take their memory (events/event.h); null: their own.
  EventPool* event_pool = nullptr;
};

// Starts an event with the flow's common fields (ts, addresses, ports, proto, community_id).
Event make_flow_event(const char* kind, const FlowInfo& flow);
Event make_flow_event(const char* kind, const FlowInfo& flow, TimestampNs ts);

// One option an analyzer accepts under `protocols.NAME` in the config file (besides
// `ports`, which every analyzer has). Values are validated against `kind` at load time.
struct AnalyzerOptionSpec {
  enum class Kind : uint8_t { Uint, Bool, String };
  std::string_view name;           // "max_body"
  Kind kind;                       //
  std::string_view default_value;  // as it would be written in YAML: "4096", "true", ""
  std::string_view help;           // one line, for docs/config.md and error messages
};

// One analyzer's option values: what the config file (or a command-line flag) set, over
// the declared defaults. Read by analyzers when they are made, never per packet.
class AnalyzerOptions {
 public:
  AnalyzerOptions() = default;
  explicit AnalyzerOptions(std::span<const AnalyzerOptionSpec> specs);
  // Sets `name` from text; false with `error` set if unknown or not of the option's kind.
  bool set(std::string_view name, std::string_view value, std::string& error);
  // The option must be declared (asking for an undeclared one is a programming error:
  // it aborts in debug builds and yields 0 / false / "" otherwise).
  uint64_t get_uint(std::string_view name) const;
  bool get_bool(std::string_view name) const;
  std::string_view get_string(std::string_view name) const;

 private:
  const std::string* find(std::string_view name) const;
  std::span<const AnalyzerOptionSpec> specs_;
  std::vector<std::string> values_;  // parallel to specs_
};

struct AnalyzerSpec;

// What the engine offers analyzers besides the event sink. Implemented by AppLayer.
class AnalyzerHost {
 public:
  virtual ~AnalyzerHost() = default;
  // Counts `spec.anomalies[index]` and, when asked for, emits a `weird` event.
  virtual void anomaly(const AnalyzerSpec& spec, size_t index, const FlowInfo& flow,
                       std::string_view detail, EventSink& out) = 0;
  // --redact (analyzers/redaction.h): `span` of `dir` is a secret. Within the bytes the
  // analyzer is being given, it names their stream offsets; elsewhere (a copy) its value.
  virtual void secret(Dir dir, ByteView span) {}
  // --redact: while on, payload of `dir` from the bytes being given now is not written
  // (the analyzer consumed bytes whose secrets it cannot place yet); off: it may be.
  virtual void hold(Dir dir, bool on) {}
  // State the flows of one analyzer kind share within this engine (one engine per
  // worker thread, so no locking): made by the analyzer at first use, kept until the
  // engine ends. Null where the host keeps none (each analyzer then makes its own).
  virtual std::shared_ptr<void>* shared_state(const AnalyzerSpec& spec) { return nullptr; }
  // The analyzers' part of the engine's memory budget (limits.max_buffer_total), for
  // state an analyzer grows with hostile input, such as decompression windows: a
  // quarter, so that it cannot starve reassembly. Null where none is kept.
  virtual BudgetShare* memory_budget() { return nullptr; }
  // A connection this flow announced (an FTP data connection after PASV/EPSV/PORT/EPRT):
  // the next TCP flow from `orig` (any port; empty: any address) to `resp` (or `resp_alt`,
  // when not empty) port `resp_port` within the engine's expectation timeout of `now` is
  // given to the analyzer named `service` (its `app`) instead of by port or content.
  virtual void expect(std::string_view service, const IpAddress& orig, const IpAddress& resp,
                      const IpAddress& resp_alt, uint16_t resp_port, TimestampNs now) {}
};

// Everything an analyzer is made with. Every pointer outlives the analyzer (the flow and
// the engine own them), so analyzers keep the context by value.
struct AnalyzerContext {
  const FlowInfo* flow = nullptr;
  const AnalyzerSpec* spec = nullptr;
  const AnalyzerOptions* options = nullptr;
  AnalyzerHost* host = nullptr;
  bool redact = false;  // --redact: mask passwords, credentials and hashes in events
  // The flow was given to this analyzer for its port (the default ports, or those the
  // config names), not claimed by a look at its bytes.
  bool by_port = false;

  // Reports an anomaly by its index in spec->anomalies (a stable name such as
  // "http.header_too_long"); `detail` is a short free-form explanation.
  void anomaly(size_t index, EventSink& out, std::string_view detail = {}) const;
  // --redact: a password, credential or hash as it appears in the bytes of `dir` (see
  // AnalyzerHost::secret); payload outputs mask it. Call while parsing, before returning.
  void secret(Dir dir, ByteView span) const {
    if (redact && host) host->secret(dir, span);
  }
  void secret(Dir dir, std::string_view span) const {
    secret(dir, ByteView(reinterpret_cast<const uint8_t*>(span.data()), span.size()));
  }
  void hold(Dir dir, bool on) const {
    if (redact && host) host->hold(dir, on);
  }
  // See AnalyzerHost::expect; the flow's current time starts the timeout.
  void expect(std::string_view service, const IpAddress& orig, const IpAddress& resp,
              const IpAddress& resp_alt, uint16_t resp_port) const {
    if (host) host->expect(service, orig, resp, resp_alt, resp_port, flow->now);
  }
};

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  // TCP: ordered bytes of one direction; UDP: one datagram. `data` lives for the call only.
  virtual ParseResult on_data(Dir dir, ByteView data, EventSink& out) = 0;
  // Bytes that will never arrive (capture loss): resynchronise or give up.
  virtual void on_gap(Dir dir, uint64_t missing, EventSink& out) {}
  // FIN/RST/timeout/end of input, or the engine dropping the analyzer after Done, Error
  // or a tail overflow: flush partial work (e.g. report a login left unanswered).
  // Called exactly once.
  virtual void on_close(EventSink& out) {}
};

struct AnalyzerSpec {
  std::string_view name;  // used in config, events ("app"), tests, fuzzers
  Transport transport;
  std::span<const uint16_t> ports;  // default server ports
  // Looks at the first bytes of one direction (all bytes seen so far in that direction,
  // up to the engine's probe depth); Yes claims the flow, Maybe asks for more bytes.
  Confidence (*probe)(Dir dir, ByteView first_bytes);
  std::unique_ptr<Analyzer> (*make)(const AnalyzerContext& context);
  // Stable names of the anomalies this analyzer reports, indexed by its own enum.
  std::span<const std::string_view> anomalies = {};
  // Options accepted under `protocols.NAME` in the config file.
  std::span<const AnalyzerOptionSpec> options = {};
};

}  // namespace netsift
