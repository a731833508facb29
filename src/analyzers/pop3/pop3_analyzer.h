// POP3 (RFC 1939, RFC 2449 CAPA, RFC 5034 AUTH, RFC 2595 STLS): one `auth` event per
// login attempt when the server answers +OK (success) or -ERR (failure) — USER/PASS,
// APOP (user, the greeting's challenge and the digest; hashcat line, mode 20) and SASL
// AUTH (PLAIN, LOGIN, CRAM-MD5, ...). Multi-line answers (CAPA, LIST, RETR, ...) are
// skipped; STLS ends what can be seen.
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kPop3Analyzer;

}  // namespace netsift
