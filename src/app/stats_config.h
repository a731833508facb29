// The `stats:` section of the YAML configuration file (docs/config.md), read for
// `netsift stats --config FILE` together with the file's `input:` section.
#pragma once

#include <string>

#include "app/capture_options.h"
#include "stats/stats_options.h"

namespace netsift {

// False with `error` naming the key on any unknown key or bad value.
bool load_stats_config(const std::string& path, CaptureOptions& capture, StatsOptions& stats,
                       std::string& error);

}  // namespace netsift
