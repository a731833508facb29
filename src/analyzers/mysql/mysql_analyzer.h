// MySQL/MariaDB logins: one `auth` event per login attempt (the HandshakeResponse after
// the server greeting, and every COM_CHANGE_USER), emitted at the server's OK or ERR,
// whatever authentication plugins the exchange went through (docs/events.md, "mysql").
// Claimed on port 3306 or by the shape of the server greeting on any port.
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kMysqlAnalyzer;

// The probe alone, for tests: Yes for a well-formed server greeting (Handshake v9/v10).
Confidence probe_mysql(Dir dir, ByteView first_bytes);

}  // namespace netsift
