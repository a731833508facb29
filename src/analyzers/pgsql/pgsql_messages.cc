#include "analyzers/pgsql/pgsql_messages.h"

#include <algorithm>
#include <string_view>

namespace netsift::pgsql {

FirstMessage classify_first(uint32_t length, uint32_t code) {
  if (length == 8 && code == kSslRequest) return FirstMessage::Ssl;
  if (length == 8 && code == kGssEncRequest) return FirstMessage::GssEnc;
  // Process ID and secret key: 4 bytes under protocol 3.0, 4 to 256 since 3.2.
  if (length >= 16 && length <= 12 + 256 && code == kCancelRequest) return FirstMessage::Cancel;
  // Protocol 3.x (3.2 since PostgreSQL 18): a parameter list of at least its final NUL.
  if (code >> 16 == 3 && (code & 0xffff) < 16 && length > 8 && length <= kMaxStartupLength)
    return FirstMessage::Startup;
  if (code == kProtocol2 && length == kProtocol2StartupLength) return FirstMessage::Startup;
  return FirstMessage::Invalid;
}

namespace {

// A protocol 2.0 field: fixed size, NUL-padded.
ByteView fixed_field(Cursor& c, size_t size) {
  ByteView f = c.bytes(size);
  return f.first(size_t(std::find(f.begin(), f.end(), uint8_t(0)) - f.begin()));
}

}  // namespace

bool parse_startup(ByteView message, Startup& out) {
  Cursor c(message);
  out = {};
  uint32_t length = c.be32();
  out.version = c.be32();
  if (!c.ok() || length != message.size() ||
      classify_first(length, out.version) != FirstMessage::Startup)
    return false;
  if (out.version == kProtocol2) {
    out.database = fixed_field(c, 64);
    out.user = fixed_field(c, 32);
    return c.ok() && !out.user.empty();
  }
  // Name/value pairs, each NUL-terminated, ended by an empty name.
  for (;;) {
    ByteView name, value;
    if (!c.cstring(name)) return false;
    if (name.empty()) break;
    if (!c.cstring(value)) return false;
    std::string_view n = as_chars(name);
    if (n == "user") out.user = value;
    if (n == "database") out.database = value;
    if (n == "application_name") out.application_name = value;
    if (out.parameters.size() < kMaxParameters) out.parameters.emplace_back(name, value);
  }
  // Nothing may follow the terminator; the server requires "user".
  return c.ok() && c.remaining() == 0 && !out.user.empty();
}

bool parse_error_fields(ByteView body, ErrorFields& out) {
  Cursor c(body);
  out = {};
  ByteView localized;
  for (;;) {
    uint8_t type = c.u8();
    if (!c.ok()) return false;
    if (type == 0) break;
    ByteView value;
    if (!c.cstring(value)) return false;
    if (type == 'S') localized = value;
    if (type == 'V') out.severity = value;
    if (type == 'C') out.code = value;
    if (type == 'M') out.message = value;
  }
  if (out.severity.empty()) out.severity = localized;
  return true;
}

bool parse_sasl_initial(ByteView body, ByteView& mechanism, ByteView& data) {
  Cursor c(body);
  if (!c.cstring(mechanism) || mechanism.empty()) return false;
  uint32_t length = c.be32();
  if (!c.ok()) return false;
  if (length == 0xffffffff) {
    data = {};
    return true;
  }
  data = c.bytes(length);
  return c.ok();
}

bool parse_oauthbearer(ByteView data, OAuthBearer& out) {
  out = {};
  std::string_view s = as_chars(data);
  // gs2-header = gs2-cb-flag "," [gs2-authzid] "," ; OAUTHBEARER has no channel binding
  // but the flag may still be "n", "y" or "p=...".
  size_t first = s.find(',');
  if (first == std::string_view::npos) return false;
  size_t second = s.find(',', first + 1);
  if (second == std::string_view::npos) return false;
  std::string_view authzid = s.substr(first + 1, second - first - 1);
  if (authzid.starts_with("a=")) {
    authzid.remove_prefix(2);
    out.authzid = as_bytes(authzid);
  } else if (!authzid.empty()) {
    return false;
  }
  std::string_view rest = s.substr(second + 1);
  if (rest.empty() || rest[0] != '\x01') return false;
  rest.remove_prefix(1);
  // kvpair = key "=" value kvsep; the list ends with an empty pair (the final kvsep).
  while (!rest.empty() && rest[0] != '\x01') {
    size_t end = rest.find('\x01');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return false;
    if (pair.substr(0, eq) != "auth") continue;  // host, port, extensions
    // RFC 6750 credentials: the scheme, one or more spaces, the token.
    std::string_view value = pair.substr(eq + 1);
    size_t sp = value.find(' ');
    std::string_view token = sp == std::string_view::npos ? std::string_view() : value.substr(sp);
    while (!token.empty() && token[0] == ' ') token.remove_prefix(1);
    out.has_auth = true;
    out.scheme = as_bytes(value.substr(0, sp));
    out.token = as_bytes(token);
  }
  return true;
}

}  // namespace netsift::pgsql
