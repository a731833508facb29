// MongoDB logins over the wire protocol (OP_MSG, OP_QUERY/OP_REPLY, OP_COMPRESSED):
// SCRAM-SHA-1 and SCRAM-SHA-256 through saslStart/saslContinue or speculativeAuthenticate
// in hello/isMaster, PLAIN, legacy MONGODB-CR (getnonce + authenticate) and MONGODB-X509.
// Replies are matched to commands by responseTo; one `auth` event per login when the
// server decides it (docs/events.md, "auth: mongodb").
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kMongodbAnalyzer;

}  // namespace netsift
