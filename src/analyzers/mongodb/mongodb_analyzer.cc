#include "analyzers/mongodb/mongodb_analyzer.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "analyzers/auth_event.h"
#include "analyzers/mongodb/bson.h"
#include "analyzers/mongodb/mongodb_wire.h"
#include "analyzers/textproto/text.h"

namespace netsift {
namespace {

using mongodb::Message;
using mongodb::WireError;

constexpr uint16_t kMongodbPorts[] = {27017};

enum Anomaly : size_t {
  kBadLength,
  kBadMessage,
  kBadBson,
  kBsonTooDeep,
  kBadChecksum,
  kDecompression,
  kCompressedTooLarge,
  kUnknownOpcode,
  kTooManyPending,
};
constexpr std::string_view kAnomalies[] = {
    "mongodb.bad_length",            // messageLength under 16 or over 48 MB: framing lost
    "mongodb.bad_message",           // sections inconsistent with the message length
    "mongodb.bad_bson",              // a document with bad lengths, types or terminators
    "mongodb.bson_too_deep",         // documents nested past 128 levels
    "mongodb.bad_checksum",          // OP_MSG CRC-32C mismatch
    "mongodb.decompression_failed",  // OP_COMPRESSED body does not expand as declared
    "mongodb.compressed_too_large",  // OP_COMPRESSED declaring more than 1 MiB
    "mongodb.unknown_opcode",        //
    "mongodb.too_many_pending",      // more than 64 unanswered login commands
};

// Messages up to this size are read whole (held by the engine until complete); larger
// ones (bulk data, never a login) are skipped as their bytes pass.
constexpr uint32_t kMaxReadWhole = 48 * 1024;
constexpr size_t kMaxPending = 64;
constexpr size_t kMaxField = 1024;  // bytes kept of a SCRAM message, nonce, key or user

// Wire bytes as event text: at most kMaxField, clean UTF-8 kept, anything else \xNN.
std::string capped(std::string_view s) {
  return textproto::wire_text(s, kMaxField);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x | 0x20 : x) == (y >= 'A' && y <= 'Z' ? y | 0x20 : y);
         });
}

