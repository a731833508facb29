// Where the per-flow part of the statistics runs. StatsEngine (stats/stats_engine.*)
// keeps what must see every packet in order — counters, defragmentation, buckets, the
// DNS look, per-packet records, detectors, outputs — and hands each packet's flow work
// to a FlowAccounting: a FlowShard on its own thread (--workers 1), or the sharded
// workers of app/sharded_stats.*, each owning a FlowShard of the flows that hash to it.
// At each bucket end the engine gathers the flows' counts (roll_up, merged partials) and
// then their ends (end_flows, in one order whatever the number of shards).
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "decode/packet_view.h"
#include "enrich/app_detect.h"
#include "stats/address_book.h"
#include "stats/bucket.h"
#include "stats/flow_stats.h"

namespace netsift {

// Receives each ended flow with the countries (or range names) of its two ends; the
// views live for the call.
class FlowEndSink {
 public:
  virtual ~FlowEndSink() = default;
  virtual void flow_ended(const StatsFlow& f, std::string_view client_country,
                          std::string_view server_country, const char* reason) = 0;
};

class FlowAccounting {
 public:
  virtual ~FlowAccounting() = default;
  // One packet's flow work (`v` is the packet `p` was made from).
  virtual void add(const PacketView& v, const FlowPacket& p) = 0;
  // A bucket ends: the counts of every flow since the last roll-up are added to `into`,
  // and the flows idle at `now` (every flow when `all`) are marked to end.
  virtual void roll_up(BucketPartial& into, TimestampNs now, bool all) = 0;
  // The marked flows end, each handed to the sink with `reason`, in flow_order_less
  // order.
  virtual void end_flows(const char* reason) = 0;
  virtual size_t open_flows() const = 0;
  virtual uint64_t evicted() const = 0;
};

struct FlowShardLimits {
  size_t max_flows = 1u << 20;
  BucketCaps bucket;              // per-bucket tables this shard fills
  size_t max_dpi_states = 16384;  // flows inspected by nDPI at once
  TimestampNs flow_timeout = 120 * kNsPerSec;
  bool dpi = true;
};

// One flow table with its nDPI detector. When the table is full, the idlest flows end
// early ("evicted"): their counts so far go to `pending` (the partial the caller fills
// for the current bucket) and their records to the sink at once.
class FlowShard final : public FlowAccounting {
 public:
  // `book` (countries), `pending` and `sink` must outlive the shard.
  FlowShard(const FlowShardLimits& limits, AddressBook& book, BucketPartial& pending,
            FlowEndSink& sink);
  void add(const PacketView&, const FlowPacket& p) override { add(p); }
  void add(const FlowPacket& p);
  void roll_up(BucketPartial& into, TimestampNs now, bool all) override;
  void end_flows(const char* reason) override;
  size_t open_flows() const override { return flows_.size(); }
  uint64_t evicted() const override { return flows_.evicted(); }
  bool dpi_enabled() const { return dpi_ && dpi_->enabled(); }

 private:
  std::string_view country_of(const IpAddress& a) {
    return book_.location(book_.facts(a).location).country;
  }
  void ended(const StatsFlow& f, const char* reason) {
    sink_.flow_ended(f, country_of(f.client()), country_of(f.server()), reason);
  }

  FlowShardLimits limits_;
  AddressBook& book_;
  BucketPartial& pending_;
  FlowEndSink& sink_;
  std::unique_ptr<AppDetector> dpi_;  // before flows_, which uses it
  FlowStats flows_;
  TimestampNs end_now_ = 0;
  bool end_all_ = false;
};

}  // namespace netsift
