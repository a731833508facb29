// IMAP4 (RFC 3501 / 9051): one `auth` event per login attempt when the server answers
// its tag — LOGIN (atoms, quoted strings and literals, synchronising or LITERAL+) and
// AUTHENTICATE (PLAIN, LOGIN, CRAM-MD5, ... with or without SASL-IR); OK is success,
// NO and BAD failure. Literals in both directions are skipped by count, however large;
// STARTTLS ends what can be seen.
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kImapAnalyzer;

}  // namespace netsift
