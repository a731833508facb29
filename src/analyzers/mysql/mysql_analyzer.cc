#include "analyzers/mysql/mysql_analyzer.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "analyzers/auth_event.h"
#include "analyzers/mysql/mysql_packets.h"
#include "core/wire_text.h"

namespace netsift {
namespace {

using namespace mysql;

constexpr uint16_t kMysqlPorts[] = {3306};

enum Anomaly : size_t {
  kBadGreeting,
  kBadLoginRequest,
  kPacketTooLong,
  kBadAuthPacket,
  kBadCompressedFrame
};
constexpr std::string_view kAnomalies[] = {
    "mysql.bad_greeting",          // the server's first packet is not a usable greeting
    "mysql.bad_login_request",     // the client's HandshakeResponse or COM_CHANGE_USER is malformed
    "mysql.packet_too_long",       // a connection-phase packet larger than anything legitimate
    "mysql.bad_auth_packet",       // a server answer during authentication that cannot be read
    "mysql.bad_compressed_frame",  // a zlib or zstd frame that does not decompress as declared
};

// Connection-phase packets are a few hundred bytes (connect attributes are capped at
// 64 KiB by servers, in practice under 1 KiB); larger ones are skipped, not buffered.
constexpr uint32_t kMaxParsed = 32 * 1024;

constexpr std::string_view kNative = "mysql_native_password";
constexpr std::string_view kOldPassword = "mysql_old_password";
constexpr std::string_view kCachingSha2 = "caching_sha2_password";
constexpr std::string_view kSha256 = "sha256_password";
constexpr std::string_view kEd25519 = "client_ed25519";
constexpr std::string_view kClearPassword = "mysql_clear_password";
constexpr std::string_view kDialog = "dialog";
constexpr std::string_view kParsec = "parsec";  // MariaDB 11.6+

// ERR codes a server sends only after the credential was accepted: the account or the
// session is refused, not the password (verified against MariaDB 10.11: each of these
// comes with the right password, 1045 with a wrong one whatever else is amiss).
bool refused_after_authentication(uint16_t code) {
  switch (code) {
    case 1044:  // ER_DBACCESS_DENIED_ERROR: no access to (or, unprivileged, no such) database
    case 1049:  // ER_BAD_DB_ERROR: unknown database
    case 1203:  // ER_TOO_MANY_USER_CONNECTIONS: global max_user_connections
    case 1226:  // ER_USER_LIMIT_REACHED: the account's resource limits
    case 1862:  // ER_MUST_CHANGE_PASSWORD_LOGIN: expired password, client cannot change it
    case 3118:  // ER_ACCOUNT_HAS_BEEN_LOCKED (MySQL)
    case 4151:  // ER_ACCOUNT_HAS_BEEN_LOCKED (MariaDB)
      return true;
    default:
      return false;
  }
}

// Up to the first NUL (a cleartext password or dialog answer is NUL-terminated).
ByteView until_nul(ByteView b) {
  return b.first(size_t(std::find(b.begin(), b.end(), uint8_t(0)) - b.begin()));
}

// A password sent in clear where an RSA-encrypted one may also come: NUL-terminated,
// no control characters. A random RSA block passes this with negligible probability.
bool looks_cleartext(ByteView b) {
  if (b.empty() || b.back() != 0) return false;
  return std::all_of(b.begin(), b.end() - 1, [](uint8_t c) { return c >= 0x20; });
}

}  // namespace

Confidence probe_mysql(Dir dir, ByteView b) {
  if (dir != Dir::ToClient) return Confidence::No;  // the server speaks first
  // Header: a greeting is 16..1024 bytes (so the third length byte is 0), sequence 0.
  if (b.size() >= 3 && b[2] != 0) return Confidence::No;
  if (b.size() >= 4 && b[3] != 0) return Confidence::No;
  if (b.size() < 5) return Confidence::Maybe;
  uint32_t len = uint32_t(b[0]) | uint32_t(b[1]) << 8;
  if (len < 16 || len > 1024 || (b[4] != 10 && b[4] != 9)) return Confidence::No;
  // Server version: printable ASCII starting with a digit, NUL-terminated.
  size_t end = std::min<size_t>(b.size(), 4 + len);
  size_t i = 5;
  for (; i < end && b[i] != 0; ++i) {
    if (b[i] < 0x20 || b[i] > 0x7e || i - 5 > 80) return Confidence::No;
  }
  if (b.size() > 5 && (b[5] < '0' || b[5] > '9')) return Confidence::No;
  if (b.size() < 4 + len) return Confidence::Maybe;
  if (i == end) return Confidence::No;
  Greeting g;
  if (!parse_greeting(b.subspan(4, len), g)) return Confidence::No;
  if (g.protocol == 10) {
    // The filler after the first 8 scramble bytes is zero.
    size_t filler = i + 1 + 4 + 8;
    if (filler >= end || b[filler] != 0 || g.scramble.size() < 8) return Confidence::No;
  }
  return Confidence::Yes;
}

namespace {

class MysqlAnalyzer final : public Analyzer {
 public:
  explicit MysqlAnalyzer(const AnalyzerContext& context) : context_(context) {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override;

  void on_gap(Dir, uint64_t, EventSink& out) override {
    // Framing is lost: what was pending may have been answered in the hole.
    if (attempt_.active) finish(AuthResult::Unknown, {}, out);
    if (phase_ != Phase::Broken) phase_ = Phase::Stopped;
  }

  void on_close(EventSink& out) override {
    if (attempt_.active) finish(AuthResult::Unknown, {}, out);
  }

 private:
  enum class Phase : uint8_t {
    Greeting,    // waiting for the server's greeting
    Login,       // greeting seen, waiting for the client's HandshakeResponse
    Auth,        // an attempt is in progress, waiting for OK/ERR
    Command,     // logged in (or refused): only COM_CHANGE_USER matters
    TlsPending,  // SSLRequest sent: the next client bytes are TLS
    Stopped,     // nothing more to learn (TLS, compression, midstream, a gap)
    Broken,      // not MySQL after all
  };
  // What the server last asked for during authentication.
  enum class Ask : uint8_t { None, Switch, FullAuth, PublicKey, Dialog, ExtSalt, Other };

  struct Side {
    uint64_t skip = 0;       // bytes of the current packet still to pass over
    bool continued = false;  // the previous packet was 16 MiB - 1: the next continues it
  };

  struct Attempt {
    bool active = false;
    bool change_user = false;
    bool next_factor = false;  // the server sent AuthNextFactor: the first factor passed
    AuthAttempt auth;
    std::string plugin;
    std::string salt, response, rsa;  // bytes
    std::string ext_salt;             // parsec: 'P', iteration factor, PBKDF2 salt (bytes)
    std::vector<std::pair<std::string, std::string>> attributes;
  };

  bool wants(Dir dir, uint8_t seq) const {
    if (dir == Dir::ToClient)
      return phase_ == Phase::Greeting || phase_ == Phase::Login || phase_ == Phase::Auth;
    return phase_ == Phase::Login || phase_ == Phase::Auth || phase_ == Phase::Command;
  }
  bool is_command(Dir dir, uint8_t seq) const {
    return dir == Dir::ToServer &&
           (phase_ == Phase::Command || (phase_ == Phase::Auth && seq == 0));
  }

  ParseResult packets(Dir dir, ByteView data, EventSink& out);
  ParseResult compressed(Dir dir, ByteView data, EventSink& out);
  void on_packet(Dir dir, uint8_t seq, ByteView payload, EventSink& out);
  void on_greeting(uint8_t seq, ByteView payload, EventSink& out);
  void on_login(ByteView payload, EventSink& out);
  void on_command(ByteView payload, EventSink& out);
  void on_server_auth(ByteView payload, EventSink& out);
  void on_client_auth(ByteView payload);
  void start(const LoginRequest& request, bool change_user);
  void take_response(ByteView response);
  void finish(AuthResult result, std::string reason, EventSink& out);
  void emit_tls(EventSink& out);
  void emit(const AuthAttempt& a, bool change_user, EventSink& out);
  static std::string salt_for(std::string_view plugin, ByteView data);
  void parsec_credential(const Attempt& at, AuthAttempt& a);

  AnalyzerContext context_;
  Phase phase_ = Phase::Greeting;
  Ask ask_ = Ask::None;
  bool password_question_ = false;  // the dialog plugin's last question asks for a password
  std::array<Side, 2> sides_;
  std::string server_version_;
  std::string scramble_;
  std::string default_plugin_;  // the server's, else the one the login used
  uint32_t server_caps_ = 0;
  uint32_t client_caps_ = 0;
  uint8_t protocol_ = 10;
  TimestampNs tls_ts_ = 0;
  Attempt attempt_;
  // After a successful login with CLIENT_COMPRESS (zlib) or, when the client did not ask
  // for zlib, CLIENT_ZSTD_COMPRESSION_ALGORITHM (zstd, MySQL 8.0.18+): packets travel
  // inside compressed frames, read one frame at a time (login packets are small and
  // start a frame).
  enum class Compression : uint8_t { None, Zlib, Zstd };
  Compression compression_ = Compression::None;
  std::array<uint64_t, 2> frame_skip_{};  // bytes of an oversized frame still to pass
  std::vector<uint8_t> inflated_;
  // A frame may claim 16 MiB: a large buffer is not kept between frames, so that many
  // connections do not each hold one.
  void release_inflated() {
    if (inflated_.capacity() > 64 * 1024) std::vector<uint8_t>().swap(inflated_);
  }
  // One zstd context per connection: ZSTD_decompress would allocate one per frame.
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> zstd_{nullptr, ZSTD_freeDCtx};
  bool secret_seen_ = false;  // take_response ran while reading the current frame
};

ParseResult MysqlAnalyzer::on_data(Dir dir, ByteView data, EventSink& out) {
  if (phase_ == Phase::Broken) return ParseResult::error();
  if (phase_ == Phase::Stopped) return ParseResult::done();
  if (phase_ == Phase::TlsPending) {
    if (dir == Dir::ToServer) {
      emit_tls(out);
      return ParseResult::done();
    }
    return ParseResult::ok();
  }
  if (dir == Dir::ToServer && phase_ == Phase::Greeting) {
    phase_ = Phase::Stopped;  // the client spoke first: the capture began midstream
    return ParseResult::done();
  }
  if (compression_ != Compression::None) return compressed(dir, data, out);
  return packets(dir, data, out);
}

// Compressed protocol frame: 3-byte compressed length, sequence, 3-byte length before
// compression (0: the payload is not compressed); the payload a zlib stream, or with zstd
// one zstd frame (the same framing, only the algorithm differs). Each frame's packets are read on
// their own; a packet continued in the next frame is not followed (logins never are), and frames
// too large to be a login are skipped without being held.
ParseResult MysqlAnalyzer::compressed(Dir dir, ByteView data, EventSink& out) {
  constexpr size_t kFrameHeader = 7;
  size_t pos = 0;
  uint64_t& skip = frame_skip_[size_t(dir)];
  while (pos < data.size()) {
    if (skip) {
      pass_over(skip, pos, data.size());
      continue;
    }
    size_t avail = data.size() - pos;
    if (avail < kFrameHeader)
      return ParseResult::need_more(uint32_t(pos), uint32_t(kFrameHeader - avail));
    const uint8_t* h = data.data() + pos;
    uint32_t clen = uint32_t(h[0]) | uint32_t(h[1]) << 8 | uint32_t(h[2]) << 16;
    uint32_t ulen = uint32_t(h[4]) | uint32_t(h[5]) << 8 | uint32_t(h[6]) << 16;
    if (clen > kMaxParsed || ulen > kMaxParsed) {
      skip = kFrameHeader + uint64_t(clen);
      continue;
    }
    if (avail < kFrameHeader + clen)
      return ParseResult::need_more(uint32_t(pos), uint32_t(kFrameHeader + clen - avail));
    ByteView frame(h + kFrameHeader, clen);
    pos += kFrameHeader + clen;
    ByteView inner = frame;
    if (ulen != 0) {
      inflated_.resize(ulen);
      bool good;
      if (compression_ == Compression::Zstd) {
        if (!zstd_) zstd_.reset(ZSTD_createDCtx());
        size_t got =
            zstd_ ? ZSTD_decompressDCtx(zstd_.get(), inflated_.data(), ulen, frame.data(), clen)
                  : 0;
        good = zstd_ && !ZSTD_isError(got) && got == ulen;
      } else {
        uLongf got = ulen;
        good = ::uncompress(inflated_.data(), &got, frame.data(), clen) == Z_OK && got == ulen;
      }
      if (!good) {
        release_inflated();
        context_.anomaly(kBadCompressedFrame, out);
        continue;
      }
      inner = ByteView(inflated_);
    }
    // Frames are read whole: no packet state carries over from one to the next.
    sides_[size_t(dir)] = Side{};
    secret_seen_ = false;
    ParseResult r = packets(dir, inner, out);
    sides_[size_t(dir)] = Side{};
    release_inflated();
    // --redact: a login inside a compressed frame hides in its deflated bytes.
    if (secret_seen_ && ulen != 0) context_.secret(dir, frame);
    if (r.kind == ParseResult::Error || r.kind == ParseResult::Done) return r;
  }
  return ParseResult::ok();
}

ParseResult MysqlAnalyzer::packets(Dir dir, ByteView data, EventSink& out) {
  Side& side = sides_[size_t(dir)];
  size_t pos = 0;
  while (pos < data.size()) {
    if (side.skip) {
      pass_over(side.skip, pos, data.size());
      continue;
    }
    size_t avail = data.size() - pos;
    if (avail < 4) return ParseResult::need_more(uint32_t(pos), uint32_t(4 - avail));
    const uint8_t* h = data.data() + pos;
    uint32_t len = uint32_t(h[0]) | uint32_t(h[1]) << 8 | uint32_t(h[2]) << 16;
    uint8_t seq = h[3];
    bool continuation = side.continued;
    auto skip_packet = [&] {
      side.continued = len == kMaxPayload;
      side.skip = 4 + uint64_t(len);
    };
    if (continuation || !wants(dir, seq)) {
      skip_packet();
      continue;
    }
    if (is_command(dir, seq)) {
      // Only COM_CHANGE_USER is read; other commands (queries of any size) are skipped.
      if (len && avail < 5) return ParseResult::need_more(uint32_t(pos), 1);
      if (!len || h[4] != kComChangeUser) {
        skip_packet();
        continue;
      }
    }
    if (len > kMaxParsed) {
      context_.anomaly(kPacketTooLong, out, "connection-phase packet of " + std::to_string(len));
      skip_packet();
      continue;
    }
    if (avail < 4 + size_t(len))
      return ParseResult::need_more(uint32_t(pos), uint32_t(4 + len - avail));
    side.continued = len == kMaxPayload;
    pos += 4 + len;
    on_packet(dir, seq, ByteView(h + 4, len), out);
    if (phase_ == Phase::Broken) return ParseResult::error();
    if (phase_ == Phase::Stopped) return ParseResult::done();
    if (phase_ == Phase::TlsPending && pos < data.size()) {
      emit_tls(out);  // the TLS handshake follows the SSLRequest in the same segment
      return ParseResult::done();
    }
  }
  return ParseResult::ok();
}

void MysqlAnalyzer::on_packet(Dir dir, uint8_t seq, ByteView payload, EventSink& out) {
  if (dir == Dir::ToClient) {
    if (phase_ == Phase::Greeting) return on_greeting(seq, payload, out);
    if (phase_ == Phase::Auth) return on_server_auth(payload, out);
    return;  // Login: e.g. an ERR for a handshake timeout, before any attempt
  }
  if (phase_ == Phase::Login) return on_login(payload, out);
  if (is_command(dir, seq)) return on_command(payload, out);
  on_client_auth(payload);
}

void MysqlAnalyzer::on_greeting(uint8_t seq, ByteView payload, EventSink& out) {
  if (seq != 0 || (!payload.empty() && payload[0] == 0xff)) {
    // Midstream, or the server refused the connection outright (ERR 1130 "host is not
    // allowed", 1040 "too many connections"): no login to report.
    phase_ = Phase::Stopped;
    return;
  }
  Greeting g;
  if (!parse_greeting(payload, g)) {
    context_.anomaly(kBadGreeting, out);
    phase_ = Phase::Broken;
    return;
  }
  protocol_ = g.protocol;
  server_version_ = wire_text(g.server_version);
  scramble_ = std::move(g.scramble);
  server_caps_ = g.capabilities;
  default_plugin_ = std::string(as_chars(g.plugin));
  phase_ = Phase::Login;
}

void MysqlAnalyzer::on_login(ByteView payload, EventSink& out) {
  LoginRequest r;
  if (!parse_login_request(payload, r)) {
    context_.anomaly(kBadLoginRequest, out, "HandshakeResponse");
    phase_ = Phase::Broken;
    return;
  }
  client_caps_ = r.capabilities;
  if (r.ssl_request) {
    tls_ts_ = context_.flow->now;
    phase_ = Phase::TlsPending;
    return;
  }
  start(r, false);
}

void MysqlAnalyzer::on_command(ByteView payload, EventSink& out) {
  LoginRequest r;
  if (!parse_change_user(payload, client_caps_, r)) {
    context_.anomaly(kBadLoginRequest, out, "COM_CHANGE_USER");
    return;
  }
  if (attempt_.active) finish(AuthResult::Unknown, {}, out);
  start(r, true);
}

std::string MysqlAnalyzer::salt_for(std::string_view plugin, ByteView data) {
  // Scramble-based plugins send a 20-byte nonce plus a NUL; ed25519 a 32-byte one.
  if ((plugin == kNative || plugin == kCachingSha2 || plugin == kSha256) && data.size() >= 20)
    return std::string(as_chars(data.first(20)));
  if ((plugin == kEd25519 || plugin == kParsec) && data.size() >= 32)
    return std::string(as_chars(data.first(32)));
  if (!data.empty() && data.back() == 0) data = data.first(data.size() - 1);
  return std::string(as_chars(data));
}

void MysqlAnalyzer::start(const LoginRequest& r, bool change_user) {
  attempt_ = {};
  attempt_.active = true;
  attempt_.change_user = change_user;
  attempt_.auth.ts = context_.flow->now;
  attempt_.auth.user = wire_text(r.user);
  attempt_.auth.database = wire_text(r.database);
  if (!r.plugin.empty()) {
    attempt_.plugin = std::string(as_chars(r.plugin));
  } else if (change_user && !default_plugin_.empty()) {
    attempt_.plugin = default_plugin_;
  } else if (protocol_ == 9 || !(r.capabilities & kSecureConnection) ||
             r.auth_response.size() == 8) {
    attempt_.plugin = std::string(kOldPassword);  // pre-4.1 scramble
  } else {
    attempt_.plugin = std::string(kNative);  // 4.1 clients before pluggable auth
  }
  if (!change_user && default_plugin_.empty()) default_plugin_ = attempt_.plugin;
  attempt_.salt =
      salt_for(attempt_.plugin,
               ByteView(reinterpret_cast<const uint8_t*>(scramble_.data()), scramble_.size()));
  if (attempt_.plugin == kOldPassword && attempt_.salt.size() > 8) attempt_.salt.resize(8);
  for (const auto& [key, value] : r.attributes)
    attempt_.attributes.emplace_back(wire_text(key), wire_text(value));
  ask_ = Ask::None;
  password_question_ = false;
  take_response(r.auth_response);
  phase_ = Phase::Auth;
}

// Records the client's answer to whatever the current plugin asked.
void MysqlAnalyzer::take_response(ByteView p) {
  context_.secret(Dir::ToServer, p);
  secret_seen_ = true;
  const std::string& plugin = attempt_.plugin;
  AuthAttempt& a = attempt_.auth;
  if (plugin == kClearPassword) {
    a.password = wire_text(until_nul(p));
  } else if (plugin == kDialog) {
    // The first password question's answer (a later one: a one-time code, say).
    if (ask_ == Ask::Dialog && password_question_ && !a.password)
      a.password = wire_text(until_nul(p));
  } else if (plugin == kSha256 ||
             (plugin == kCachingSha2 && (ask_ == Ask::FullAuth || ask_ == Ask::PublicKey))) {
    // Full authentication: a request for the server's RSA key (1 or 2), the password
    // RSA-encrypted, or the password in clear (meant for TLS or a local socket).
    if (p.size() == 1 && (p[0] == 1 || p[0] == 2)) return;
    if (p.empty() || (p.size() == 1 && p[0] == 0)) {
      if (plugin == kSha256) a.password = "";
    } else if (looks_cleartext(p)) {
      a.password = wire_text(until_nul(p));
    } else {
      attempt_.rsa.assign(as_chars(p));
    }
  } else {
    attempt_.response.assign(as_chars(p));
    if (plugin == kOldPassword && !attempt_.response.empty() && attempt_.response.back() == 0)
      attempt_.response.pop_back();  // pre-4.1 responses are NUL-terminated
  }
}

void MysqlAnalyzer::on_server_auth(ByteView p, EventSink& out) {
  if (p.empty()) {
    context_.anomaly(kBadAuthPacket, out, "empty packet");
    return;
  }
  if (attempt_.next_factor && p[0] != 0x00 && p[0] != 0xff) {
    ask_ = Ask::Other;  // an exchange of a later factor's plugin: not the password's
    return;
  }
  if (attempt_.plugin == kParsec &&
      (p[0] == 'P' || (p[0] == 0x01 && p.size() > 1 && p[1] == 'P'))) {
    // The ext-salt the client asked for with an empty packet: 'P' (PBKDF2), the iteration
    // factor, the salt. MariaDB sends plugin data as is (it adds the 0x01 of MySQL's
    // AuthMoreData only before a byte that would read as a status), so both are taken.
    ByteView salt = p.subspan(p[0] == 0x01 ? 1 : 0);
    if (salt.size() < 3) context_.anomaly(kBadAuthPacket, out, "parsec ext-salt");
    attempt_.ext_salt.assign(as_chars(salt));
    ask_ = Ask::ExtSalt;
    return;
  }
  if (attempt_.plugin == kDialog && p[0] >= 2 && p[0] <= 5) {
    // A later question of the dialog plugin (PAM): MariaDB sends it as is, its type byte
    // first (2/3 ordinary, 4/5 password; the low bit marks the last), without MySQL's
    // AuthMoreData 0x01 (added only before a byte that would read as a status).
    ask_ = Ask::Dialog;
    password_question_ = (p[0] >> 1) == 2;
    return;
  }
  switch (p[0]) {
    case 0x00:
      finish(AuthResult::Success, {}, out);
      return;
    case 0xff: {
      ServerError e;
      if (!parse_error(p, e)) {
        context_.anomaly(kBadAuthPacket, out, "ERR");
        finish(AuthResult::Failure, {}, out);
        return;
      }
      std::string reason = std::to_string(e.code);
      if (!e.sql_state.empty()) reason += " (" + wire_text(e.sql_state) + ")";
      reason += ": " + wire_text(e.message);
      attempt_.auth.credential_accepted =
          refused_after_authentication(e.code) && !attempt_.next_factor;
      finish(AuthResult::Failure, std::move(reason), out);
      return;
    }
    case 0xfe: {
      AuthSwitch s;
      if (!parse_auth_switch(p, s)) {
        context_.anomaly(kBadAuthPacket, out, "AuthSwitchRequest");
        return;
      }
      attempt_.response.clear();
      attempt_.rsa.clear();
      if (s.plugin.empty()) {
        attempt_.plugin = std::string(kOldPassword);
        attempt_.salt = scramble_.substr(0, 8);
      } else {
        attempt_.plugin = std::string(as_chars(s.plugin));
        attempt_.salt = salt_for(attempt_.plugin, s.data);
      }
      ask_ = Ask::Switch;
      if (attempt_.plugin == kDialog) {
        // The first question rides in the switch request: type byte, then the prompt;
        // types 4 and 5 ask for a password (the low bit marks the last question).
        ask_ = Ask::Dialog;
        attempt_.salt.clear();
        password_question_ = !s.data.empty() && (s.data[0] >> 1) == 2;
      }
      return;
    }
    case 0x01: {
      ByteView d = p.subspan(1);
      const std::string& plugin = attempt_.plugin;
      if (plugin == kCachingSha2 && d.size() == 1 && d[0] == 3) {
        ask_ = Ask::None;  // fast authentication succeeded; OK follows
      } else if (plugin == kCachingSha2 && d.size() == 1 && d[0] == 4) {
        ask_ = Ask::FullAuth;
      } else if (plugin == kCachingSha2 || plugin == kSha256) {
        ask_ = Ask::PublicKey;  // the server's RSA public key (PEM)
      } else if (plugin == kDialog) {
        ask_ = Ask::Dialog;
        password_question_ = !d.empty() && (d[0] >> 1) == 2;
      } else {
        ask_ = Ask::Other;
      }
      return;
    }
    case 0x02:
      // AuthNextFactor (MySQL 8.0.27+ multi-factor authentication): plugin name and
      // data of the next factor (a security key, a second password). The attempt keeps
      // the first factor's credential; OK or ERR still ends it.
      attempt_.next_factor = true;
      ask_ = Ask::Other;
      return;
    default:
      context_.anomaly(kBadAuthPacket, out, "unknown packet type");
  }
}

void MysqlAnalyzer::on_client_auth(ByteView payload) {
  if (ask_ == Ask::None) return;  // nothing was asked: not part of the exchange
  if (ask_ != Ask::Other) take_response(payload);
  ask_ = Ask::None;
}

void MysqlAnalyzer::finish(AuthResult result, std::string reason, EventSink& out) {
  Attempt& at = attempt_;
  AuthAttempt& a = at.auth;
  a.result = result;
  a.reason = std::move(reason);
  a.mechanism = at.plugin;
  auto bytes = [](const std::string& s) {
    return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  const std::string& plugin = at.plugin;
  bool scrambled =
      plugin == kNative || plugin == kOldPassword || plugin == kCachingSha2 || plugin == kEd25519;
  if (scrambled && at.response.empty() && at.rsa.empty() && !a.password) {
    // An empty response is what clients send for an empty password.
    if (plugin != kEd25519) a.password = "";
  } else if (scrambled && !at.response.empty()) {
    a.credential.emplace_back("salt", hex_string(bytes(at.salt)));
    a.credential.emplace_back("response", hex_string(bytes(at.response)));
    if (plugin == kNative && at.salt.size() == 20 && at.response.size() == 20) {
      a.hash = "$mysqlna$" + hex_string(bytes(at.salt)) + "*" + hex_string(bytes(at.response));
      a.hash_mode = 11200;
    }
  }
  if (plugin == kParsec) parsec_credential(at, a);
  if (!at.rsa.empty()) {
    if (plugin == kSha256) a.credential.emplace_back("salt", hex_string(bytes(at.salt)));
    a.credential.emplace_back("rsa_encrypted_password", hex_string(bytes(at.rsa)));
  }
  emit(a, at.change_user, out);
  at.active = false;
  ask_ = Ask::None;
  phase_ = Phase::Command;
  // After a successful login both sides compress (zlib when the client asked for it,
  // else zstd): the frames are read, so a later COM_CHANGE_USER is still found.
  if (result == AuthResult::Success && compression_ == Compression::None) {
    uint32_t both = client_caps_ & server_caps_;
    if (both & kCompress) {
      compression_ = Compression::Zlib;
    } else if (both & kZstdCompression) {
      compression_ = Compression::Zstd;
    }
  }
}

// What an offline check of a parsec login needs (MariaDB's "Authentication Plugin -
// PARSEC"): the server's 32-byte nonce; from the ext-salt, the PBKDF2-SHA512 iteration
// count (1024 << factor) and salt; from the client's answer, its 32-byte nonce and the
// ed25519 signature of server nonce + client nonce made with the key PBKDF2 derives
// from the password.
void MysqlAnalyzer::parsec_credential(const Attempt& at, AuthAttempt& a) {
  auto hex = [](std::string_view s) {
    return hex_string(ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  if (!at.salt.empty()) a.credential.emplace_back("server_nonce", hex(at.salt));
  if (at.ext_salt.size() >= 2) {
    a.credential.emplace_back("kdf", "pbkdf2-sha512");
    uint8_t factor = uint8_t(at.ext_salt[1]);
    if (factor < 32) a.credential.emplace_back("iterations", std::to_string(1024ull << factor));
    a.credential.emplace_back("salt", hex(std::string_view(at.ext_salt).substr(2)));
  }
  if (at.response.size() == 96) {
    a.credential.emplace_back("client_nonce", hex(std::string_view(at.response).substr(0, 32)));
    a.credential.emplace_back("signature", hex(std::string_view(at.response).substr(32)));
  } else if (!at.response.empty()) {
    a.credential.emplace_back("response", hex(at.response));
  }
}

void MysqlAnalyzer::emit_tls(EventSink& out) {
  AuthAttempt a;
  a.tls = true;
  a.ts = tls_ts_;
  emit(a, false, out);
  phase_ = Phase::Stopped;
}

void MysqlAnalyzer::emit(const AuthAttempt& a, bool change_user, EventSink& out) {
  Event e = make_auth_event(context_, "mysql", a);
  e.set("server_version", server_version_);
  if (change_user) e.set("change_user", true);
  if (!attempt_.attributes.empty() && !a.tls) {
    rapidjson::Value attrs(rapidjson::kObjectType);
    for (const auto& [key, value] : attempt_.attributes) {
      attrs.AddMember(rapidjson::Value(key.data(), rapidjson::SizeType(key.size()), e.alloc()),
                      rapidjson::Value(value.data(), rapidjson::SizeType(value.size()), e.alloc()),
                      e.alloc());
    }
    e.set("client_attributes", std::move(attrs));
  }
  out.emit(e);
}

std::unique_ptr<Analyzer> make_mysql(const AnalyzerContext& context) {
  return std::make_unique<MysqlAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kMysqlAnalyzer = {"mysql",     Transport::Tcp, kMysqlPorts,
                                     probe_mysql, make_mysql,     kAnomalies};

}  // namespace netsift
