// The `stats` job: IP statistics (counters, buckets, flows, alerts, SQLite) as one
// packet consumer, so that `netsift stats` runs it alone and `netsift run --config`
// beside the sessions in the same pass over the input.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "app/capture_options.h"
#include "app/packet_pump.h"
#include "enrich/geoip.h"
#include "output/event_sinks.h"
#include "output/output_buffer.h"
#include "stats/home_networks.h"
#include "stats/stats_engine.h"
#include "stats/stats_options.h"
#include "stats/stats_store.h"

namespace netsift {

class StatsJob final : public PacketConsumer {
 public:
  // Home networks, GeoIP databases and the SQLite store; nullptr with `code` set
  // (usage or error) after saying why on stderr. JSON events and per-packet lines go to
  // `out`, text reports to `report`, or into `out` when `report` is nullptr: then `out`
  // is the job's own (`netsift stats`), flushed and watched by the packet pump, so a
  // failed write or a closed pipe ends the run.
  static std::unique_ptr<StatsJob> open(StatsOptions o, const CaptureOptions& capture,
                                        OutputBuffer& out, FILE* report, int& code);
  ~StatsJob() override;

  void on_packet(const PacketView& v, uint64_t) override { engine_->on_packet(v); }
  void on_idle(TimestampNs wall_now) override { engine_->on_idle(wall_now); }
  void flush() override {
    if (!report_) out_.flush();
  }
  bool output_failed() const override { return !report_ && out_.failed(); }

  // Ends the open flows and buckets, writes the text report (text mode) after what
  // `out` holds, closes the store. `input_cut`: a signal stopped the reading of a file
  // before its end (the summary says so; the stored run stays `complete = 0`).
  // Returns `code`, or kExitError when the store failed.
  int finish(int code, bool input_cut = false);

 private:
  StatsJob(StatsOptions o, OutputBuffer& out, FILE* report)
      : options_(std::move(o)), out_(out), report_(report) {}

  StatsOptions options_;
  OutputBuffer& out_;
  FILE* report_;
  HomeNetworks home_;
  GeoIp geoip_;
  std::unique_ptr<StatsStore> store_;
  std::string store_path_;
  std::unique_ptr<EventSink> jsonl_;
  StatsOutputs outputs_;
  std::unique_ptr<StatsEngine> engine_;
};

// "capture.pcap" -> "capture.stats.sqlite" in the current directory; live: the interface.
std::string default_stats_sqlite_path(const CaptureOptions& c);

}  // namespace netsift
