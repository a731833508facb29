// SMTP (RFC 5321) and submission: logins and the session's envelope. AUTH (RFC 4954)
// with PLAIN, LOGIN, CRAM-MD5 and the user of other SASL mechanisms becomes one `auth`
// event per attempt, when the server answers (235 success, other final replies
// failure); STARTTLS ends what can be seen; DATA bodies and BDAT chunks are skipped;
// pipelined commands are matched to their replies in order. One `smtp` event per
// connection carries HELO, envelope addresses and counts (docs/events.md).
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kSmtpAnalyzer;

}  // namespace netsift