// SCRAM (RFC 5802 5.1): the value of attribute `name` in a comma-separated message.
std::string_view scram_attribute(std::string_view msg, char name) {
  size_t pos = 0;
  while (pos <= msg.size()) {
    size_t comma = msg.find(',', pos);
    std::string_view part =
        msg.substr(pos, comma == std::string_view::npos ? msg.npos : comma - pos);
    if (part.size() >= 2 && part[0] == name && part[1] == '=') return part.substr(2);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return {};
}

// The client-first-message-bare: what follows the GS2 header "n,," / "y,," / "n,a=authzid,".
std::string_view scram_bare(std::string_view client_first) {
  size_t first = client_first.find(',');
  if (first == std::string_view::npos) return client_first;
  size_t second = client_first.find(',', first + 1);
  return second == std::string_view::npos ? std::string_view() : client_first.substr(second + 1);
}

// saslname: "=2C" stands for ',' and "=3D" for '=' (RFC 5802 5.1).
std::string scram_unescape(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name.substr(i, 3) == "=2C") {
      out += ',';
      i += 2;
    } else if (name.substr(i, 3) == "=3D") {
      out += '=';
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

std::string_view payload_text(const bson::Document& doc) {
  bson::Element e;
  if (!doc.find("payload", e)) return {};
  ByteView b;
  std::string_view s;
  if (e.binary(b)) return as_chars(b);
  if (e.string(s)) return s;
  return {};
}

// ---- probing ---------------------------------------------------------------------------

Confidence probe_mongodb(Dir dir, ByteView b) {
  if (b.size() < 4) return Confidence::Maybe;
  uint32_t len = load_le32(b.data());
  if (len < mongodb::kHeaderSize + 5 || len > mongodb::kMaxMessage) return Confidence::No;
  if (b.size() < mongodb::kHeaderSize) return Confidence::Maybe;
  mongodb::Header h = mongodb::read_header(b.data());
  bool request =
      h.response_to == 0 && (h.opcode == mongodb::kOpQuery || h.opcode == mongodb::kOpMsg ||
                             h.opcode == mongodb::kOpCompressed);
  bool reply =
      h.response_to != 0 && (h.opcode == mongodb::kOpReply || h.opcode == mongodb::kOpMsg ||
                             h.opcode == mongodb::kOpCompressed);
  if (dir == Dir::ToServer ? !request : !reply) return Confidence::No;
  if (len > 4096) return Confidence::No;  // a first message is a small handshake
  if (b.size() < len) return Confidence::Maybe;
  Message m;
  std::vector<uint8_t> scratch;
  WireError err = mongodb::parse_message(b.first(len), m, scratch);
  if (err != WireError::None || !m.has_document) return Confidence::No;
  return bson::validate(m.document.bytes()) == bson::Check::Ok ? Confidence::Yes : Confidence::No;
}

// ---- the analyzer ----------------------------------------------------------------------

class MongodbAnalyzer final : public Analyzer {
 public:
  explicit MongodbAnalyzer(const AnalyzerContext& context) : context_(context) {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    if (lost_) return ParseResult::done();
    uint64_t& skip = skip_[size_t(dir)];
    size_t pos = 0;
    for (;;) {
      if (skip) {
        pass_over(skip, pos, data.size());
        if (skip) return ParseResult::ok();
      }
      size_t left = data.size() - pos;
      if (left == 0) return ParseResult::ok();
      if (left < mongodb::kHeaderSize) {
        return ParseResult::need_more(uint32_t(pos), uint32_t(mongodb::kHeaderSize - left));
      }
      mongodb::Header h = mongodb::read_header(data.data() + pos);
      if (h.length < mongodb::kHeaderSize || h.length > mongodb::kMaxMessage) {
        context_.anomaly(kBadLength, out, "messageLength " + std::to_string(h.length));
        return ParseResult::error();
      }
      if (!mongodb::known_opcode(h.opcode)) {
        context_.anomaly(kUnknownOpcode, out, "opCode " + std::to_string(h.opcode));
      }
      if (h.length > kMaxReadWhole) {
        skip = h.length;
        continue;
      }
      if (left < h.length) {
        return ParseResult::need_more(uint32_t(pos), uint32_t(h.length - left));
      }
      message(dir, data.subspan(pos, h.length), out);
      pos += h.length;
    }
  }

  void on_gap(Dir, uint64_t, EventSink& out) override {
    flush_unknown(out);  // framing is lost with the bytes
    lost_ = true;
  }

  void on_close(EventSink& out) override { flush_unknown(out); }

 private:
  enum class Kind : uint8_t { SaslStart, SaslContinue, Speculative, GetNonce, Authenticate };
  struct Pending {
    uint32_t request_id;
    Kind kind;
    std::optional<AuthAttempt> attempt;  // SaslStart, Speculative, Authenticate
  };
  struct Conversation {
    AuthAttempt attempt;
    bool have_client_final = false;
  };

  void message(Dir dir, ByteView bytes, EventSink& out) {
    carries_secret_ = false;
    parse(dir, bytes, out);
    // --redact: a login message is masked whole (its BSON may be compressed).
    if (carries_secret_) context_.secret(dir, bytes);
  }

  void parse(Dir dir, ByteView bytes, EventSink& out) {
    Message m;
    WireError err = mongodb::parse_message(bytes, m, scratch_);
    if (err != WireError::None) {
      Anomaly a = err == WireError::BadChecksum     ? kBadChecksum
                  : err == WireError::Decompression ? kDecompression
                  : err == WireError::TooLarge      ? kCompressedTooLarge
                  : err == WireError::Unsupported   ? kDecompression
                                                    : kBadMessage;
      context_.anomaly(a, out, mongodb::wire_error_text(err));
      if (err != WireError::BadChecksum) return;
    }
    if (m.has_document) {
      bson::Check check = bson::validate(m.document.bytes());
      if (check != bson::Check::Ok) {
        context_.anomaly(check == bson::Check::TooDeep ? kBsonTooDeep : kBadBson, out);
      } else if (dir == Dir::ToServer) {
        command(m, out);
      } else {
        reply(m, out);
      }
    }
    // Keep the per-connection footprint small once a large compressed body is done.
    if (scratch_.capacity() > 64 * 1024) std::vector<uint8_t>().swap(scratch_);
  }

  // ---- client commands -------------------------------------------------------------------

  void command(const Message& m, EventSink& out) {
    bson::Document doc = m.document;
    std::string_view db;
    if (m.opcode == mongodb::kOpQuery) {
      // Only commands ("db.$cmd"); mongos-style wrapping {$query: {...}, $readPreference}.
      if (!m.collection.ends_with(".$cmd")) return;
      db = m.collection.substr(0, m.collection.find('.'));
      bson::Element first;
      bson::Document inner;
      if (doc.first(first) && (first.key == "$query" || first.key == "query") &&
          first.type == bson::kDocument && bson::Document::view(first.value, inner)) {
        doc = inner;
      }
    } else if (m.opcode == mongodb::kOpMsg) {
      m.document.get_string("$db", db);
    } else {
      return;
    }
    bson::Element first;
    if (!doc.first(first)) return;
    std::string_view name = first.key;
    bool expects_reply = !m.more_to_come;
    if (name == "saslStart") {
      AuthAttempt a = start_attempt(db);
      std::string_view mech;
      doc.get_string("mechanism", mech);
      sasl_start(a, mech, payload_text(doc));
      if (expects_reply) add_pending(m.header.request_id, Kind::SaslStart, std::move(a), out);
    } else if (name == "saslContinue") {
      std::string_view payload = payload_text(doc);
      if (current_ && !current_->have_client_final && !payload.empty() &&
          current_->attempt.mechanism.starts_with("SCRAM")) {
        carries_secret_ = true;
        current_->attempt.credential.emplace_back("client_final", capped(payload));
        current_->have_client_final = true;
      }
      if (expects_reply) add_pending(m.header.request_id, Kind::SaslContinue, std::nullopt, out);
    } else if (iequals(name, "hello") || iequals(name, "isMaster")) {
      bson::Document spec;
      if (!doc.get_document("speculativeAuthenticate", spec)) return;
      std::string_view spec_db = db;
      spec.get_string("db", spec_db);
      AuthAttempt a = start_attempt(spec_db);
      bson::Element op;
      std::string_view mech;
      spec.get_string("mechanism", mech);
      if (spec.first(op) && op.key == "saslStart") {
        sasl_start(a, mech, payload_text(spec));
      } else if (spec.first(op) && op.key == "authenticate") {
        authenticate(a, spec, mech);
      } else {
        return;
      }
      if (expects_reply) add_pending(m.header.request_id, Kind::Speculative, std::move(a), out);
    } else if (name == "getnonce") {
      if (expects_reply) add_pending(m.header.request_id, Kind::GetNonce, std::nullopt, out);
    } else if (name == "authenticate") {
      AuthAttempt a = start_attempt(db);
      std::string_view mech;
      doc.get_string("mechanism", mech);
      authenticate(a, doc, mech);
      if (expects_reply) add_pending(m.header.request_id, Kind::Authenticate, std::move(a), out);
    }
  }

  AuthAttempt start_attempt(std::string_view db) {
    AuthAttempt a;
    a.database = capped(db);
    a.ts = context_.flow->now;
    return a;
  }

  void sasl_start(AuthAttempt& a, std::string_view mech, std::string_view payload) {
    a.mechanism = capped(mech);
    if (mech.starts_with("SCRAM-")) {
      a.user = capped(scram_unescape(scram_attribute(scram_bare(payload), 'n')));
      carries_secret_ = true;
      a.credential.emplace_back("client_first", capped(payload));
    } else if (mech == "PLAIN") {
      // authzid NUL authcid NUL passwd (RFC 4616)
      size_t a1 = payload.find('\0');
      size_t a2 = a1 == payload.npos ? payload.npos : payload.find('\0', a1 + 1);
      if (a2 != payload.npos) {
        a.user = capped(payload.substr(a1 + 1, a2 - a1 - 1));
        a.password = capped(payload.substr(a2 + 1));
        carries_secret_ = true;
      }
    }
  }

  void authenticate(AuthAttempt& a, const bson::Document& doc, std::string_view mech) {
    std::string_view user, nonce, key;
    doc.get_string("user", user);
    a.user = capped(user);
    if (mech == "MONGODB-X509") {
      a.mechanism = "MONGODB-X509";  // the user is the certificate's subject DN
      return;
    }
    a.mechanism = mech.empty() ? "MONGODB-CR" : capped(mech);
    if (!doc.get_string("nonce", nonce)) nonce = last_nonce_;
    doc.get_string("key", key);
    carries_secret_ = true;
    a.credential.emplace_back("nonce", capped(nonce));
    a.credential.emplace_back("key", capped(key));
  }

  void add_pending(uint32_t id, Kind kind, std::optional<AuthAttempt> a, EventSink& out) {
    if (pending_.size() >= kMaxPending) {
      context_.anomaly(kTooManyPending, out);
      if (pending_.front().attempt) emit(*pending_.front().attempt, out);
      pending_.erase(pending_.begin());
    }
    pending_.push_back({id, kind, std::move(a)});
  }

  // ---- server replies --------------------------------------------------------------------

  void reply(const Message& m, EventSink& out) {
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [&](const Pending& p) { return p.request_id == m.header.response_to; });
    if (it == pending_.end()) return;
    Pending p = std::move(*it);
    pending_.erase(it);
    const bson::Document& doc = m.document;
    double ok = 0;
    doc.get_number("ok", ok);
    switch (p.kind) {
      case Kind::GetNonce: {
        std::string_view nonce;
        if (doc.get_string("nonce", nonce)) {
          last_nonce_ = capped(nonce);
          carries_secret_ = true;  // half of a MONGODB-CR credential
        }
        return;
      }
      case Kind::Authenticate: {
        // MONGODB-X509 without "user" (MongoDB 3.4+): the server takes the subject of
        // the client's certificate and names it in its reply.
        std::string_view user;
        if (ok == 1 && p.attempt->mechanism == "MONGODB-X509" && p.attempt->user.empty() &&
            doc.get_string("user", user))
          p.attempt->user = capped(user);
        decide(*p.attempt, ok == 1, doc, out);
        return;
      }
      case Kind::SaslStart:
        sasl_step(std::move(*p.attempt), ok == 1, doc, out);
        return;
      case Kind::Speculative: {
        // Absent from the reply: the server did not try it; the driver authenticates anew.
        bson::Document spec;
        if (ok != 1 || !doc.get_document("speculativeAuthenticate", spec)) return;
        if (p.attempt->mechanism == "MONGODB-X509") {
          std::string_view user;
          if (p.attempt->user.empty() && spec.get_string("user", user))
            p.attempt->user = capped(user);
          decide(*p.attempt, true, spec, out);
        } else {
          sasl_step(std::move(*p.attempt), true, spec, out);
        }
        return;
      }
      case Kind::SaslContinue: {
        if (!current_) return;
        Conversation& c = *current_;
        std::string_view payload = payload_text(doc);
        if (ok == 1 && !payload.empty() && c.attempt.mechanism.starts_with("SCRAM")) {
          if (payload.starts_with("e=")) {
            carries_secret_ = true;
            c.attempt.credential.emplace_back("server_final", capped(payload));
            c.attempt.result = AuthResult::Failure;
            c.attempt.reason = capped(payload.substr(2));
            finish(out);
            return;
          }
          bool seen = std::any_of(c.attempt.credential.begin(), c.attempt.credential.end(),
                                  [](const auto& kv) { return kv.first == "server_final"; });
          carries_secret_ = true;
          if (!seen) c.attempt.credential.emplace_back("server_final", capped(payload));
        }
        double done = 0;
        doc.get_number("done", done);
        if (ok != 1 || done == 1) {
          decide(c.attempt, ok == 1, doc, out, /*emit_now=*/false);
          finish(out);
        }
        return;
      }
    }
  }

  // The first server step of a SASL conversation (saslStart or speculative reply).
  void sasl_step(AuthAttempt a, bool ok, const bson::Document& doc, EventSink& out) {
    if (current_) {
      emit(current_->attempt, out);  // a conversation the client abandoned: no outcome
      current_.reset();
    }
    double done = 0;
    doc.get_number("done", done);
    std::string_view payload = payload_text(doc);
    if (ok && !payload.empty() && a.mechanism.starts_with("SCRAM")) {
      carries_secret_ = true;
      a.credential.emplace_back("server_first", capped(payload));
    }
    if (!ok || done == 1) {
      decide(a, ok, doc, out);
      return;
    }
    current_ = Conversation{std::move(a)};
  }

  void decide(AuthAttempt& a, bool ok, const bson::Document& doc, EventSink& out,
              bool emit_now = true) {
    a.result = ok ? AuthResult::Success : AuthResult::Failure;
    if (!ok) {
      // "code codeName: errmsg", as far as the reply gives them.
      double code = 0;
      std::string_view name, msg;
      std::string reason;
      if (doc.get_number("code", code)) reason = std::to_string(int64_t(code));
      if (doc.get_string("codeName", name)) {
        if (!reason.empty()) reason += ' ';
        reason += capped(name);
      }
      if (doc.get_string("errmsg", msg) || doc.get_string("$err", msg)) {
        if (!reason.empty()) reason += ": ";
        reason += capped(msg);
      }
      a.reason = std::move(reason);
    }
    if (emit_now) emit(a, out);
  }

  void finish(EventSink& out) {
    emit(current_->attempt, out);
    current_.reset();
  }

  void emit(const AuthAttempt& a, EventSink& out) {
    out.emit(make_auth_event(context_, "mongodb", a));
  }

  void flush_unknown(EventSink& out) {
    for (Pending& p : pending_) {
      if (p.attempt) emit(*p.attempt, out);
    }
    pending_.clear();
    if (current_) finish(out);
  }

  AnalyzerContext context_;
  bool carries_secret_ = false;          // the message being parsed is part of a login
  std::vector<uint8_t> scratch_;         // decompressed OP_COMPRESSED bodies
  std::vector<Pending> pending_;         // login commands waiting for their reply
  std::optional<Conversation> current_;  // the SASL conversation in progress
  std::string last_nonce_;               // from getnonce, for MONGODB-CR
  uint64_t skip_[2] = {0, 0};            // bytes of a large message still to pass
  bool lost_ = false;
};

std::unique_ptr<Analyzer> make_mongodb(const AnalyzerContext& context) {
  return std::make_unique<MongodbAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kMongodbAnalyzer = {"mongodb",     Transport::Tcp, kMongodbPorts,
                                       probe_mongodb, make_mongodb,   kAnomalies};

}  // namespace netsift
