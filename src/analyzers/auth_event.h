// The common `auth` event: one login attempt, whatever the protocol (docs/events.md).
// Every login analyzer fills an AuthAttempt and emits it when the server has answered
// (or at close, result unknown), so brute-force detectors and sinks see one shape.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analyzers/analyzer.h"

namespace netsift {

enum class AuthResult : uint8_t { Unknown, Success, Failure };
std::string_view auth_result_name(AuthResult r);  // "unknown" | "success" | "failure"

struct AuthAttempt {
  std::string user;
  std::optional<std::string> password;  // cleartext, where the protocol sends it
  std::string mechanism;                // "mysql_native_password", "SCRAM-SHA-256", "PLAIN"...
  // What an offline check needs where no cleartext is sent, as named fields in protocol
  // order: {"salt", hex}, {"response", hex}, {"client_first", text}...
  std::vector<std::pair<std::string, std::string>> credential;
  std::string hash;        // the same exchange as one hashcat input line, where a mode exists
  uint32_t hash_mode = 0;  // hashcat -m (11200 MySQL native, 11100 PostgreSQL md5, 10200 CRAM-MD5)
  std::string database;    // where the protocol names one
  AuthResult result = AuthResult::Unknown;
  std::string reason;  // the server's answer on failure: code and message
  // A failure that came after the server had accepted the credential (PostgreSQL
  // AuthenticationOk then FATAL, MySQL 1044/1049/1226...): the password was right.
  bool credential_accepted = false;
  bool tls = false;    // the session switched to TLS first: no credential visible
  TimestampNs ts = 0;  // when the client sent the attempt (0: the flow's current time)
};

// Builds the `auth` event: flow fields, then service, user, password, mechanism,
// credential {...}, hash, hash_mode, database, result, reason, credential_accepted
// (only when true), tls (empty fields left out). With context.redact, password, credential values
// and hash are masked.
Event make_auth_event(const AnalyzerContext& context, std::string_view service,
                      const AuthAttempt& attempt);

// The mask --redact writes in place of secrets.
inline constexpr std::string_view kRedacted = "<redacted>";

}  // namespace netsift
