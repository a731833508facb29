#include "analyzers/redis/redis_analyzer.h"

#include <algorithm>
#include <array>
#include <deque>

#include "analyzers/auth_event.h"
#include "analyzers/redis/resp_reader.h"
#include "analyzers/textproto/text.h"

namespace netsift {
namespace {

using redis::RespMessage;
using redis::RespReader;

constexpr uint16_t kRedisPorts[] = {6379};

enum Anomaly : size_t { kBadMessage, kLineTooLong, kTooDeep, kUnexpectedReply, kTooManyPending };
constexpr std::string_view kAnomalies[] = {
    "redis.bad_message",       // not RESP (or an inline command redis-server would refuse)
    "redis.line_too_long",     // a line past 16 KiB
    "redis.too_deep",          // aggregates nested past 32 levels
    "redis.unexpected_reply",  // a reply with no command waiting for it (capture began late)
    "redis.too_many_pending",  // more than 1024 unanswered commands: logins reported unknown
};

// Commands kept waiting for their replies: consecutive ordinary commands share one entry.
constexpr size_t kMaxPending = 1024;

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c | 0x20) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// Wire bytes as event text (clean UTF-8 kept, anything else escaped \xNN).
std::string text(std::string_view s) {
  return textproto::wire_text(s, redis::kMaxItemBytes);
}

bool is_subscribe(std::string_view name) {
  for (std::string_view s :
       {"subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"}) {
    if (iequals(name, s)) return true;
  }
  return false;
}

// ---- probing ---------------------------------------------------------------------------

// Words an FTP/SMTP/POP3/IMAP client sends after AUTH: never a Redis password.
bool is_mechanism_word(std::string_view w) {
  for (std::string_view m :
       {"TLS", "SSL", "TLS-C", "TLS-P", "PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "GSSAPI",
        "NTLM", "XOAUTH2", "OAUTHBEARER", "EXTERNAL", "ANONYMOUS"}) {
    if (iequals(w, m)) return true;
  }
  return iequals(w.substr(0, 5), "SCRAM");
}

Confidence probe_client(std::string_view s) {
  if (s.empty()) return Confidence::Maybe;
  if (s[0] == '*') {
    // *N CR LF $M CR LF NAME: a command array whose first element is a command name.
    size_t i = 1;
    auto digits = [&](size_t max) {
      size_t start = i;
      while (i < s.size() && i - start <= max && s[i] >= '0' && s[i] <= '9') ++i;
      return i - start;
    };
    auto expect = [&](std::string_view lit) -> int {  // 1 ok, 0 need more, -1 mismatch
      for (char c : lit) {
        if (i == s.size()) return 0;
        if (s[i++] != c) return -1;
      }
      return 1;
    };
    size_t nd = digits(4);
    if (i == s.size()) return nd <= 4 ? Confidence::Maybe : Confidence::No;
    if (nd == 0 || nd > 4) return Confidence::No;
    if (int r = expect("\r\n$"); r <= 0) return r == 0 ? Confidence::Maybe : Confidence::No;
    size_t start = i;
    nd = digits(2);
    if (i == s.size()) return nd <= 2 ? Confidence::Maybe : Confidence::No;
    if (nd == 0 || nd > 2) return Confidence::No;
    size_t len = 0;
    for (size_t k = start; k < i; ++k) len = len * 10 + size_t(s[k] - '0');
    if (len == 0) return Confidence::No;
    if (int r = expect("\r\n"); r <= 0) return r == 0 ? Confidence::Maybe : Confidence::No;
    for (size_t k = 0; k < len; ++k, ++i) {
      if (i == s.size()) return Confidence::Maybe;
      char c = s[i] | 0x20;
      if (!((c >= 'a' && c <= 'z') || s[i] == '-' || s[i] == '_' || s[i] == '|')) {
        return Confidence::No;
      }
    }
    if (int r = expect("\r\n"); r <= 0) return r == 0 ? Confidence::Maybe : Confidence::No;
    return Confidence::Yes;
  }
  // Inline command: the first line decides.
  size_t eol = s.find('\n');
  if (eol == std::string_view::npos) {
    if (s.size() > 64) return Confidence::No;
    for (char c : s) {
      if (c < 0x20 && c != '\t' && c != '\r') return Confidence::No;
    }
    return Confidence::Maybe;
  }
  std::string_view l = s.substr(0, eol);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  std::array<std::string_view, 4> w;
  size_t n = 0, i = 0;
  while (i < l.size() && n < w.size()) {
    while (i < l.size() && l[i] == ' ') ++i;
    size_t start = i;
    while (i < l.size() && l[i] != ' ') ++i;
    if (i > start) w[n++] = l.substr(start, i - start);
  }
  if (n == 0) return Confidence::No;
  if (iequals(w[0], "PING") || iequals(w[0], "INFO") || iequals(w[0], "DBSIZE") ||
      iequals(w[0], "FLUSHALL") || iequals(w[0], "MONITOR")) {
    return n <= 2 ? Confidence::Yes : Confidence::No;
  }
  if (iequals(w[0], "HELLO")) {
    return n >= 2 && w[1].size() == 1 && w[1][0] >= '1' && w[1][0] <= '3' ? Confidence::Yes
                                                                          : Confidence::No;
  }
  if (iequals(w[0], "AUTH")) {
    return (n == 2 || n == 3) && !is_mechanism_word(w[1]) ? Confidence::Yes : Confidence::No;
  }
  return Confidence::No;
}

Confidence probe_redis(Dir dir, ByteView first) {
  std::string_view s = as_chars(first);
  if (dir == Dir::ToServer) return probe_client(s);
  // Redis never speaks first: only replies that no other protocol sends claim.
  for (std::string_view r : {"-NOAUTH ", "-WRONGPASS ", "-NOPERM ", "+PONG\r\n"}) {
    if (s.starts_with(r)) return Confidence::Yes;
    if (r.starts_with(s)) return Confidence::Maybe;
  }
  return Confidence::No;
}

// ---- the analyzer ----------------------------------------------------------------------

// Redis 4 and later quote an unknown command's first arguments in the error ("ERR unknown
// command 'HELLO', with args beginning with: '3' 'AUTH' 'u' 'secret'"): the password would
// land in `reason`, so the quoted arguments are cut off.
std::string_view without_arguments(std::string_view error) {
  size_t at = error.find(", with args beginning with");
  return at == std::string_view::npos ? error : error.substr(0, at);
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Error replies that refuse a login command before its credential is checked, so they
// are no verdict on the password: why, or "" when the error is one. A server before
// Redis 6 knows no HELLO ("-ERR unknown command"); HELLO with a protocol version the
// server does not speak is refused with -NOPROTO, and a bad option or client name with
// an error, all before the AUTH option is looked at (Redis 6/7 helloCommand); AUTH with
// a username to a server before ACLs is refused for its arity.
std::string not_checked(bool hello, std::string_view error) {
  std::string_view command = hello ? "HELLO" : "AUTH";
  if (starts_with_nocase(error, "ERR unknown command"))
    return "credential not checked: the server does not know " + std::string(command);
  if (starts_with_nocase(error, "ERR wrong number of arguments"))
    return "credential not checked: the server refused the arguments of " + std::string(command);
  if (!hello) return {};
  if (starts_with_nocase(error, "NOPROTO") || starts_with_nocase(error, "ERR Protocol version"))
    return "credential not checked: the server refused the HELLO protocol version";
  if (starts_with_nocase(error, "ERR Syntax error in HELLO option") ||
      starts_with_nocase(error, "ERR Client names cannot contain"))
    return "credential not checked: the server refused an option of HELLO";
  return {};
}

// A command whose name is not read yet, or one that can carry a password.
bool may_login(const RespMessage& m) {
  return m.items == 0 || iequals(m.item[0], "AUTH") || iequals(m.item[0], "HELLO");
}

class RedisAnalyzer final : public Analyzer {
 public:
  explicit RedisAnalyzer(const AnalyzerContext& context) : context_(context) {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    if (lost_) return ParseResult::done();
    RespReader& reader = dir == Dir::ToServer ? client_ : server_;
    size_t pos = 0;
    for (;;) {
      RespReader::Result r = reader.next(data.subspan(pos));
      pos += r.consumed;
      if (r.status == RespReader::Status::NeedMore) {
        // --redact: a command that may carry a password is read piecemeal (bulk bodies
        // are not buffered): its bytes stay unwritten until it is complete.
        if (dir == Dir::ToServer)
          context_.hold(dir, reader.in_message() && may_login(reader.message()));
        return pos == data.size() ? ParseResult::ok() : ParseResult::need_more(uint32_t(pos));
      }
      if (r.status == RespReader::Status::Error) {
        Anomaly a = reader.problem() == RespReader::Problem::LineTooLong ? kLineTooLong
                    : reader.problem() == RespReader::Problem::TooDeep   ? kTooDeep
                                                                         : kBadMessage;
        context_.anomaly(a, out, reader.error());
        return ParseResult::error();
      }
      if (dir == Dir::ToServer) {
        command(reader.message(), out);
        context_.hold(dir, false);
      } else {
        reply(reader.message(), out);
      }
    }
  }

  void on_gap(Dir, uint64_t, EventSink& out) override {
    // Commands or replies were lost: the pairing can no longer be trusted.
    flush_unknown(out);
    lost_ = true;
  }

  void on_close(EventSink& out) override { flush_unknown(out); }

 private:
  struct Pending {
    enum Kind : uint8_t { Other, Auth, Subscribe, Exec, Discard } kind = Other;
    uint64_t count = 1;  // Other: commands in a row; Subscribe: confirmations still due
    AuthAttempt attempt;
    bool hello = false;
    bool queued = false;       // sent inside MULTI: +QUEUED now, the outcome in EXEC's reply
    uint64_t queue_index = 0;  // its place among the transaction's queued commands
  };
  // An AUTH/HELLO the server queued; EXEC's reply array holds its result at `index`.
  struct Queued {
    uint64_t index;
    Pending pending;
  };

  void command(const RespMessage& m, EventSink& out) {
    if (m.items == 0) return;
    std::string_view name = m.item[0];
    // CLIENT REPLY OFF|SKIP silence the server (the command itself included).
    if (iequals(name, "CLIENT") && m.items >= 3 && iequals(m.item[1], "REPLY")) {
      if (iequals(m.item[2], "OFF")) {
        replies_off_ = true;
        return;
      }
      if (iequals(m.item[2], "SKIP")) {
        skip_next_ = true;
        return;
      }
      if (iequals(m.item[2], "ON")) replies_off_ = skip_next_ = false;
    }
    bool silent = replies_off_ || skip_next_;
    skip_next_ = false;
    Pending p;
    // MULTI ... EXEC: commands between are queued (answered +QUEUED) and run by EXEC.
    bool queued = false;
    if (iequals(name, "MULTI")) {
      multi_ = true;
      queued_count_ = 0;
    } else if (iequals(name, "EXEC") || iequals(name, "DISCARD")) {
      if (multi_) p.kind = iequals(name, "EXEC") ? Pending::Exec : Pending::Discard;
      multi_ = false;
    } else if (multi_ && !iequals(name, "WATCH")) {
      queued = true;
    }
    if (iequals(name, "AUTH") && (m.count == 2 || m.count == 3)) {
      p.kind = Pending::Auth;
      p.attempt.mechanism = "AUTH";
      // One argument is the password of the user named "default" (Redis 6 ACLs; before
      // ACLs, the requirepass password, which is the same thing).
      p.attempt.user = m.count == 3 ? text(m.item[1]) : "default";
      p.attempt.password = text(m.count == 3 ? m.item[2] : m.item[1]);
      context_.secret(Dir::ToServer, m.count == 3 ? m.item[2] : m.item[1]);
    } else if (iequals(name, "HELLO")) {
      // HELLO protover [AUTH username password] [SETNAME clientname], options in any order.
      for (size_t i = 2; i < m.items;) {
        if (iequals(m.item[i], "SETNAME")) {
          i += 2;
        } else if (iequals(m.item[i], "AUTH") && i + 2 < m.items) {
          p.kind = Pending::Auth;
          p.hello = true;
          p.attempt.mechanism = "HELLO AUTH";
          p.attempt.user = text(m.item[i + 1]);
          p.attempt.password = text(m.item[i + 2]);
          context_.secret(Dir::ToServer, m.item[i + 2]);
          break;
        } else {
          ++i;
        }
      }
    } else if (is_subscribe(name)) {
      p.kind = Pending::Subscribe;
      p.count = std::max<uint64_t>(1, m.count - 1);
    }
    if (p.kind == Pending::Auth) p.attempt.ts = context_.flow->now;
    if (queued) {
      p.queued = p.kind == Pending::Auth;
      p.queue_index = queued_count_++;
    }
    if (silent) {
      if (p.kind == Pending::Auth) emit(p.attempt, out);  // no reply will come: unknown
      return;
    }
    if (p.kind == Pending::Other && !pending_.empty() && pending_.back().kind == Pending::Other) {
      ++pending_.back().count;
      return;
    }
    if (pending_.size() >= kMaxPending) {
      // The client runs far ahead of the server: report what waits as unknown and keep
      // only the number of replies due, so later pairing stays right.
      context_.anomaly(kTooManyPending, out);
      uint64_t due = 0;
      for (Pending& q : pending_) {
        if (q.kind == Pending::Auth) emit(q.attempt, out);
        due += q.count;
      }
      pending_.clear();
      pending_.push_back(Pending{});
      pending_.back().count = due;
      if (p.kind == Pending::Other) {
        ++pending_.back().count;
        return;
      }
    }
    pending_.push_back(std::move(p));
  }

  void reply(const RespMessage& m, EventSink& out) {
    bool pubsub_shape = (m.type == '*' || m.type == '>') && m.items >= 1;
    std::string_view kind = pubsub_shape ? std::string_view(m.item[0]) : std::string_view();
    if (pubsub_shape && is_subscribe(kind)) {
      // A (un)subscribe confirmation: one per channel of the command that asked for it;
      // an UNSUBSCRIBE of everything yields as many as there were channels.
      if (!pending_.empty() && pending_.front().kind == Pending::Subscribe) {
        if (--pending_.front().count == 0) pending_.pop_front();
      }
      return;
    }
    if (m.type == '>') return;  // RESP3 push: out of band, never a reply
    if (pubsub_shape &&
        (iequals(kind, "message") || iequals(kind, "pmessage") || iequals(kind, "smessage"))) {
      return;  // a published message (RESP2 subscribed mode)
    }
    if (pending_.empty()) {
      if (!unexpected_reported_) context_.anomaly(kUnexpectedReply, out);
      unexpected_reported_ = true;
      return;
    }
    Pending& p = pending_.front();
    if (p.kind == Pending::Auth && p.queued) {
      // Queued: the outcome comes with EXEC. A refusal now (bad arity) aborts EXEC.
      bool accepted = m.type == '+' && iequals(m.text, "QUEUED");
      if (accepted && queued_.size() < kMaxPending) {
        queued_.push_back({p.queue_index, std::move(p)});
      } else {
        settle(p, m);
        emit(p.attempt, out);
      }
      pending_.pop_front();
    } else if (p.kind == Pending::Auth) {
      settle(p, m);
      emit(p.attempt, out);
      pending_.pop_front();
    } else if (p.kind == Pending::Exec || p.kind == Pending::Discard) {
      exec_reply(p.kind == Pending::Exec, m, out);
      pending_.pop_front();
    } else if (p.kind == Pending::Subscribe || --p.count == 0) {
      pending_.pop_front();
    }
  }

  // EXEC ran the queued commands: its array holds each one's reply in order. Anything
  // else (an -EXECABORT error, a null array when a WATCHed key changed, DISCARD) means
  // the queued logins never ran: reported unknown, with the server's reason.
  void exec_reply(bool exec, const RespMessage& m, EventSink& out) {
    // A null array (*-1) reads as an empty one: with logins queued, EXEC ran nothing.
    bool ran = exec && (m.type == '*' || m.type == '~') && m.count > 0;
    for (Queued& q : queued_) {
      AuthAttempt& a = q.pending.attempt;
      size_t at = m.items;
      if (ran) {
        for (size_t i = 0; i < m.items; ++i) {
          if (m.item_element[i] == q.index) at = i;
        }
      }
      if (ran && at < m.items) {
        RespMessage one;
        one.type = m.item_type[at];
        one.text = m.item[at];
        settle(q.pending, one);
      } else if (!ran) {
        a.reason = exec ? (m.type == '-' ? text(m.text) : std::string("transaction not run"))
                        : std::string("transaction discarded");
      }
      emit(a, out);
    }
    queued_.clear();
  }

  static void settle(Pending& p, const RespMessage& m) {
    AuthAttempt& a = p.attempt;
    if (m.type == '-' || m.type == '!') {
      std::string_view error = without_arguments(m.text);
      a.reason = text(error);
      if (std::string why = not_checked(p.hello, error); !why.empty()) {
        a.result = AuthResult::Unknown;  // refused before the credential was looked at
        a.reason = why + ": " + a.reason;
      } else {
        a.result = AuthResult::Failure;
      }
    } else if (!p.hello && m.type == '+' && m.text == "OK") {
      a.result = AuthResult::Success;
    } else if (p.hello && (m.type == '%' || m.type == '*')) {
      a.result = AuthResult::Success;  // HELLO answers with the server's properties
    } else {
      a.reason = text(m.text);  // an answer of no known shape: outcome unknown
    }
  }

  void emit(const AuthAttempt& a, EventSink& out) {
    out.emit(make_auth_event(context_, "redis", a));
  }

  void flush_unknown(EventSink& out) {
    for (Queued& q : queued_) emit(q.pending.attempt, out);
    queued_.clear();
    for (Pending& p : pending_) {
      if (p.kind == Pending::Auth) emit(p.attempt, out);
    }
    pending_.clear();
  }

  AnalyzerContext context_;
  RespReader client_{true}, server_{false};
  std::deque<Pending> pending_;
  std::vector<Queued> queued_;  // logins inside MULTI waiting for EXEC
  bool multi_ = false;          // the client opened a transaction
  uint64_t queued_count_ = 0;   // commands queued in it so far
  bool replies_off_ = false, skip_next_ = false;
  bool unexpected_reported_ = false;
  bool lost_ = false;
};

std::unique_ptr<Analyzer> make_redis(const AnalyzerContext& context) {
  return std::make_unique<RedisAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kRedisAnalyzer = {"redis",     Transport::Tcp, kRedisPorts,
                                     probe_redis, make_redis,     kAnomalies};

}  // namespace netsift
