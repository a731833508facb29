// The app-layer engine: chooses a protocol analyzer for each flow (configured ports,
// then default ports, then probing the first bytes of each direction), feeds it ordered
// bytes, gaps and close, keeps what it has not consumed (NeedMore tails), and counts
// what goes wrong per analyzer and by stable name. The flow table only hands it bytes,
// gaps and close; the analyzers are given as a span of specs (analyzers/registry.h).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzers/analyzer.h"
#include "analyzers/redaction.h"
#include "core/buffer_budget.h"

namespace netsift {

struct AppLayerConfig {
  bool enabled = true;  // run protocol analyzers at all
  // Protocol name -> server ports, overriding the analyzers' defaults (config file).
  std::unordered_map<std::string, std::vector<uint16_t>> ports;
  // Protocol name -> options (`protocols.NAME.*` in the config file); others get defaults.
  std::unordered_map<std::string, AnalyzerOptions> options;
  uint32_t max_tail = 64 * 1024;  // bytes kept per direction for a NeedMore
  uint32_t probe_depth = 4096;    // bytes per direction buffered while probing
  bool redact = false;            // --redact: mask secrets in events
  bool weird_events = false;      // --weird: emit a `weird` event per analyzer anomaly
  // Announced connections (AnalyzerHost::expect) kept at once, and for how long (capture
  // time); past the cap the oldest is forgotten.
  uint32_t max_expected = 256;
  TimestampNs expect_timeout = TimestampNs(120) * 1'000'000'000;
};

struct AppLayerStats {
  uint64_t analyzer_errors = 0;          // analyzers dropped after Error
  uint64_t analyzer_tail_overflows = 0;  // NeedMore tails past max_tail or `needed` past it
  uint64_t budget_refusals = 0;          // tails/probe bytes refused by the memory budget
  uint64_t anomalies = 0;                // all analyzer anomalies together
  uint64_t expected = 0;                 // connections announced (FTP data)
  uint64_t expected_seen = 0;            // flows that matched one
  uint64_t expected_dropped = 0;         // announcements forgotten at max_expected
};

// What one analyzer (by name: DNS over UDP and over TCP count together) went through in
// a run, for the summary.
struct AnalyzerSummary {
  std::string_view name;
  uint64_t flows = 0;           // flows it was given
  uint64_t errors = 0;          // ended by its own Error
  uint64_t tail_overflows = 0;  // ended because it wanted more than max_tail held
  std::vector<std::pair<std::string_view, uint64_t>> anomalies;  // those that happened
};

// The app-layer state of one flow, owned by the flow. Small (there may be a million
// flows): buffers are made only when a flow first holds bytes.
class AppFlow {
 public:
  // The analyzer in charge, or the one its port names before the first byte.
  const AnalyzerSpec* spec() const { return spec_ ? spec_ : by_port_; }
  bool active() const { return analyzer_ != nullptr; }
  // --redact: the secrets analyzers found in this flow (null: none), and the stream offset
  // of `dir` below which its bytes have been judged (everything past it may still turn
  // out secret: payload writers hold it back). UINT64_MAX once no analyzer reads `dir`.
  const Redaction* redaction() const { return redaction_.get(); }
  uint64_t settled(Dir dir) const;

 private:
  friend class AppLayer;
  // What probing saw, in arrival order: bytes held in probe[dir], or a stretch of a
  // direction that was not held (a gap, or bytes past probe_depth).
  struct Held {
    Dir dir;
    bool gap;
    uint64_t length;
  };
  struct Buffers {
    std::array<std::vector<uint8_t>, 2> tail;   // analyzer bytes kept on NeedMore
    std::array<std::vector<uint8_t>, 2> probe;  // bytes seen while probing
    std::vector<Held> probe_log;
  };
  Buffers& buffers() {
    if (!buffers_) buffers_ = std::make_unique<Buffers>();
    return *buffers_;
  }

  const AnalyzerSpec* spec_ = nullptr;
  const AnalyzerSpec* by_port_ = nullptr;  // chosen by port, made at the first byte
  std::unique_ptr<Analyzer> analyzer_;
  const FlowInfo* flow_ = nullptr;
  std::unique_ptr<Buffers> buffers_;
  std::array<uint32_t, 2> wanted_{};      // tail size the analyzer waits for (0: any)
  std::array<bool, 2> probe_given_up_{};  // a hole, the depth reached, or every probe said No
  bool finished_ = false;  // an analyzer ran and ended, or no analyzer can claim the flow
  // --redact only: stream offset past the last byte or hole given to the analyzer, per
  // direction; where a hold began; the secrets found.
  std::array<uint64_t, 2> analyzed_{};
  std::array<uint64_t, 2> consumed_{};  // the analyzer is done with the bytes before this
  std::array<uint64_t, 2> hold_{UINT64_MAX, UINT64_MAX};
  std::unique_ptr<Redaction> redaction_;
};

class AppLayer final : public AnalyzerHost {
 public:
  // `registry` and `budget` outlive the engine; events go to `events`.
  AppLayer(std::span<const AnalyzerSpec> registry, AppLayerConfig config, EventSink& events,
           BufferBudget& budget);
  ~AppLayer() override;
  AppLayer(const AppLayer&) = delete;
  AppLayer& operator=(const AppLayer&) = delete;

