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
  std::string write_file;                 // -w: copy accepted packets to a pcap file
  std::vector<std::string> filter_words;  // trailing BPF expression
  int snaplen = 262144;                   // -s
  bool no_promiscuous = false;            // -p
  int buffer_size_mb = 64;                // -B
  bool immediate = false;                 // --immediate
  bool no_resolve = true;                 // -n (netsift never resolves names)
  bool verify_checksums = false;          // --verify-checksums
  bool no_progress = false;               // --no-progress
  std::vector<std::string> hosts;         // --host IP[,IP]
  std::vector<uint16_t> ports;            // --port N[,N]
  std::string drop_user;                  // -Z: user to become once the interface is open

  std::string bpf() const;
};

void add_capture_options(CLI::App& app, CaptureOptions& options);

}  // namespace netsift
