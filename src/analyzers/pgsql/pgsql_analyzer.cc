#include "analyzers/pgsql/pgsql_analyzer.h"

#include <algorithm>
#include <array>
#include <string>

#include "analyzers/auth_event.h"
#include "analyzers/pgsql/pgsql_messages.h"
#include "core/wire_text.h"

namespace netsift {
namespace {

using namespace pgsql;

constexpr uint16_t kPgsqlPorts[] = {5432};

enum Anomaly : size_t { kBadStartup, kBadLength, kMessageTooLong, kBadAuthMessage };
constexpr std::string_view kAnomalies[] = {
    "pgsql.bad_startup",       // a later untyped message (after an SSL refusal) is malformed
    "pgsql.bad_length",        // a typed message's length is below 4
    "pgsql.message_too_long",  // an authentication message larger than any legitimate one
    "pgsql.bad_auth_message",  // an Authentication/Password/Error message that cannot be read
};

// Authentication messages are small (the server caps tokens at 64 KiB, SCRAM messages
// are under 200 bytes); larger ones are skipped, not buffered.
constexpr uint32_t kMaxParsed = 32 * 1024;

bool parameters_look_right(ByteView params) {
  // Names are identifiers; values are text. Both NUL-terminated.
  bool in_name = true;
  size_t name_len = 0;
  for (uint8_t c : params) {
    if (c == 0) {
      if (in_name && name_len == 0) return true;  // the list ended
      in_name = !in_name;
      name_len = 0;
      continue;
    }
    if (in_name) {
      if (!(c == '_' || c == '.' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9')) ||
          ++name_len > 64)
        return false;
    } else if (c < 0x20 && c != '\t') {
      return false;
    }
  }
  return true;  // so far
}

}  // namespace

Confidence probe_pgsql(Dir dir, ByteView b) {
  if (dir != Dir::ToServer) return Confidence::No;  // the client speaks first
  // Every first message is at most 10000 bytes: the length starts with two zero bytes.
  if ((b.size() >= 1 && b[0] != 0) || (b.size() >= 2 && b[1] != 0)) return Confidence::No;
  if (b.size() < 8) {
    // Request codes start 0x04 0xd2 (SSL, GSSENC, cancel) or 0x00 0x03 / 0x00 0x02.
    if (b.size() >= 5 && b[4] != 0x04 && b[4] != 0) return Confidence::No;
    return Confidence::Maybe;
  }
  uint32_t length = load_be32(b.data());
  uint32_t code = load_be32(b.data() + 4);
  switch (classify_first(length, code)) {
    case FirstMessage::Ssl:
    case FirstMessage::GssEnc:
    case FirstMessage::Cancel:
      return Confidence::Yes;
    case FirstMessage::Startup:
      break;
    case FirstMessage::Invalid:
      return Confidence::No;
  }
  if (code == kProtocol2) {
    if (b.size() < length) return Confidence::Maybe;
    Startup s;
    return parse_startup(b.first(length), s) ? Confidence::Yes : Confidence::No;
  }
  if (!parameters_look_right(b.subspan(8, std::min<size_t>(b.size(), length) - 8)))
    return Confidence::No;
  if (b.size() < length) return Confidence::Maybe;
  Startup s;
  return parse_startup(b.first(length), s) ? Confidence::Yes : Confidence::No;
}

namespace {

class PgsqlAnalyzer final : public Analyzer {
 public:
  explicit PgsqlAnalyzer(const AnalyzerContext& context) : context_(context) {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override;

  void on_gap(Dir, uint64_t, EventSink& out) override {
    if (attempt_active_) emit(AuthResult::Unknown, {}, out);
    if (state_ != State::Broken) state_ = State::Stopped;
  }

  void on_close(EventSink& out) override {
    if (attempt_active_) emit(AuthResult::Unknown, {}, out);
  }

 private:
  enum class State : uint8_t {
    Start,      // waiting for the client's first (untyped) message
    SslAnswer,  // SSLRequest / GSSENCRequest sent: the server answers with one byte
    Encrypted,  // the server accepted: the next client bytes are TLS (or GSS-wrapped)
    DirectTls,  // the client opened with a TLS ClientHello (PostgreSQL 17 direct SSL)
    Auth,       // StartupMessage sent: typed messages until ReadyForQuery or an error
    Stopped,    // nothing more to learn
    Broken,     // not PostgreSQL after all
  };

  struct Side {
    uint64_t skip = 0;  // bytes of a message being passed over
  };

  ParseResult client_untyped(ByteView data, EventSink& out);
  ParseResult typed(Dir dir, ByteView data, EventSink& out);
  void on_server_message(uint8_t type, ByteView body, EventSink& out);
  void on_client_message(uint8_t type, ByteView body, EventSink& out);
  void start(const Startup& s);
  void emit(AuthResult result, std::string reason, EventSink& out);
  void emit_encrypted(EventSink& out);
  ParseResult end() const {
    return state_ == State::Broken ? ParseResult::error() : ParseResult::done();
  }

  AnalyzerContext context_;
  State state_ = State::Start;
  bool seen_first_ = false;  // a valid first message has been read
  std::array<Side, 2> sides_;
  TimestampNs encrypted_ts_ = 0;

  bool attempt_active_ = false;
  bool auth_ok_ = false;
  uint32_t asked_ = ~0u;  // the last Authentication request code
  AuthAttempt attempt_;
  std::string application_name_;
  std::string salt_;  // md5: 4 bytes
  std::string md5_response_;
  std::string client_first_, server_first_, client_final_, server_final_;
  // OAUTHBEARER (PostgreSQL 18): the bearer token and what the server answered it.
  bool oauth_ = false;
  bool oauth_discovery_ = false;  // the client sent no token: it asks where to get one
  std::string oauth_token_, oauth_authzid_, oauth_error_;
};

ParseResult PgsqlAnalyzer::on_data(Dir dir, ByteView data, EventSink& out) {
  switch (state_) {
    case State::Start:
      if (dir == Dir::ToClient) {
        // The server spoke before any startup: the capture began midstream.
        state_ = State::Stopped;
        return end();
      }
      return client_untyped(data, out);
    case State::SslAnswer:
      if (dir == Dir::ToServer) {
        state_ = State::Stopped;  // a client that does not wait for the answer is not libpq
        return end();
      }
      if (data[0] == 'S' || data[0] == 'G') {
        state_ = State::Encrypted;
        encrypted_ts_ = context_.flow->now;
        return ParseResult::ok();  // a TLS ServerHello cannot come before a ClientHello
      }
      if (data[0] == 'N') {
        state_ = State::Start;  // refused: a plain startup (or another request) may follow
        if (data.size() > 1) state_ = State::Stopped;
        return data.size() > 1 ? end() : ParseResult::ok();
      }
      state_ = State::Stopped;  // an ErrorResponse from a server without SSL support
      return end();
    case State::Encrypted:
      if (dir == Dir::ToServer) emit_encrypted(out);
      return dir == Dir::ToServer ? end() : ParseResult::ok();
    case State::DirectTls:
      if (dir == Dir::ToClient && data[0] == 0x16) emit_encrypted(out);
      if (dir == Dir::ToClient) state_ = State::Stopped;
      return state_ == State::Stopped ? end() : ParseResult::ok();
    case State::Auth:
      return typed(dir, data, out);
    case State::Stopped:
    case State::Broken:
      break;
  }
  return end();
}

// The client's untyped first message(s): SSLRequest, GSSENCRequest, CancelRequest or
// StartupMessage. Anything else as the very first message means the capture began
// midstream, and nothing is reported.
ParseResult PgsqlAnalyzer::client_untyped(ByteView data, EventSink& out) {
  if (!seen_first_ && data[0] == 0x16) {
    state_ = State::DirectTls;
    encrypted_ts_ = context_.flow->now;
    return ParseResult::ok();
  }
  if (data.size() < 8) return ParseResult::need_more(0, uint32_t(8 - data.size()));
  uint32_t length = load_be32(data.data());
  uint32_t code = load_be32(data.data() + 4);
  FirstMessage kind = classify_first(length, code);
  if (kind == FirstMessage::Invalid) {
    if (seen_first_) context_.anomaly(kBadStartup, out, "untyped message after SSL refusal");
    state_ = seen_first_ ? State::Broken : State::Stopped;
    return end();
  }
  if (data.size() < length) return ParseResult::need_more(0, uint32_t(length - data.size()));
  ByteView rest = data.subspan(length);
  switch (kind) {
    case FirstMessage::Ssl:
    case FirstMessage::GssEnc:
      seen_first_ = true;
      state_ = State::SslAnswer;
      if (!rest.empty()) state_ = State::Stopped;  // nothing may follow before the answer
      return rest.empty() ? ParseResult::ok() : end();
    case FirstMessage::Cancel:
      state_ = State::Stopped;  // cancels another connection's query: no login here
      return end();
    default:
      break;
  }
  Startup s;
  if (!parse_startup(data.first(length), s)) {
    if (seen_first_) context_.anomaly(kBadStartup, out, "StartupMessage");
    state_ = seen_first_ ? State::Broken : State::Stopped;
    return end();
  }
  seen_first_ = true;
  start(s);
  state_ = State::Auth;
  if (rest.empty()) return ParseResult::ok();
  return typed(Dir::ToServer, rest, out);
}

void PgsqlAnalyzer::start(const Startup& s) {
  attempt_ = {};
  attempt_.ts = context_.flow->now;
  attempt_.user = wire_text(s.user);
  attempt_.database = wire_text(s.database);
  application_name_ = wire_text(s.application_name);
  attempt_active_ = true;
}

// Typed messages: Byte1 type, Int32 length (itself included), body.
ParseResult PgsqlAnalyzer::typed(Dir dir, ByteView data, EventSink& out) {
  Side& side = sides_[size_t(dir)];
  size_t pos = 0;
  while (pos < data.size()) {
    if (side.skip) {
      pass_over(side.skip, pos, data.size());
      continue;
    }
    size_t avail = data.size() - pos;
    if (avail < 5) return ParseResult::need_more(uint32_t(pos), uint32_t(5 - avail));
    uint8_t type = data[pos];
    uint32_t length = load_be32(data.data() + pos + 1);
    if (length < 4) {
      context_.anomaly(kBadLength, out, std::string(1, char(type)));
      state_ = State::Broken;
      if (attempt_active_) emit(AuthResult::Unknown, {}, out);
      return end();
    }
    bool wanted = dir == Dir::ToClient ? (type == 'R' || type == 'E' || type == 'Z') : type == 'p';
    if (!wanted) {
      side.skip = 1 + uint64_t(length);
      continue;
    }
    if (length - 4 > kMaxParsed) {
      context_.anomaly(kMessageTooLong, out,
                       std::string(1, char(type)) + " of " + std::to_string(length));
      side.skip = 1 + uint64_t(length);
      continue;
    }
    if (avail < 1 + size_t(length))
      return ParseResult::need_more(uint32_t(pos), uint32_t(1 + length - avail));
    ByteView body = data.subspan(pos + 5, length - 4);
    pos += 1 + length;
    // --redact: every client 'p' carries a password or proof; the server's
    // authentication requests carry the salt and SCRAM messages of the credential.
    if (type == 'p' || (type == 'R' && body.size() > 4 && load_be32(body.data()) != 0))
      context_.secret(dir, body);
    if (dir == Dir::ToClient) {
      on_server_message(type, body, out);
    } else {
      on_client_message(type, body, out);
    }
    if (state_ != State::Auth) return end();
  }
  return ParseResult::ok();
}

void PgsqlAnalyzer::on_server_message(uint8_t type, ByteView body, EventSink& out) {
  if (type == 'Z') {
    if (auth_ok_ && attempt_active_) {
      emit(AuthResult::Success, {}, out);
      state_ = State::Stopped;  // logged in: the rest of the session is queries
    }
    return;
  }
  if (type == 'E') {
    ErrorFields f;
    std::string reason;
    if (parse_error_fields(body, f)) {
      reason = wire_text(f.severity);
      for (ByteView part : {f.code, f.message}) {
        if (part.empty()) continue;
        if (!reason.empty()) reason += ' ';
        reason += wire_text(part);
      }
    } else {
      context_.anomaly(kBadAuthMessage, out, "ErrorResponse");
    }
    if (attempt_active_) {
      // After AuthenticationOk the credential was right: the server refused the session
      // itself (no such database, role not permitted to log in, too many connections).
      // Without any exchange (trust, peer) no credential was offered.
      attempt_.credential_accepted = auth_ok_ && attempt_.mechanism != "none";
      AuthResult result = AuthResult::Failure;
      if (oauth_discovery_ && !auth_ok_) {
        // The discovery round: the client sent no token, only asked the server how to get
        // one; the error that ends it judges no credential.
        result = AuthResult::Unknown;
        reason = "OAUTHBEARER discovery, no token sent: " + reason;
      }
      emit(result, std::move(reason), out);
    }
    state_ = State::Stopped;
    return;
  }
  // 'R': Authentication request or result.
  Cursor c(body);
  uint32_t code = c.be32();
  if (!c.ok()) {
    context_.anomaly(kBadAuthMessage, out, "Authentication");
    return;
  }
  ByteView rest = c.rest();
  asked_ = code;
  auto set_mechanism = [&](const char* m) {
    if (attempt_.mechanism.empty()) attempt_.mechanism = m;
  };
  switch (code) {
    case kAuthOk:
      auth_ok_ = true;
      set_mechanism("none");  // trust, peer/ident, or a certificate: no password asked
      break;
    case kAuthCleartext:
      set_mechanism("cleartext");
      break;
    case kAuthMd5:
      set_mechanism("md5");
      if (rest.size() != 4) context_.anomaly(kBadAuthMessage, out, "MD5 salt");
      salt_.assign(as_chars(rest.first(std::min<size_t>(rest.size(), 4))));
      break;
    case kAuthSasl: {
      // Mechanism names, NUL-terminated, preferred first; the client's choice in its
      // SASLInitialResponse replaces this (a client that gives up chose none).
      ByteView first;
      if (c.cstring(first) && !first.empty()) {
        attempt_.mechanism = wire_text(first);
      } else {
        context_.anomaly(kBadAuthMessage, out, "SASL mechanism list");
        set_mechanism("SASL");
      }
      break;
    }
    case kAuthSaslContinue:
      // OAUTHBEARER's only challenge is the JSON error status (RFC 7628 section 3.2.2).
      (oauth_ ? oauth_error_ : server_first_) = wire_text(rest);
      break;
    case kAuthSaslFinal:
      server_final_ = wire_text(rest);
      break;
    case kAuthKerberosV5:
      set_mechanism("kerberos5");
      break;
    case kAuthScm:
      set_mechanism("scm");
      break;
    case kAuthGss:
      set_mechanism("gss");
      break;
    case kAuthSspi:
      set_mechanism("sspi");
      break;
    case kAuthGssContinue:
      break;
    default:
      context_.anomaly(kBadAuthMessage, out, "authentication code " + std::to_string(code));
  }
}

void PgsqlAnalyzer::on_client_message(uint8_t type, ByteView body, EventSink& out) {
  // 'p' is a PasswordMessage, SASLInitialResponse, SASLResponse or GSSResponse: which
  // one depends on what the server asked last.
  Cursor c(body);
  switch (asked_) {
    case kAuthCleartext: {
      ByteView password;
      if (!c.cstring(password)) {
        context_.anomaly(kBadAuthMessage, out, "PasswordMessage");
        password = body;
      }
      attempt_.password = wire_text(password);
      break;
    }
    case kAuthMd5: {
      ByteView response;
      std::string_view r = c.cstring(response) ? as_chars(response) : std::string_view();
      if (r.size() == 35 && r.starts_with("md5")) {
        md5_response_ = std::string(r.substr(3));
      } else {
        context_.anomaly(kBadAuthMessage, out, "MD5 PasswordMessage");
      }
      break;
    }
    case kAuthSasl: {
      ByteView mechanism, data;
      if (!parse_sasl_initial(body, mechanism, data)) {
        context_.anomaly(kBadAuthMessage, out, "SASLInitialResponse");
        break;
      }
      attempt_.mechanism = wire_text(mechanism);
      if (as_chars(mechanism) == "OAUTHBEARER") {
        oauth_ = true;
        OAuthBearer o;
        if (!parse_oauthbearer(data, o)) {
          context_.anomaly(kBadAuthMessage, out, "OAUTHBEARER initial response");
          break;
        }
        oauth_discovery_ = o.token.empty();
        oauth_token_ = wire_text(o.token);
        oauth_authzid_ = wire_text(o.authzid);
        break;
      }
      client_first_ = wire_text(data);
      break;
    }
    case kAuthSaslContinue:
      // OAUTHBEARER: the client's 0x01 that ends a refused exchange carries nothing.
      if (!oauth_) client_final_ = wire_text(body);
      break;
    default:
      break;  // GSS/SSPI tokens, or a message nobody asked for
  }
}

void PgsqlAnalyzer::emit(AuthResult result, std::string reason, EventSink& out) {
  AuthAttempt& a = attempt_;
  a.result = result;
  a.reason = std::move(reason);
  if (salt_.size() == 4 && md5_response_.size() == 32) {
    std::string salt = hex_string(ByteView(reinterpret_cast<const uint8_t*>(salt_.data()), 4));
    a.credential.emplace_back("salt", salt);
    a.credential.emplace_back("response", md5_response_);
    a.hash = "$postgres$" + a.user + "*" + salt + "*" + md5_response_;
    a.hash_mode = 11100;
  }
  if (!client_first_.empty()) {
    a.credential.emplace_back("client_first", client_first_);
    if (!server_first_.empty()) a.credential.emplace_back("server_first", server_first_);
    if (!client_final_.empty()) a.credential.emplace_back("client_final", client_final_);
    if (!server_final_.empty()) a.credential.emplace_back("server_final", server_final_);
  }
  if (!oauth_token_.empty()) {
    // A bearer token is a secret sent in clear, as a password is: --redact masks it.
    a.credential.emplace_back("token", oauth_token_);
    if (!oauth_authzid_.empty()) a.credential.emplace_back("authzid", oauth_authzid_);
  }
  Event e = make_auth_event(context_, "pgsql", a);
  if (!application_name_.empty()) e.set("application_name", application_name_);
  if (!oauth_error_.empty()) e.set("oauth_error", oauth_error_);
  out.emit(e);
  attempt_active_ = false;
}

void PgsqlAnalyzer::emit_encrypted(EventSink& out) {
  attempt_ = {};
  attempt_.tls = true;
  attempt_.ts = encrypted_ts_;
  emit(AuthResult::Unknown, {}, out);
  state_ = State::Stopped;
}

std::unique_ptr<Analyzer> make_pgsql(const AnalyzerContext& context) {
  return std::make_unique<PgsqlAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kPgsqlAnalyzer = {"pgsql",     Transport::Tcp, kPgsqlPorts,
                                     probe_pgsql, make_pgsql,     kAnomalies};

}  // namespace netsift
