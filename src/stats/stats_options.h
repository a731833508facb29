// Options of `netsift stats`: bucketing, home networks, enrichment, storage and the
// anomaly thresholds. Filled from the command line and/or the YAML config file's
// `stats:` section (docs/config.md).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "stats/detector_config.h"

namespace netsift {

struct StatsOptions {
  bool json = false;                // JSON Lines events on stdout instead of the text report
  bool utc = false;                 // text: calendar time in UTC
  bool per_packet = false;          // one `ip` record per IP packet (text line, event, SQLite row)
  bool report_each_bucket = false;  // text: a report per bucket (live capture)
  size_t top = 10;                  // entries in each top list of the report and summary
  TimestampNs bucket = 60 * kNsPerSec;
  std::vector<std::string> home;      // CIDRs; empty = private ranges (files) or the
                                      // capturing interface's networks (live)
  std::vector<std::string> geoip_db;  // empty = the installed default, if any
  bool no_geoip = false;
  bool dpi = true;          // name flows' application protocols with nDPI
  std::string sqlite_path;  // empty = named after the first input, in the current directory
  bool no_sqlite = false;
  bool sqlite_replace = false;  // delete earlier runs' rows first (default: append)
  size_t sqlite_batch = 10000;  // rows per transaction
  // Memory caps (docs/security.md): addresses with counters of their own (run totals,
  // each bucket's host rows, the volume baselines, the address facts), flows open at
  // once, and entries in each per-bucket set (peers, contacted ports, probes, DNS names).
  size_t max_addresses = 1u << 20;
  size_t max_flows = 1u << 20;
  size_t max_set_entries = 1u << 20;
  TimestampNs flow_timeout = 120 * kNsPerSec;
  // Threads the flows are sharded over (app/sharded_stats.*): 0 = one per core (auto),
  // 1 = none (all on the pump's thread: the default, as the reading thread is the
  // bottleneck and the hand-off costs what it saves: docs/performance.md). The config
  // file's engine.workers.
  uint32_t workers = 1;
  DetectorConfig detectors;
};

}  // namespace netsift
