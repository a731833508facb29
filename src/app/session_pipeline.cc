#include "app/session_pipeline.h"

#include "analyzers/registry.h"

namespace netsift {

SessionPipeline::SessionPipeline(const SessionOptions& options, FlowObserver& observer,
                                 EventSink& events)
    : defrag_(options.defrag, decoder_),
      flows_(options.flow, analyzer_registry(), observer, events) {}

void SessionPipeline::on_packet(const PacketView& view, uint64_t) {
  TimestampNs ts = view.raw->ts;
  if (ts > clock_) clock_ = ts;
  // Expiry scans only the heads of the idle lists, but there is no need to do it for
  // every packet of a burst.
  if (++packets_since_expiry_ >= 64) {
    packets_since_expiry_ = 0;
    flows_.advance_time(clock_);
    defrag_.expire(clock_);
  }
  if (view.fragment) {
    switch (defrag_.add(view, assembled_)) {
      case IpDefragmenter::Result::Held:
        return;
      case IpDefragmenter::Result::Complete:
        flows_.on_packet(assembled_);
        return;
      case IpDefragmenter::Result::NotFragment:
        break;
    }
  }
  flows_.on_packet(view);
}

void SessionPipeline::on_idle(TimestampNs wall_now) {
  // Live capture with no traffic: the wall clock moves the flow clock.
  if (wall_now > clock_) clock_ = wall_now;
  flows_.advance_time(clock_);
  defrag_.expire(clock_);
}

void SessionPipeline::finish() {
  flows_.flush_all();
  defrag_.finish();
}

void SessionPipeline::print_summary(FILE* out) const {
  const FlowTableStats& s = flows_.stats();
  const AppLayerStats& a = flows_.app_layer().stats();
  const DefragStats& d = defrag_.stats();
  std::fprintf(out,
               "netsift: %lu TCP sessions, %lu UDP flows, %lu evicted at the flow cap, "
               "%lu bytes missing in gaps (%lu cut by buffer caps), %lu analyzer errors\n",
               (unsigned long)s.tcp_flows, (unsigned long)s.udp_flows,
               (unsigned long)s.flows_evicted, (unsigned long)s.tcp_gap_bytes,
               (unsigned long)s.tcp_cap_dropped_bytes, (unsigned long)a.analyzer_errors);
  if (a.analyzer_tail_overflows || a.budget_refusals) {
    std::fprintf(out,
                 "netsift: %lu analyzers stopped at the tail cap, %lu buffers refused by the "
                 "global memory cap\n",
                 (unsigned long)a.analyzer_tail_overflows, (unsigned long)a.budget_refusals);
  }
  for (const auto& [name, count] : flows_.app_layer().anomaly_counts()) {
    std::fprintf(out, "netsift: %lu %.*s\n", (unsigned long)count, int(name.size()), name.data());
  }
  if (d.fragments) {
    std::fprintf(
        out,
        "netsift: %lu IP fragments, %lu datagrams reassembled, %lu timed out, %lu dropped "
        "by caps, %lu conflicting overlaps, %lu too large, %lu incomplete at end of input\n",
        (unsigned long)d.fragments, (unsigned long)d.reassembled, (unsigned long)d.timed_out,
        (unsigned long)d.cap_dropped, (unsigned long)d.conflicting_overlaps,
        (unsigned long)d.too_large, (unsigned long)d.incomplete_at_end);
  }
}

}  // namespace netsift
