// The YAML configuration file (docs/config.md, example in examples/netsift.yaml), the
// successor of the ancestor's etc/server.yaml. Unknown keys and bad values are errors
// that name the key.
#pragma once

#include <string>

#include "app/capture_options.h"
#include "app/session_options.h"

namespace netsift {

// Fills `capture` and `session` from the file; false with `error` set on any problem.
bool load_config(const std::string& path, CaptureOptions& capture, SessionOptions& session,
                 std::string& error);

}  // namespace netsift
