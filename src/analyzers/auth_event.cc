#include "analyzers/auth_event.h"

namespace netsift {

std::string_view auth_result_name(AuthResult r) {
  switch (r) {
    case AuthResult::Success:
      return "success";
    case AuthResult::Failure:
      return "failure";
    case AuthResult::Unknown:
      break;
  }
  return "unknown";
}

Event make_auth_event(const AnalyzerContext& context, std::string_view service,
                      const AuthAttempt& a) {
  const FlowInfo& flow = *context.flow;
  Event e = make_flow_event("auth", flow, a.ts ? a.ts : flow.now);
  auto secret = [&](std::string_view s) { return context.redact ? kRedacted : s; };
  e.set("service", service);
  e.set("user", a.user);
  if (a.password) e.set("password", secret(*a.password));
  if (!a.mechanism.empty()) e.set("mechanism", a.mechanism);
  if (!a.credential.empty()) {
    rapidjson::Value cred(rapidjson::kObjectType);
    for (const auto& [key, value] : a.credential) {
      std::string_view v = secret(value);
      cred.AddMember(rapidjson::Value(key.data(), rapidjson::SizeType(key.size()), e.alloc()),
                     rapidjson::Value(v.data(), rapidjson::SizeType(v.size()), e.alloc()),
                     e.alloc());
    }
    e.set("credential", std::move(cred));
  }
  if (!a.hash.empty()) {
    e.set("hash", secret(a.hash));
    if (a.hash_mode) e.set("hash_mode", uint64_t(a.hash_mode));
  }
  if (!a.database.empty()) e.set("database", a.database);
  e.set("result", auth_result_name(a.result));
  if (!a.reason.empty()) e.set("reason", a.reason);
  if (a.credential_accepted) e.set("credential_accepted", true);
  e.set("tls", a.tls);
  return e;
}

}  // namespace netsift
