// The YAML configuration file (docs/config.md, example in examples/netsift.yaml), the
// successor of the ancestor's etc/server.yaml. Unknown keys and bad values are errors
// that name the key.
#pragma once

#include <string>

#include "app/capture_options.h"
#include "app/session_options.h"

namespace netsift {

// Fills `capture` and `session` from the file; false with `error` set on any problem.
// Values go through the same parsers as the command line (app/option_values.h); a key
// given twice is an error; relative paths (input.pcap_file, output.directory,
// output.sqlite) are taken from the config file's directory.
bool load_config(const std::string& path, CaptureOptions& capture, SessionOptions& session,
                 std::string& error);

// `path` as seen from the current directory when written in a config file that lives in
// `config_dir` (absolute paths and "-" stay as they are). For paths other subcommands'
// config sections add (databases, ...).
std::string config_relative(const std::string& path, const std::string& config_dir);

}  // namespace netsift
