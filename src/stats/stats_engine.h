// The statistics behind `netsift stats`: takes every decoded packet, keeps the
// whole-capture counters, and at the end writes the `stats_summary` event and the
// text report. Owns no output: events go to the EventSink given, text to a FILE.
#pragma once

#include <cstdio>

#include "decode/decoder.h"
#include "decode/packet_view.h"
#include "flow/ip_defrag.h"
#include "events/event.h"
#include "stats/stats_options.h"
#include "stats/traffic_counters.h"

namespace netsift {

class StatsEngine {
 public:
  StatsEngine(const StatsOptions& options, EventSink* events);
  void on_packet(const PacketView& v);
  // End of input: emits what is pending and the summary event.
  void finish();
  // The report printed at the end of a text run.
  void print_report(FILE* out) const;
  const TrafficCounters& counters() const { return counters_; }

 private:
  Event summary_event() const;

  const StatsOptions& options_;
  EventSink* events_;
  Decoder decoder_;  // decodes reassembled datagrams
  IpDefragmenter defrag_;
  PacketView assembled_;
  TimestampNs clock_ = 0;
  uint64_t packets_since_expiry_ = 0;
  TrafficCounters counters_;
};

}  // namespace netsift
