// The session engine behind `netsift sessions` and `netsift run`: defragments IP,
// feeds the flow table, advances its clock (CaptureClock), and at the end of each input
// (or of the last, with --one-capture) flushes every flow.
#pragma once

#include "app/packet_pump.h"
#include "app/session_options.h"
#include "flow/capture_clock.h"
#include "flow/flow_table.h"
#include "flow/ip_defrag.h"

namespace netsift {

// The session engine's counters for the run summary; those of sharded workers add up
// to what one engine would have counted.
struct SessionTotals {
  FlowTableStats flows;
  AppLayerStats app;
  DefragStats defrag;
  std::vector<AnalyzerSummary> analyzers;
  void add(const FlowTableStats& f);
  void add(const AppLayerStats& a);
  void add(const DefragStats& d);
};
void print_session_summary(FILE* out, const SessionTotals& totals);

class SessionPipeline final : public PacketConsumer {
 public:
  // `one_capture`: inputs continue each other (flows live on from one file to the
  // next); otherwise each input is a capture of its own and its flows end with it.
  SessionPipeline(const SessionOptions& options, FlowObserver& observer, EventSink& events,
                  bool one_capture = false);
  void on_packet(const PacketView& view, uint64_t frame) override;
  void on_input_end(bool last) override;
  void on_idle(TimestampNs wall_now) override;
  // End of all input: every open flow ends now.
  void finish();
  void print_summary(FILE* out) const;
  // Several engines (--fanout workers) draw the byte caps from one budget.
  void share_buffer_budget(SharedBudget* pool, uint32_t engines) {
    flows_.share_buffer_budget(pool, engines);
  }
  // Counters, for engines whose summaries are added up (--fanout workers).
  const FlowTable& flows() const { return flows_; }
  const DefragStats& defrag_stats() const { return defrag_.stats(); }

 private:
  Decoder decoder_;
  IpDefragmenter defrag_;
  FlowTable flows_;
  PacketView assembled_;
  CaptureClock clock_;
  bool one_capture_;
  bool ordered_;  // --ordered: flush in idle order (the same for any number of workers)
  uint64_t packets_since_expiry_ = 0;
};

}  // namespace netsift
