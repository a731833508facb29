// The per-flow part of `netsift stats` spread over worker threads (--workers N, N > 1).
//
// The engine's thread (the reader: stats/stats_engine.*) keeps everything that must
// see each packet in capture order — counters, defragmentation, bucket boundaries, the
// DNS look, per-packet records — and sends each packet's flow work (a FlowPacket, with
// the IP bytes nDPI needs copied into the batch) to the worker its flow hashes to
// (flow/flow_hash.h, both directions alike), in batches through single-producer /
// single-consumer rings (core/spsc_ring.h). Each worker owns a FlowShard: its flows'
// table and nDPI state, and its share of the bucket's partial.
//
// A bucket ends on the reader: every worker gets a close mark behind its packets, rolls
// its flows up into its partial and hands it over; the reader merges the partials (sums
// and set unions: stats/bucket.h) before the detectors and outputs read them, so buckets
// and alerts do not depend on N. Then the workers end their idle flows, each in
// (first packet time, position) order, and the reader merges those streams into that
// same order: flow records come out as one engine writes them. Flows evicted early
// because a worker's table is full (max_flows is shared out over the workers) come out
// when their worker hands them over.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/spsc_ring.h"
#include "enrich/geoip.h"
#include "stats/flow_shard.h"
#include "stats/home_networks.h"
#include "stats/stats_options.h"

namespace netsift {

class ShardedStats final : public FlowAccounting {
 public:
  // `home`, `geoip` and `sink` must outlive this object; `sink` is called on the
  // caller's thread only.
  ShardedStats(const StatsOptions& options, const HomeNetworks& home, const GeoIp& geoip,
               uint32_t workers, FlowEndSink& sink);
  ~ShardedStats() override;
  ShardedStats(const ShardedStats&) = delete;
  ShardedStats& operator=(const ShardedStats&) = delete;

  void add(const PacketView& v, const FlowPacket& p) override;
  void roll_up(BucketPartial& into, TimestampNs now, bool all) override;
  void end_flows(const char* reason) override;
  // As of the last end_flows.
  size_t open_flows() const override { return open_; }
  uint64_t evicted() const override { return evicted_; }

 private:
  struct Worker;
  struct InputBatch;
  struct OutputChunk;

  InputBatch& batch_for(size_t w, size_t bytes);
  void send(size_t w);
  // The worker's next output, handling flows it evicted on the way; waits.
  OutputChunk* next_output(size_t w);
  void give_back(size_t w, OutputChunk* c);
  // Handles evicted flows that have come; true if there were any.
  bool take_evicted();
  void emit_evicted(const OutputChunk& c);

  FlowEndSink& sink_;
  bool copy_bytes_;  // nDPI is on: workers need the packets' IP bytes
  // Packets shown to nDPI per flow in this bucket, by flow hash (a cache: a flow that
  // loses its slot starts counting again). A flow's detection is over once it has been
  // shown AppDetector::kMaxPackets packets, so later packets travel without their
  // bytes. Flows end only at a bucket's end (or when a full table evicts them), so the
  // counts start over at each bucket.
  struct NdpiCount {
    FlowKey key;
    uint32_t bucket = 0;  // counts from another bucket are stale
    uint32_t shown = 0;
  };
  std::vector<NdpiCount> shown_;
  uint32_t bucket_ = 1;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<InputBatch*> current_;  // the batch being filled, per worker (or null)
  std::vector<bool> closing_;         // sent a close whose output is not all in yet
  Doorbell bell_;                     // the reader sleeps here
  size_t open_ = 0;
  uint64_t evicted_ = 0;
};

}  // namespace netsift
