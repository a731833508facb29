#include "analyzers/textproto/login.h"

#include <optional>

#include "analyzers/auth_event.h"
#include "analyzers/textproto/text.h"

namespace netsift::textproto {

bool SaslSteps::start(SaslExchange& sasl, std::string_view mechanism, std::string_view initial,
                      EventSink& out) const {
  initial = trim(initial);
  context_.secret(Dir::ToServer, initial);
  sasl.start(mechanism, initial.empty() ? std::nullopt : std::optional(initial));
  if (sasl.malformed()) context_.anomaly(bad_sasl_, out, "initial response");
  return !initial.empty();
}

void SaslSteps::challenge(SaslExchange& sasl, std::string_view text, EventSink& out) const {
  context_.secret(Dir::ToClient, text);
  sasl.challenge(text);
  if (sasl.malformed()) context_.anomaly(bad_sasl_, out, "challenge");
}

void SaslSteps::response(SaslExchange& sasl, std::string_view line, EventSink& out) const {
  context_.secret(Dir::ToServer, line);
  sasl.response(line);
  if (sasl.malformed()) context_.anomaly(bad_sasl_, out, "response");
}

void emit_encrypted_login(const AnalyzerContext& context, std::string_view service,
                          EventSink& out) {
  AuthAttempt a;
  a.tls = true;
  a.ts = context.flow->now;
  out.emit(make_auth_event(context, service, a));
}

}  // namespace netsift::textproto
