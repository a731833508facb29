// Options shared by every subcommand that reads packets (tcpdump-style flags).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ip_address.h"

namespace CLI {
class App;
}

namespace netsift {

struct CaptureOptions {
  std::vector<std::string> read_files;    // -r (repeatable, "-" = stdin)
  std::string interface;                  // -i
  uint64_t count = 0;                     // -c: stop after this many packets (0 = all)
  std::string write_file;                 // -w: copy accepted packets to a capture file
  std::vector<std::string> filter_words;  // trailing BPF expression
  uint64_t snaplen = 262144;              // -s (0 on the command line = 262144)
  bool no_promiscuous = false;            // -p
  uint64_t buffer_size_mb = 64;           // -B
  bool immediate = false;                 // --immediate
  bool no_resolve = true;                 // -n (netsift never resolves names)
  bool verify_checksums = false;          // --verify-checksums, -v
  bool no_progress = false;               // --no-progress
  bool line_buffered = false;             // -l: output after every packet
  bool one_capture = false;               // --one-capture: -r files continue each other
  std::vector<std::string> hosts;         // --host IP[,IP]
  std::vector<uint16_t> ports;            // --port N[,N]
  std::string drop_user;                  // -Z: user to become once the interface is open
  bool fanout = false;  // --fanout (sessions, run): one AF_PACKET socket per worker
  // engine.read_ahead: read files ahead on a second thread: "auto" (when it pays: a core
  // to spare, or several cores and workers that take the reader's blocks), "on", "off".
  std::string read_ahead = "auto";
  // engine.read_ahead_threads: threads reading a file ahead (0: as many as the cores
  // suggest, capture/file_reader.h ReadAheadPolicy::threads).
  uint32_t read_ahead_threads = 0;
  // Not an option: set by the command. Threads the run keeps busy besides the reader
  // (session workers); a file is read ahead on another thread only with a core to spare.
  uint32_t worker_threads = 0;
  // ... which hold the reader's blocks (session workers): read ahead in lendable blocks.
  bool workers_hold_blocks = false;

  std::string bpf() const;
};

void add_capture_options(CLI::App& app, CaptureOptions& options);

// Usage problems no single option can see (no input, -r with -i); empty when fine.
std::string check_capture_options(const CaptureOptions& options);

}  // namespace netsift
