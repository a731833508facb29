// HTTP/1.x (RFC 9110/9112, HTTP/1.0 and 0.9): one `http` event per request/response
// exchange as soon as it is complete, with headers (repeated ones kept), decoded bodies
// (cut for the event, hashed whole, optionally extracted to files), and an `auth` event
// per request that carries credentials. Framing and pairing are libhtp's
// (htp_parser.h); midstream pickup, gaps, content decoding and credentials are done
// here around it.
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kHttpAnalyzer;

}  // namespace netsift