  // A new flow: an analyzer is chosen now when a port names one. `flow` outlives `state`.
  void start(AppFlow& state, const FlowInfo& flow, Transport transport);
  // TCP: the next contiguous bytes of one direction; UDP: one datagram.
  void data(AppFlow& state, Dir dir, ByteView bytes);
  // `length` bytes of one direction will never arrive.
  void gap(AppFlow& state, Dir dir, uint64_t length);
  // The flow ends (FIN, RST, timeout, end of input, eviction): analyzers flush. The
  // state may then be destroyed; a new connection on the same ports gets a new AppFlow.
  void close(AppFlow& state);

  const AppLayerStats& stats() const { return stats_; }
  // Per analyzer name, in registry order, those with anything to report.
  std::vector<AnalyzerSummary> summaries() const;
  // The same over several engines (one per sharded worker), as if they were one.
  static std::vector<AnalyzerSummary> summaries(std::span<const AppLayer* const> layers);
  // Anomaly counts by stable name, for the run summary (only those that happened).
  std::vector<std::pair<std::string_view, uint64_t>> anomaly_counts() const;
  // Bytes held for probing right now, all flows (capped at a quarter of the budget so
  // probing never starves reassembly).
  uint64_t probe_bytes() const { return probe_held_; }

  void anomaly(const AnalyzerSpec& spec, size_t index, const FlowInfo& flow,
               std::string_view detail, EventSink& out) override;
  void secret(Dir dir, ByteView span) override;
  void hold(Dir dir, bool on) override;
  std::shared_ptr<void>* shared_state(const AnalyzerSpec& spec) override;
  BudgetShare* memory_budget() override { return &analyzer_memory_; }
  void expect(std::string_view service, const IpAddress& orig, const IpAddress& resp,
              const IpAddress& resp_alt, uint16_t resp_port, TimestampNs now) override;

 private:
  Redaction& redaction(AppFlow& state);
  void mask_unread(AppFlow& state, Dir dir);
  struct Counters {
    uint64_t flows = 0, errors = 0, tail_overflows = 0;
    std::vector<uint64_t> anomalies;  // parallel to spec.anomalies
  };

  void claim(AppFlow& state, const AnalyzerSpec& spec, bool by_port);
  void probe(AppFlow& state, Dir dir, ByteView bytes, Transport transport);
  void hold_gap(AppFlow& state, Dir dir, uint64_t length);
  void replay(AppFlow& state);
  bool make_chosen(AppFlow& state);
  void feed(AppFlow& state, Dir dir, ByteView bytes);
  void overflow(AppFlow& state);
  void finish(AppFlow& state);
  bool take_budget(uint64_t bytes);
  void release(std::vector<uint8_t>& buffer, bool keep_capacity = false);
  Counters& counters(const AnalyzerSpec& spec);

  std::span<const AnalyzerSpec> registry_;
  AppLayerConfig config_;
  EventSink& events_;
  BufferBudget& budget_;
  BudgetShare analyzer_memory_{budget_, 4};  // memory_budget(): a quarter of budget_
  AppLayerStats stats_;
  uint64_t probe_held_ = 0;
  std::unordered_map<uint16_t, const AnalyzerSpec*> tcp_ports_, udp_ports_;
  std::vector<AnalyzerOptions> options_;       // parallel to registry_
  std::vector<Counters> counters_;             // parallel to registry_
  std::vector<std::shared_ptr<void>> shared_;  // parallel to registry_ (shared_state)
  // Connections announced by other flows (FTP data), oldest first.
  struct Expected {
    const AnalyzerSpec* spec;
    IpAddress orig, resp, resp_alt;
    uint16_t resp_port;
    TimestampNs expires;
  };
  const AnalyzerSpec* take_expected(const FlowInfo& flow);
  std::vector<Expected> expected_;
  // --redact: the flow and input an analyzer is working on while it is called.
  AppFlow* current_ = nullptr;
  Dir current_dir_ = Dir::ToServer;
  ByteView current_input_;
};

}  // namespace netsift
