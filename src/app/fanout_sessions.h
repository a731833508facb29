// The session engine over an AF_PACKET fanout group (`--fanout`, live capture on Linux).
//
// The kernel spreads the interface's packets over one socket per worker by a symmetric
// hash of the flow (PACKET_FANOUT_HASH), after reassembling IPv4 fragments
// (PACKET_FANOUT_FLAG_DEFRAG), so both directions of a connection reach one worker.
// Each worker thread reads its own socket and is a whole engine: decoding, the
// --host/--port filter, its own capture clock and expiry (a quiet socket expires its
// flows on the wall clock, whatever the others see), IPv6 defragmentation, the flow
// table, analyzers, the session filters, and rendering of its events. There is no
// reader thread and no global packet order: the writer (the caller's thread) writes
// each worker's output chunk as it comes, so the events of one flow are in order and
// different flows interleave by chunk. Login attempts reach the detectors
// (AuthMonitor) in that order too.
//
// The run ends on a stop request (SIGINT/SIGTERM), when -c packets were taken in total
// over the workers, on a capture error, or when an output fails; every worker then ends
// its open flows. Global caps (flows, buffered bytes, transcript bytes) are split evenly
// over the workers, and the summary adds up their counters and each socket's drops.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

#include "app/packet_pump.h"
#include "app/session_options.h"
#include "app/session_pipeline.h"
#include "app/worker_output.h"
#include "core/buffer_budget.h"
#include "core/spsc_ring.h"

namespace netsift {

class FanoutSessions {
 public:
  // `pump` was prepared with one fanout socket per worker.
  FanoutSessions(const SessionOptions& options, const CaptureOptions& capture, PacketPump& pump,
                 ShardedOutputs outputs, const std::atomic<bool>& stop);
  ~FanoutSessions();
  FanoutSessions(const FanoutSessions&) = delete;
  FanoutSessions& operator=(const FanoutSessions&) = delete;

  // Runs until the capture ends (see above); `control` flushes the outputs and tells
  // when one failed (the same object the one-reader path runs the pump into). Adds the
  // workers' packet counters to the pump's summary. Returns an ExitCode.
  int run(PacketConsumer& control);
  void print_summary(FILE* out) const;

 private:
  struct Worker;

  ShardedOutputs outputs_;
  PacketPump& pump_;
  std::atomic<bool> halt_{false};   // count reached, output failed: every worker stops
  std::atomic<uint64_t> taken_{0};  // -c: packets taken over all workers
  Doorbell bell_;                   // the writer sleeps here
  // The byte caps hold for all workers together, as with --workers (before workers_:
  // they outlive them).
  SharedBudget buffers_, transcripts_;
  std::vector<std::unique_ptr<Worker>> workers_;
  SessionTotals totals_;
  std::vector<uint64_t> frames_;  // per socket: how the kernel spread the packets
};

}  // namespace netsift
