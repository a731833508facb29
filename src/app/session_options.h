// Options of the session engine (`netsift sessions` and `netsift run`): what to track,
// how to print it, caps and timeouts. Filled from the command line and/or the YAML
// config file (docs/config.md).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/capture_options.h"
#include "detect/auth_detector.h"
#include "flow/flow_table.h"
#include "flow/ip_defrag.h"

namespace netsift {

struct SessionFilters {
  std::vector<uint16_t> tcp_src_ports, tcp_dst_ports;  // client / server side
  std::vector<std::string> tcp_src_ips, tcp_dst_ips;
  std::vector<uint16_t> udp_ports;
  std::vector<std::string> udp_ips;
};

struct SessionOptions {
  bool tcp = true;       // the ancestor's is_handle_tcp
  bool udp = true;       // is_handle_udp
  bool packets = false;  // also print every packet (run --config only)
  // run --config only: the stats job too, from the file's stats: section (on when the
  // file has one, unless jobs.stats says false).
  bool stats = false;
  bool json = false;
  bool stream = false;                           // data_stream_direct 1: chunks as they arrive
  int data_level = 1;                            // 0 none, 1 escaped text, 2 hex + ASCII dump
  bool base64 = false;                           // JSON data as base64 instead of escaped text
  uint64_t max_session_data = 1u << 20;          // whole-session mode: bytes kept per direction
  uint64_t max_session_data_total = 256u << 20;  // ... and in all open sessions together
  bool utc = false;
  std::string output_dir;   // one JSON Lines file per event kind
  std::string sqlite_path;  // events into SQLite
  std::string hashes_path;  // --hashes: the `hash` lines of auth events, for hashcat
  bool append = false;      // add to the events an earlier run left there (else refuse)
  bool stdout_output = true;
  // Flows sharded over this many worker threads (0: one per core; 1: no threads).
  uint32_t workers = 0;
  // `workers` was given (flag or engine.workers): the stats job of `run` uses it too
  // (its own default is one thread: docs/performance.md).
  bool workers_given = false;
  // Output in the order one worker writes it, whatever the number of workers; flows
  // still open at the end of an input end by idle order (docs/architecture.md).
  bool ordered = false;
  // `ordered` was given (flag or config); if not, text on standard output is ordered
  // when there are several workers (a person reads it in time order).
  bool ordered_given = false;
  SessionFilters filters;
  FlowConfig flow;
  DefragConfig defrag;
  AuthDetectConfig auth;  // brute force, spraying, likely compromise; login summary
};

}  // namespace netsift
