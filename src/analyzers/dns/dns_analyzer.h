// DNS over UDP (one message per datagram: 53, mDNS 5353, LLMNR 5355) and over TCP (RFC
// 1035 4.2.2 / RFC 7766: each message behind a 2-byte length). Emits one `dns` event
// per message, queries and responses alike, as the ancestor tool printed them.
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kDnsUdpAnalyzer;
extern const AnalyzerSpec kDnsTcpAnalyzer;

}  // namespace netsift
