// The app-layer engine: chooses a protocol analyzer for each flow (configured ports,
// then default ports, then probing the first bytes of each direction), feeds it ordered
// bytes, gaps and close, keeps what it has not consumed (NeedMore tails), and counts
// what goes wrong by stable name. The flow table only hands it bytes, gaps and close;
// the analyzers are given as a span of specs (analyzers/registry.h lists them).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzers/analyzer.h"
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
  bool weird_events = false;      // emit a `weird` event per analyzer anomaly
};

struct AppLayerStats {
  uint64_t analyzer_errors = 0;          // analyzers dropped after Error
  uint64_t analyzer_tail_overflows = 0;  // NeedMore tails past max_tail
  uint64_t budget_refusals = 0;          // tails/probe bytes refused by the global budget
  uint64_t anomalies = 0;                // all analyzer anomalies together
};

// The app-layer state of one flow, owned by the flow.
class AppFlow {
 public:
  // The analyzer in charge, or the one its port names before the first byte.
  const AnalyzerSpec* spec() const { return spec_ ? spec_ : by_port_; }
  bool active() const { return analyzer_ != nullptr; }

 private:
  friend class AppLayer;
  const AnalyzerSpec* spec_ = nullptr;
  const AnalyzerSpec* by_port_ = nullptr;  // chosen by port, made at the first byte
  std::unique_ptr<Analyzer> analyzer_;
  AnalyzerContext context_;
  std::array<std::vector<uint8_t>, 2> tail_;   // analyzer bytes kept on NeedMore
  std::array<uint64_t, 2> wanted_{};           // tail size the analyzer waits for (0: any)
  std::array<std::vector<uint8_t>, 2> probe_;  // bytes seen while probing, replayed on claim
  std::vector<std::pair<Dir, uint32_t>> probe_order_;  // held chunks in arrival order
  std::array<bool, 2> probe_given_up_{};
  std::array<uint64_t, 2> gap_before_claim_{};
  bool finished_ = false;  // an analyzer ran and ended, or no analyzer can claim the flow
};

class AppLayer final : public AnalyzerHost {
 public:
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
  // The flow ends (FIN, RST, timeout, end of input, eviction): analyzers flush.
  void close(AppFlow& state);

  const AppLayerStats& stats() const { return stats_; }
  // Anomaly counts by stable name, for the run summary (only those that happened).
  std::vector<std::pair<std::string_view, uint64_t>> anomaly_counts() const;

  void anomaly(const AnalyzerSpec& spec, size_t index, const FlowInfo& flow,
               std::string_view detail, EventSink& out) override;

 private:
  void claim(AppFlow& state, const AnalyzerSpec& spec, const FlowInfo& flow);
  void probe(AppFlow& state, Dir dir, ByteView bytes, Transport transport);
  void replay(AppFlow& state);
  bool make_chosen(AppFlow& state);
  void feed(AppFlow& state, Dir dir, ByteView bytes);
  void finish(AppFlow& state);
  void release(std::vector<uint8_t>& buffer);
  const AnalyzerOptions& options_for(const AnalyzerSpec& spec);

  std::span<const AnalyzerSpec> registry_;
  AppLayerConfig config_;
  EventSink& events_;
  BufferBudget& budget_;
  AppLayerStats stats_;
  std::unordered_map<uint16_t, const AnalyzerSpec*> tcp_ports_, udp_ports_;
  std::unordered_map<const AnalyzerSpec*, AnalyzerOptions> options_;
  // Per analyzer spec, one counter per declared anomaly.
  std::unordered_map<const AnalyzerSpec*, std::vector<uint64_t>> anomaly_counts_;
};

}  // namespace netsift
