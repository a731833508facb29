// The session engine spread over worker threads (`--workers N`, N > 1).
//
// The thread that runs the packet pump (the reader) keeps the capture clock, decides
// when flows are expired (every 64 packets, as one engine does), defragments IP, and
// sends each whole packet to the worker its flow was placed on (app/flow_placer.h: the
// least busy when the flow began) in that worker's current batch: the raw packet only (the worker
// decodes it again), its bytes in the file reader's block, which the batch holds until it comes
// back (capture/raw_packet.h, PacketBlock), or else copied into the batch (live capture, rebuilt
// datagrams). Batches go out in rounds: every worker gets one batch per round (maybe holding only
// clock ticks), so round r of every worker covers the same stretch of the capture. Each worker owns
// a flow table (reassembly, analyzers, events from its own EventPool), renders what it emits (JSON
// Lines, the text form) into output batches — one per round, or several chunks of ~1 MiB when a
// round emits more (memory stays bounded) — each item tagged with where one engine
// would have emitted it: the position of the packet, or tick, or end of input that
// caused it, then for flows ended by expiry or at the end, their idle list and last
// packet.
//
// The reader writes the rounds in order: each chunk as it comes (per flow in order), or
// with --ordered merged by those tags, which gives the bytes one engine writes (with flows still
// open at the end of an input flushed by idle order, which one engine also does under --ordered).
// Login attempts reach the detectors (AuthMonitor) merged by tag in both modes, so alerts do not
// depend on the number of workers. The byte caps (buffered bytes, transcript bytes) hold
// for all workers together: each draws allowance from one SharedBudget in grants. The
// flow cap is split evenly (flows are placed about evenly: each new flow goes to the
// worker with the least recent work, and a new flow counts as work). The summary adds their
// counters up.
//
// Threads meet only through single-producer/single-consumer rings (core/spsc_ring.h):
// batches, and their return for reuse. At most kRoundsInFlight rounds are out at once,
// each holding at most kBlocksPerRound blocks, so memory is bounded and a fast worker
// waits for a slow one (files: backpressure, nothing dropped; live capture: the reader
// never waits, packets it has no room for are dropped and counted in the summary).
// Destruction always returns, finish() or not (an exception, an early return): workers
// are told to stop, and what they hand over meanwhile is taken and dropped.
#pragma once

#include <cstdio>
#include <memory>
#include <vector>

#include "app/flow_placer.h"
#include "app/packet_pump.h"
#include "app/session_options.h"
#include "app/session_pipeline.h"
#include "app/worker_output.h"
#include "core/buffer_budget.h"
#include "core/spsc_ring.h"
#include "flow/capture_clock.h"
#include "flow/ip_defrag.h"

namespace netsift {

// How many workers `workers` (0 = auto: one per core this process may use, at most
// kMaxAutoWorkers) means on this machine.
constexpr uint32_t kMaxAutoWorkers = 16;
uint32_t resolve_workers(uint32_t workers);

class ShardedSessions final : public PacketConsumer {
 public:
  // `live`: the input is a live interface (never wait for the workers; drop and count
  // what cannot be handed over).
  ShardedSessions(const SessionOptions& options, uint32_t workers, ShardedOutputs outputs,
                  bool one_capture, bool live);
  ~ShardedSessions() override;
  ShardedSessions(const ShardedSessions&) = delete;
  ShardedSessions& operator=(const ShardedSessions&) = delete;

  void on_packet(const PacketView& view, uint64_t frame) override;
  void on_input_end(bool last) override;
  void on_idle(TimestampNs wall_now) override;
  // Live capture: sends the round out and writes the rounds already done.
  void flush() override;
  // End of all input: every open flow ends, everything is written, workers stop.
  void finish();
  void print_summary(FILE* out) const;

 private:
  struct Worker;
  struct InputBatch;
  struct OutputBatch;
  enum class Op : uint8_t;

  void broadcast(Op op, TimestampNs now);
  void send(const PacketView& view, TimestampNs now, TimestampNs stamp);
  // Sends the round being filled; without `wait`, only if the workers have room
  // (false: not sent).
  bool end_round(bool wait = true);
  void drop_round();
  // Writes finished rounds: all of them (waiting for the workers) or, without `wait`,
  // those already complete.
  void drain(bool wait, size_t keep_in_flight = 0);
  bool write_round(bool wait);
  bool round_full(const InputBatch& b, size_t bytes) const;
  // The worker's next free batch; lets go of the source blocks it held.
  InputBatch* take_batch(size_t worker);
  // Tells the workers to stop, takes (and drops) any output they hand over meanwhile,
  // and joins them: returns even when nothing will write their output any more.
  void stop_workers();

  SessionOptions options_;
  ShardedOutputs outputs_;
  bool one_capture_;
  bool live_;
  uint64_t dropped_ = 0;  // live capture: packets the workers had no room for
  Decoder decoder_;       // for datagrams the defragmenter rebuilds
  IpDefragmenter defrag_;
  PacketView assembled_;
  CaptureClock clock_;
  uint64_t packets_since_expiry_ = 0;
  uint64_t pos_ = 0;  // position of the next packet or tick in the capture
  // The global caps the workers draw their allowances from (max_buffer_total,
  // max_session_data_total); declared before the workers, which use them.
  SharedBudget buffers_, transcripts_;
  FlowPlacer placer_;  // which worker each flow goes to
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<InputBatch*> current_;  // the round being filled, per worker
  // Per worker, where writing the oldest round stands: its chunk being read and the
  // next item in it, or the round's output all written.
  struct Head {
    OutputBatch* batch = nullptr;
    size_t next = 0;
    uint32_t start = 0;  // where item `next`'s bytes begin
    bool round_done = false;
  };
  std::vector<Head> heads_;
  bool round_empty_ = true;
  // The source block of the round's last lent packet, and how many the round holds.
  const PacketBlock* round_block_ = nullptr;
  size_t round_blocks_ = 0;
  size_t in_flight_ = 0;
  bool finished_ = false;
  SessionTotals totals_;  // the workers' counters, added up when they stop
};

}  // namespace netsift
