// RDP connection start (MS-RDPBCGR 2.2.1.1 / 2.2.1.2): the X.224 Connection Request a
// client sends in a TPKT may carry "Cookie: mstshash=IDENTIFIER", the user name the client
// was given (mstsc sends it, often truncated, for load balancing). One `auth` event per
// connection with that user, mechanism "rdp_cookie"; the login itself happens later inside
// TLS/CredSSP or RDP encryption, so its outcome is never visible: result "unknown".
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kRdpAnalyzer;

}  // namespace netsift
