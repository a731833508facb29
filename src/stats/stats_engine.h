// The statistics behind `netsift stats`. For every decoded packet: the whole-capture
// counters (TrafficCounters), the packet's flow record (FlowStats), a quick DNS look
// for the DNS detectors, and with --per-packet the ancestor's per-packet record. At
// each bucket boundary (packet time) the flows roll up into a BucketPartial, which the
// detectors read and which is written out (SQLite rows, a stats_bucket event) and
// added to the run's totals for the final report. Owns no output: events go to the
// EventSink given, per-packet text/JSON lines to the OutputBuffer, rows to the store.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "decode/packet_view.h"
#include "enrich/geoip.h"
#include "events/event.h"
#include "flow/capture_clock.h"
#include "flow/ip_defrag.h"
#include "output/output_buffer.h"
#include "output/time_format.h"
#include "stats/address_book.h"
#include "stats/bucket.h"
#include "stats/detectors.h"
#include "stats/flow_shard.h"
#include "stats/flow_stats.h"
#include "stats/home_networks.h"
#include "stats/stats_options.h"
#include "stats/stats_store.h"
#include "stats/traffic_counters.h"

namespace netsift {

struct StatsOutputs {
  EventSink* events = nullptr;    // JSON events (ip, stats_bucket, flow, alert, summary)
  OutputBuffer* lines = nullptr;  // per-packet records (text or JSON), in order
  StatsStore* store = nullptr;    // SQLite
  FILE* report = nullptr;         // text report(s)
  // Text report(s) into this buffer instead, after what it already holds (`netsift
  // stats`: one standard output, whose write errors and closed pipe end the run).
  OutputBuffer* report_out = nullptr;
};

// Makes the FlowAccounting that does the engine's per-flow work on other threads (app/
// sharded_stats.*), reporting ended flows to the given sink (the engine).
using MakeFlowAccounting = std::function<std::unique_ptr<FlowAccounting>(FlowEndSink&)>;

class StatsEngine final : private FlowEndSink {
 public:
  // `home` and `geoip` must outlive the engine. Without `make_flows`, flows are
  // accounted inline, on the caller's thread.
  StatsEngine(const StatsOptions& options, const HomeNetworks& home, const GeoIp& geoip,
              StatsOutputs out, const MakeFlowAccounting& make_flows = {});
  ~StatsEngine() override;
  void on_packet(const PacketView& v);
  // Live capture with no traffic: closes buckets that the wall clock has left.
  void on_idle(TimestampNs wall_now);
  // End of input: closes the last bucket, ends every flow, emits the summary.
  // `input_cut`: the input was not read to its end (a signal stopped a file): the
  // summary says `interrupted` and the stored run is not marked complete.
  void finish(bool input_cut = false);
  // One line naming each memory cap that turned data away, "" when none did.
  std::string caps_note() const;
  void print_report(FILE* out);
  std::string report_text();
  const TrafficCounters& counters() const { return counters_; }
  uint64_t alerts() const { return alert_count_; }

 private:
  void close_bucket();
  void flow_ended(const StatsFlow& f, std::string_view client_country,
                  std::string_view server_country, const char* reason) override;
  void write_packet(const PacketView& v, uint32_t ip_length);
  void dns_look(const PacketView& v, bool& nxdomain);
  // `hosts`: b.hosts in address order (rows in one order whatever the sharding).
  void emit_bucket(const BucketPartial& b,
                   const std::vector<const std::pair<IpAddress, HostCounters>*>& hosts);
  void emit_alert(const Alert& a);
  Event summary_event() const;

  const StatsOptions& options_;
  StatsOutputs out_;
  Decoder decoder_;  // decodes reassembled datagrams
  IpDefragmenter defrag_;
  PacketView assembled_;
  TimestampNs clock_ = 0;  // the latest packet time
  CaptureClock progress_;  // the capture's progress: flows' idle timeouts
  uint64_t packets_since_expiry_ = 0;
  TrafficCounters counters_;
  AddressBook book_;
  Detectors detectors_;
  BucketPartial partial_;
  std::unique_ptr<FlowAccounting> flows_;  // after book_ and partial_, which it may use
  uint64_t flow_pos_ = 0;                  // packets given to flows_
  int64_t bucket_ = 0;
  bool started_ = false;
  bool finishing_ = false;  // the last bucket: the caller prints the final report instead
  TimeFormatter time_;

  // Run totals for the report.
  tsl::robin_map<IpAddress, HostCounters, IpAddressHash> hosts_;
  uint64_t hosts_dropped_ = 0;
  // What the per-bucket caps turned away, over the run (BucketCaps).
  uint64_t bucket_entries_dropped_ = 0, bucket_hosts_dropped_ = 0;
  tsl::robin_map<uint32_t, Traffic> services_;
  tsl::robin_map<std::string, Traffic> countries_;
  std::array<Traffic, 256> protocols_{};
  uint64_t flows_ended_ = 0, buckets_ = 0, alert_count_ = 0;
  std::vector<Alert> alerts_;  // the first 100, for the report
  std::vector<Alert> found_;   // scratch
};

}  // namespace netsift
