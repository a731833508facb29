#include "app/session_pipeline.h"

#include <fmt/format.h>

#include <string>

#include "analyzers/registry.h"

namespace netsift {

SessionPipeline::SessionPipeline(const SessionOptions& options, FlowObserver& observer,
                                 EventSink& events, bool one_capture)
    : defrag_(options.defrag, decoder_),
      flows_(options.flow, analyzer_registry(), observer, events),
      one_capture_(one_capture),
      ordered_(options.ordered) {}

void SessionPipeline::on_packet(const PacketView& view, uint64_t) {
  TimestampNs now = clock_.on_packet(view.raw->ts);
  defrag_.set_clock(now);
  // Expiry scans only the heads of the idle lists, but there is no need to do it for
  // every packet of a burst.
  if (++packets_since_expiry_ >= 64) {
    packets_since_expiry_ = 0;
    flows_.advance_time(now);
    defrag_.expire(now);
  }
  flows_.set_clock(now, clock_.stamp());
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

void SessionPipeline::on_input_end(bool last) {
  if (one_capture_ || last) return;  // the last input's flows end in finish()
  // The next file is another capture: its clock and its flows start afresh.
  flows_.flush_all(ordered_);
  defrag_.finish();
  clock_.reset();
  packets_since_expiry_ = 0;
}

void SessionPipeline::on_idle(TimestampNs wall_now) {
  // Live capture with no traffic: the wall clock moves the flow clock.
  TimestampNs now = clock_.on_wall_time(wall_now);
  flows_.set_clock(now);
  defrag_.set_clock(now);
  flows_.advance_time(now);
  defrag_.expire(now);
}

void SessionPipeline::finish() {
  flows_.flush_all(ordered_);
  defrag_.finish();
}

void SessionTotals::add(const FlowTableStats& f) {
  static_assert(sizeof(FlowTableStats) == 7 * sizeof(uint64_t), "a new counter: add it here");
  flows.tcp_flows += f.tcp_flows;
  flows.udp_flows += f.udp_flows;
  flows.flows_evicted += f.flows_evicted;
  flows.tcp_gap_bytes += f.tcp_gap_bytes;
  flows.tcp_cap_dropped_bytes += f.tcp_cap_dropped_bytes;
  flows.tcp_overlaps += f.tcp_overlaps;
  flows.tcp_conflicting_overlaps += f.tcp_conflicting_overlaps;
}

void SessionTotals::add(const AppLayerStats& a) {
  static_assert(sizeof(AppLayerStats) == 7 * sizeof(uint64_t), "a new counter: add it here");
  app.expected += a.expected;
  app.expected_seen += a.expected_seen;
  app.expected_dropped += a.expected_dropped;
  app.analyzer_errors += a.analyzer_errors;
  app.analyzer_tail_overflows += a.analyzer_tail_overflows;
  app.budget_refusals += a.budget_refusals;
  app.anomalies += a.anomalies;
}

void SessionTotals::add(const DefragStats& d) {
  static_assert(sizeof(DefragStats) == 7 * sizeof(uint64_t), "a new counter: add it here");
  defrag.fragments += d.fragments;
  defrag.reassembled += d.reassembled;
  defrag.timed_out += d.timed_out;
  defrag.cap_dropped += d.cap_dropped;
  defrag.conflicting_overlaps += d.conflicting_overlaps;
  defrag.too_large += d.too_large;
  defrag.incomplete_at_end += d.incomplete_at_end;
}

void SessionPipeline::print_summary(FILE* out) const {
  SessionTotals t;
  t.add(flows_.stats());
  t.add(flows_.app_layer().stats());
  t.defrag = defrag_.stats();
  t.analyzers = flows_.app_layer().summaries();
  print_session_summary(out, t);
}

void print_session_summary(FILE* out, const SessionTotals& t) {
  const FlowTableStats& s = t.flows;
  const AppLayerStats& a = t.app;
  const DefragStats& d = t.defrag;
  std::fprintf(out,
               "netsift: %s, %s, %lu evicted at the flow cap, "
               "%s missing in gaps (%lu cut by buffer caps), %s\n",
               plural(s.tcp_flows, "TCP session", "TCP sessions").c_str(),
               plural(s.udp_flows, "UDP flow", "UDP flows").c_str(), (unsigned long)s.flows_evicted,
               plural(s.tcp_gap_bytes, "byte", "bytes").c_str(),
               (unsigned long)s.tcp_cap_dropped_bytes,
               plural(a.analyzer_errors, "analyzer error", "analyzer errors").c_str());
  // Overlapping data that differs is an evasion attempt or a broken stack: the first
  // copy is what the analyzers got (as most OS stacks keep it), the rest is counted.
  if (s.tcp_conflicting_overlaps) {
    std::fprintf(out,
                 "netsift: %lu TCP overlaps, %lu with conflicting data "
                 "(tcp.conflicting_overlap; the first copy was kept)\n",
                 (unsigned long)s.tcp_overlaps, (unsigned long)s.tcp_conflicting_overlaps);
  }
  if (a.analyzer_tail_overflows || a.budget_refusals) {
    std::fprintf(out,
                 "netsift: %lu analyzers stopped at the tail cap, %lu buffers refused by the "
                 "global memory cap\n",
                 (unsigned long)a.analyzer_tail_overflows, (unsigned long)a.budget_refusals);
  }
  if (a.expected_dropped) {
    std::fprintf(out,
                 "netsift: %lu announced data connections (FTP PASV/PORT), %lu seen, %lu "
                 "forgotten at the cap of waiting ones\n",
                 (unsigned long)a.expected, (unsigned long)a.expected_seen,
                 (unsigned long)a.expected_dropped);
  }
  // Per analyzer: what ended it early and the anomalies it reported, by stable name.
  for (const AnalyzerSummary& an : t.analyzers) {
    if (!an.errors && !an.tail_overflows && an.anomalies.empty()) continue;
    std::string line = fmt::format("netsift: {}: {} flows, {} errors, {} stopped at the tail cap",
                                   an.name, an.flows, an.errors, an.tail_overflows);
    for (const auto& [name, count] : an.anomalies) line += fmt::format(", {} {}", count, name);
    std::fprintf(out, "%s\n", line.c_str());
  }
  if (d.fragments) {
    std::fprintf(out,
                 "netsift: %s, %s reassembled, %lu timed out, %lu dropped by caps, %lu "
                 "conflicting overlaps, %lu too large, %lu incomplete at end of input\n",
                 plural(d.fragments, "IP fragment", "IP fragments").c_str(),
                 plural(d.reassembled, "datagram", "datagrams").c_str(), (unsigned long)d.timed_out,
                 (unsigned long)d.cap_dropped, (unsigned long)d.conflicting_overlaps,
                 (unsigned long)d.too_large, (unsigned long)d.incomplete_at_end);
  }
}

}  // namespace netsift
