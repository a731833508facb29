// PostgreSQL logins: one `auth` event per StartupMessage, with the authentication method
// the server asked for (cleartext, md5, SASL SCRAM-SHA-256[-PLUS], GSS, SSPI, none) and
// its outcome: success at ReadyForQuery after AuthenticationOk, failure at an
// ErrorResponse (docs/events.md, "pgsql"). SSLRequest/GSSENCRequest answers are
// followed: a refusal leads to a plain startup on the same connection, an acceptance to
// an encrypted attempt reported with tls:true. Claimed on port 5432 or by the shape of
// the client's first message on any port.
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kPgsqlAnalyzer;

Confidence probe_pgsql(Dir dir, ByteView first_bytes);

}  // namespace netsift
