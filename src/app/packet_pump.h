// The front of every pipeline: opens the inputs (files in turn, or a live interface),
// applies the BPF filter, decodes, applies the --host/--port asset filters, honours -c
// and -w, and hands each accepted packet to a consumer. Keeps the run's counters, and
// decides when output is pushed out (live capture, -l) and when a failed output ends
// the run.
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
  // Called when an input ends; `last` when no other input follows.
  virtual void on_input_end(bool last) {}
  // Live capture only: no packet for a while; `wall_now` is the current time.
  virtual void on_idle(TimestampNs wall_now) {}
  // Pushes buffered output out (live capture: when quiet and at least every 200 ms;
  // -l: after every packet).
  virtual void flush() {}
  // True once an output cannot be written (full disk, closed pipe): the run stops.
  virtual bool output_failed() const { return false; }
};

struct RunStats {
  uint64_t frames_read = 0;
  uint64_t frames_clean = 0;      // accepted, decoded without any problem
  uint64_t frames_malformed = 0;  // accepted, at least one problem
  uint64_t frames_filtered = 0;   // rejected by BPF or --host/--port (never counted above)
  uint64_t kernel_dropped = 0;
  uint64_t not_written = 0;  // -w: packets a pcap file could not hold (other link type)
  ProblemCounters problems;
};

// Decoding and the --host/--port filter for one reading thread, counting into a
// RunStats: the pump has one, and so has each --fanout worker (its own socket).
class PacketIntake {
 public:
  // `hosts` and `ports`: --host and --port (empty: no filter).
  PacketIntake(const CaptureOptions& options, std::vector<IpAddress> hosts);
  // Decodes `raw` into `view`; false (counted as filtered) when the asset filter
  // rejects it.
  bool accept(const RawPacket& raw, PacketView& view, RunStats& stats);
  // Counts an accepted packet as clean or malformed (with its problems).
  static void count(const PacketView& view, RunStats& stats);

 private:
  bool passes_asset_filter(const PacketView& v) const;
  Decoder decoder_;
  bool asset_filter_ = false;  // --host or --port given (the usual run has neither)
  std::vector<IpAddress> hosts_;
  std::vector<uint16_t> ports_;
};

class LiveSource;

// Process exit codes (documented in docs/netsift.1).
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,    // unreadable input, bad filter or config, an output that failed
  kExitDamaged = 2,  // an input was corrupt or truncated: everything before it was processed
  kExitUsage = 64,   // bad command line
};

class PacketPump {
 public:
  PacketPump(const CaptureOptions& options, const std::atomic<bool>& stop);
  ~PacketPump();

  // Opens inputs, checks the filter, creates the -w file, before anything is printed;
  // false with error set. `fanout_sockets` > 0 (--fanout, live only): that many handles
  // on the interface in one AF_PACKET fanout group, read by the caller's threads
  // (fanout_sources()) instead of run(); privileges are dropped once all are open.
  bool prepare(std::string& error, uint32_t fanout_sockets = 0);
  // Runs to the end of all inputs, -c, a stop request or a failed output; returns an
  // ExitCode. Errors are printed on stderr as they happen.
  int run(PacketConsumer& consumer);
  // The run ended because the reader of standard output went away (EPIPE): the caller
  // stops quietly, as tcpdump does.
  bool broken_pipe() const { return broken_pipe_; }
  void note_broken_pipe() { broken_pipe_ = true; }
  // SIGINT/SIGTERM stopped the reading of a file before its end (live capture ends so).
  void note_interrupted() { interrupted_ = true; }
  bool interrupted() const { return interrupted_; }
  // True when -w - sends the capture to standard output (nothing else may go there).
  bool capture_on_stdout() const { return options_.write_file == "-"; }
  bool live() const { return !options_.interface.empty(); }
  const RunStats& stats() const { return stats_; }
  // --fanout: the handles prepare() opened, one per worker.
  std::vector<LiveSource*> fanout_sources() const;
  // --fanout: a worker's counters, added to the run summary.
  void add_stats(const RunStats& s);
  // "netsift: N frames read, ..." on `out`.
  void print_summary(FILE* out) const;

 private:
  class Impl;
  const CaptureOptions& options_;
  std::unique_ptr<Impl> impl_;
  RunStats stats_;
  bool broken_pipe_ = false;
  bool interrupted_ = false;
};

// "1 TCP session", "2 TCP sessions".
std::string plural(uint64_t n, const char* one, const char* many);

}  // namespace netsift
