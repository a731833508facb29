// Options of `netsift stats`, filled from the command line.
#pragma once

#include <cstddef>

namespace netsift {

struct StatsOptions {
  bool json = false;  // JSON Lines events on stdout instead of the text report
  bool utc = false;   // text: calendar time in UTC
  size_t top = 10;    // entries in each top list of the report and summary
  size_t max_addresses = 1u << 20;
};

}  // namespace netsift
