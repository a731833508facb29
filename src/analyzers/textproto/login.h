// Steps the text login analyzers (SMTP, POP3, IMAP, FTP) take alike:
// the messages of a SASL exchange as they come off the wire (each handed to the
// exchange, its secret named for --redact, a malformed one reported as the analyzer's
// `bad_sasl` anomaly), and the `auth` event of a login that STARTTLS hides.
#pragma once

#include <cstddef>
#include <string_view>

#include "analyzers/analyzer.h"
#include "analyzers/textproto/sasl.h"

namespace netsift::textproto {

// The session switched to TLS before any login: the login that follows is encrypted,
// reported without user or result, as `service`.
void emit_encrypted_login(const AnalyzerContext& context, std::string_view service, EventSink& out);

class SaslSteps {
 public:
  // `context` (the analyzer's) outlives this; `bad_sasl`: the analyzer's anomaly index.
  SaslSteps(const AnalyzerContext& context, size_t bad_sasl)
      : context_(context), bad_sasl_(bad_sasl) {}

  // "AUTH mechanism [initial-response]" (RFC 4954, 5034; IMAP AUTHENTICATE): starts
  // `sasl`. True when an initial response was sent.
  bool start(SaslExchange& sasl, std::string_view mechanism, std::string_view initial,
             EventSink& out) const;
  // The server's challenge, base64 text (after "334 " or "+ ").
  void challenge(SaslExchange& sasl, std::string_view text, EventSink& out) const;
  // The client's answer line.
  void response(SaslExchange& sasl, std::string_view line, EventSink& out) const;

 private:
  const AnalyzerContext& context_;
  size_t bad_sasl_;
};

}  // namespace netsift::textproto
