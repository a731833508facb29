// SSH version exchange (RFC 4253 section 4.2): the identification line each side sends
// first, "SSH-protoversion-softwareversion SP comments CR LF". Emits one `ssh` event
// per connection with both banners when known.
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kSshAnalyzer;

}  // namespace netsift
