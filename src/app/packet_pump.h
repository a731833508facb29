// The front of every pipeline: opens the inputs (files in turn, or a live interface),
// applies the BPF filter, decodes, applies the --host/--port asset filters, honours -c
// and -w, and hands each accepted packet to a consumer. Keeps the run's counters.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/capture_options.h"
#include "capture/raw_packet.h"
#include "core/problems.h"
#include "decode/decoder.h"
#include "decode/packet_view.h"

namespace netsift {

class PacketConsumer {
 public:
  virtual ~PacketConsumer() = default;
  // `frame` is the packet's 1-based index in its input file (or capture).
  virtual void on_packet(const PacketView& view, uint64_t frame) = 0;
  // Called when an input ends, so a consumer can flush per-input state.
  virtual void on_input_end() {}
  // Live capture only: no packet for a while; `wall_now` is the current time.
  virtual void on_idle(TimestampNs wall_now) {}
};

struct RunStats {
  uint64_t frames_read = 0;
  uint64_t frames_clean = 0;      // decoded without any problem
  uint64_t frames_malformed = 0;  // at least one problem
  uint64_t frames_filtered = 0;   // rejected by BPF or --host/--port
  uint64_t kernel_dropped = 0;
  ProblemCounters problems;
};

// Process exit codes (documented in docs/netsift.1).
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,  // nothing could be processed: unreadable input, bad filter or config
  kExitDamaged =
      2,            // an input was corrupt or truncated: everything before the damage was processed
  kExitUsage = 64,  // bad command line
};

class PacketPump {
 public:
  PacketPump(const CaptureOptions& options, const std::atomic<bool>& stop);
  ~PacketPump();

  // Checks inputs and the filter before anything is printed; false with error set.
  bool prepare(std::string& error);
  // Runs to the end of all inputs, -c, or a stop request; returns an ExitCode.
  int run(PacketConsumer& consumer);
  const RunStats& stats() const { return stats_; }
  // "netsift: N frames read, ..." on `out`.
  void print_summary(FILE* out) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  RunStats stats_;
};

}  // namespace netsift
