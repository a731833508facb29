#include "analyzers/pop3/pop3_analyzer.h"

#include <array>
#include <string>

#include "analyzers/auth_event.h"
#include "analyzers/textproto/attempt_log.h"
#include "analyzers/textproto/command_queue.h"
#include "analyzers/textproto/line_reader.h"
#include "analyzers/textproto/login.h"
#include "analyzers/textproto/probe.h"
#include "analyzers/textproto/sasl.h"
#include "analyzers/textproto/text.h"

namespace netsift {
namespace {

namespace tp = textproto;

// 995 is POP3 over TLS from the first byte: nothing to read there.
constexpr uint16_t kPop3Ports[] = {110};

enum Anomaly : size_t { kLineTooLong, kBadResponse, kTooManyPending, kBadSasl };
constexpr std::string_view kAnomalies[] = {"pop3.line_too_long", "pop3.bad_response",
                                           "pop3.too_many_pending", "pop3.bad_sasl"};

constexpr size_t kMaxLine = 16384;
constexpr size_t kMaxField = 256;
constexpr int kMaxBadResponses = 8;

bool is_ok(std::string_view line) {
  return line.starts_with("+OK") && (line.size() == 3 || line[3] == ' ');
}
bool is_err(std::string_view line) {
  return line.starts_with("-ERR") && (line.size() == 4 || line[4] == ' ');
}

// A line only an answer starts with: a status, or a SASL challenge ("+ ...", RFC 5034).
bool starts_answer(std::string_view line) {
  return is_ok(line) || is_err(line) || line == "+" || line.starts_with("+ ");
}

Confidence probe_pop3(Dir dir, ByteView first) {
  std::string_view s = as_chars(first);
  if (dir == Dir::ToServer) {
    auto command = [](std::string_view line, size_t) {
      for (std::string_view w : {"CAPA", "STLS", "APOP", "STAT", "UIDL"}) {
        if (tp::word_is(line, w)) return Confidence::Yes;
      }
      // USER and PASS are FTP's too; AUTH also SMTP's (after EHLO, though).
      for (std::string_view w : {"USER", "PASS", "AUTH"}) {
        if (tp::word_is(line, w)) return Confidence::Maybe;
      }
      return Confidence::No;
    };
    return tp::probe_lines(s, {"CAPA", "STLS", "APOP ", "USER ", "AUTH "}, 4, command);
  }
  // "+OK text" greets; an answer after it (+OK, -ERR, or a SASL "+ " challenge) makes
  // sure it is no Redis "+OK" reply.
  return tp::probe_lines(s, {"+OK "}, 2, [](std::string_view line, size_t n) {
    if (n == 0) return line.starts_with("+OK ") ? Confidence::Maybe : Confidence::No;
    return line.starts_with("+") || is_err(line) ? Confidence::Yes : Confidence::No;
  });
}

enum class Cmd : uint8_t { User, Pass, Apop, Auth, Stls, Multi, Single };
// The commands of a login attempt (the others belong to none).
bool of_login(Cmd c) {
  return c == Cmd::User || c == Cmd::Pass || c == Cmd::Apop || c == Cmd::Auth;
}
enum class Mode : uint8_t { User, Apop, Sasl };

// A command awaiting its answer, with the login attempt it belongs to.
struct Pending {
  Cmd cmd = Cmd::Single;
  uint64_t attempt = 0;  // the attempt's sequence number
};

// One login (USER/PASS, APOP or AUTH). Clients may pipeline (RFC 2449 PIPELINING), so
// each queued command names its attempt and each attempt gets its own answer.
struct Attempt {
  Mode mode = Mode::User;
  AuthAttempt login;  // what the client sent (SASL: filled when it is answered)
  TimestampNs ts = 0;
  uint32_t pending = 0;    // its commands still unanswered
  bool sent = false;       // the password/digest/AUTH that decides has been sent
  bool sasl_live = false;  // its exchange is the one in sasl_
  bool resolved = false;
};

// The APOP challenge: the "<...>" message id in the greeting (RFC 1939 7).
std::string apop_challenge(std::string_view greeting) {
  size_t lt = greeting.find('<');
  size_t gt = lt == std::string_view::npos ? lt : greeting.find('>', lt);
  if (gt == std::string_view::npos) return {};
  return std::string(greeting.substr(lt, std::min<size_t>(gt - lt + 1, 512)));
}

class Pop3Analyzer final : public Analyzer {
 public:
  explicit Pop3Analyzer(const AnalyzerContext& context)
      : context_(context),
        lines_{tp::LineReader(kMaxLine, tp::looks_like_command),
               tp::LineReader(kMaxLine, starts_answer)} {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    size_t pos = 0;
    while (pos < data.size()) {
      std::string_view line;
      switch (lines_[size_t(dir)].next(data, pos, line)) {
        case tp::LineReader::Status::NeedMore:
          return ParseResult::need_more(uint32_t(pos));
        case tp::LineReader::Status::TooLong:
          // A long line inside a message being listed is fine; elsewhere it is odd.
          if (!in_multiline_ || dir == Dir::ToServer) context_.anomaly(kLineTooLong, out);
          // A skipped command is still answered: keep the queue in step with the answers.
          if (dir == Dir::ToServer) {
            if (auth_wants_response_) {
              auth_wants_response_ = false;
            } else if (!pending_.push({})) {
              return ParseResult::error();
            }
          }
          continue;
        case tp::LineReader::Status::Line:
          break;
      }
      bool ok = dir == Dir::ToServer ? command(line, out) : response(line, out);
      if (!ok) return ParseResult::error();
      if (tls_) return ParseResult::done();  // the rest is TLS
    }
    return ParseResult::ok();
  }

  void on_gap(Dir dir, uint64_t, EventSink& out) override {
    // The line the hole cut still has its verb or status (a capture cut by its snap
    // length loses the end of every long line).
    std::string cut = lines_[size_t(dir)].cut_by_gap();
    if (dir == Dir::ToServer) {
      if (auth_wants_response_) {
        auth_wants_response_ = false;
        sasl_.lost_response();  // the SASL answer (or its end) was lost
      } else if (!cut.empty()) {
        command(tp::cut_command(cut), out, /*cut=*/true);
      }
      return;
    }
    if (!in_multiline_ && (is_ok(cut) || is_err(cut))) {
      response(cut, out);
    } else if (!in_multiline_ && starts_answer(cut)) {
      response("+", out);  // a SASL challenge, not to be used cut
    }
    // Answers may have been lost whole (a multi-line one's end too): the commands still
    // waiting may never see theirs. The client's next command tells (it waits for the
    // answers first).
    unsure_ = pending_.size();
    unsure_multiline_ = in_multiline_;
  }

  void on_close(EventSink& out) override {
    for (Attempt& a : attempts_) {
      if (!a.resolved && a.pending && a.sent) emit(a, AuthResult::Unknown, {}, out);
    }
  }

 private:
  // Commands that were waiting when answers were lost in a gap and are still waiting
  // when the client goes on: their answers were in the gap (outcome unknown).
  void drop_unanswered(EventSink& out) {
    if (unsure_multiline_) in_multiline_ = false;
    for (; unsure_ > 0 && !pending_.empty(); --unsure_) {
      Pending p = pending_.front();
      pending_.pop();
      Attempt* a = of_login(p.cmd) ? attempts_.answered(p.attempt) : nullptr;
      if (!a) continue;
      if (p.cmd != Cmd::User && !a->resolved) emit(*a, AuthResult::Unknown, {}, out);
    }
    unsure_ = 0;
    unsure_multiline_ = false;
    attempts_.prune();
  }

  // `cut`: the line's end was lost in a gap (cut_command: its verb only).
  bool command(std::string_view line, EventSink& out, bool cut = false) {
    if ((unsure_ > 0 || unsure_multiline_) && !auth_wants_response_) drop_unanswered(out);
    if (auth_wants_response_) {
      auth_wants_response_ = false;
      sasl_steps_.response(sasl_, line, out);
      return true;
    }
    std::string_view args;
    std::string_view verb = tp::first_word(line, args);
    Pending p;
    Attempt* attempt = nullptr;
    if (tp::iequals(verb, "USER")) {
      p.cmd = Cmd::User;
      attempt = &start(Mode::User);
      attempt->login.user = tp::wire_text(args, kMaxField);
      last_user_ = attempt->login.user;
    } else if (tp::iequals(verb, "PASS")) {
      p.cmd = Cmd::Pass;
      if (attempts_.empty() || attempts_.back().mode != Mode::User || attempts_.back().sent ||
          attempts_.back().resolved) {
        // No USER of its own just before: the last name given, if any.
        start(Mode::User).login.user = last_user_;
      }
      attempt = &attempts_.back();
      if (cut) {
        attempt->login.password.reset();  // only its start was captured
      } else {
        attempt->login.password =
            tp::wire_text(line.size() > 5 ? line.substr(5) : std::string_view(), kMaxField);
      }
      if (line.size() > 5) context_.secret(Dir::ToServer, line.substr(5));
      attempt->sent = true;
      attempt->ts = context_.flow->now;
    } else if (tp::iequals(verb, "APOP")) {
      // "APOP name digest": the digest is MD5(challenge + password).
      p.cmd = Cmd::Apop;
      attempt = &start(Mode::Apop);
      std::string_view digest_arg;
      attempt->login.user = tp::wire_text(tp::first_word(args, digest_arg), kMaxField);
      std::string digest = tp::wire_text(tp::trim(digest_arg), 64);
      context_.secret(Dir::ToServer, digest_arg);
      attempt->login.credential.emplace_back("challenge", challenge_);
      attempt->login.credential.emplace_back("digest", digest);
      // hashcat -m 20, md5($salt.$pass): "digest:challenge".
      if (!challenge_.empty() && digest.size() == 32) {
        attempt->login.hash = digest + ":" + challenge_;
        attempt->login.hash_mode = 20;
      }
      attempt->sent = true;
    } else if (tp::iequals(verb, "AUTH")) {
      std::string_view initial;
      std::string_view mech = tp::first_word(args, initial);
      if (mech.empty()) {
        p.cmd = Cmd::Multi;  // "AUTH" alone lists the mechanisms (some servers)
      } else {
        p.cmd = Cmd::Auth;
        attempt = &start(Mode::Sasl);
        sasl_steps_.start(sasl_, mech, initial, out);
        attempt->sasl_live = true;
        attempt->sent = true;
      }
    } else if (tp::iequals(verb, "STLS")) {
      p.cmd = Cmd::Stls;
    } else if (tp::iequals(verb, "CAPA") || tp::iequals(verb, "RETR") || tp::iequals(verb, "TOP") ||
               ((tp::iequals(verb, "LIST") || tp::iequals(verb, "UIDL")) &&
                tp::trim(args).empty())) {
      p.cmd = Cmd::Multi;  // answered by +OK and lines up to "."
    }
    if (attempt) p.attempt = attempts_.tie_newest();
    if (!pending_.push(p)) {
      context_.anomaly(kTooManyPending, out);
      return false;
    }
    attempts_.prune();
    return true;
  }

  bool response(std::string_view line, EventSink& out) {
    if (in_multiline_) {
      if (line == ".") in_multiline_ = false;
      return true;
    }
    bool ok = is_ok(line), err = is_err(line);
    if (!ok && !err) {
      if (line.starts_with("+") && !pending_.empty() && pending_.front().cmd == Cmd::Auth) {
        // "+ challenge" (RFC 5034): the exchange goes on.
        sasl_steps_.challenge(sasl_, line.substr(1), out);
        auth_wants_response_ = true;
        return true;
      }
      context_.anomaly(kBadResponse, out);
      return ++bad_responses_ <= kMaxBadResponses;
    }
    bad_responses_ = 0;
    if (!greeted_ && pending_.empty()) {
      greeted_ = true;
      challenge_ = apop_challenge(line);
      context_.secret(Dir::ToClient, challenge_);  // half of an APOP credential
      return true;
    }
    greeted_ = true;
    if (pending_.empty()) return true;  // unsolicited
    Pending p = pending_.front();
    pending_.pop();
    if (unsure_ > 0) --unsure_;
    Attempt* a = of_login(p.cmd) ? attempts_.answered(p.attempt) : nullptr;
    // Built only for the answers that end an attempt.
    auto reason = [&] {
      std::string r(ok ? "+OK" : "-ERR");
      std::string_view text = tp::trim(line.substr(ok ? 3 : 4));
      if (!text.empty()) r.append(" ").append(tp::wire_text(text, 200));
      return r;
    };
    switch (p.cmd) {
      case Cmd::User:
        // -ERR to USER: the name is refused before any password (RFC 1939 7); with PASS
        // already sent, PASS's answer decides.
        if (err && a && !a->resolved && !a->sent) emit(*a, AuthResult::Failure, reason(), out);
        break;
      case Cmd::Pass:
      case Cmd::Apop:
      case Cmd::Auth:
        if (a && !a->resolved)
          emit(*a, ok ? AuthResult::Success : AuthResult::Failure, reason(), out);
        break;
      case Cmd::Stls:
        if (ok) {
          tls_ = true;
          if (!logged_in_) tp::emit_encrypted_login(context_, "pop3", out);
        }
        break;
      case Cmd::Multi:
        in_multiline_ = ok;
        break;
      case Cmd::Single:
        break;
    }
    attempts_.prune();
    return true;
  }

  // A new attempt; the SASL exchange a previous, unanswered one used is kept as it was.
  Attempt& start(Mode mode) {
    auth_wants_response_ = false;
    for (Attempt& a : attempts_) {
      if (a.sasl_live) {
        sasl_.fill(a.login);
        a.sasl_live = false;
      }
    }
    Attempt a;
    a.mode = mode;
    a.login.mechanism = mode == Mode::Apop ? "APOP" : "USER";
    a.ts = context_.flow->now;
    attempts_.push_back(std::move(a));
    return attempts_.back();
  }

  void emit(Attempt& attempt, AuthResult result, std::string reason, EventSink& out) {
    AuthAttempt& a = attempt.login;
    // AUTH refused before the client sent anything (a mechanism the server does not
    // offer, as nmap's pop3-ntlm-info asks for): no login was tried.
    const bool tried = !attempt.sasl_live || result != AuthResult::Failure || !sasl_.nothing_sent();
    if (attempt.sasl_live) {
      sasl_.fill(a);
      attempt.sasl_live = false;
    }
    a.result = result;
    a.reason = std::move(reason);
    a.ts = attempt.ts;
    if (tried) out.emit(make_auth_event(context_, "pop3", a));
    attempt.resolved = true;
    auth_wants_response_ = false;
    if (result == AuthResult::Success) logged_in_ = true;
  }

  AnalyzerContext context_;
  tp::SaslSteps sasl_steps_{context_, kBadSasl};
  std::array<tp::LineReader, 2> lines_;
  tp::CommandQueue<Pending, 128> pending_;
  tp::SaslExchange sasl_;
  // Attempts not yet answered, oldest first; bounded by the pending queue plus the latest.
  textproto::AttemptLog<Attempt> attempts_;
  std::string last_user_, challenge_;
  bool auth_wants_response_ = false;
  bool in_multiline_ = false;
  size_t unsure_ = 0;              // front commands waiting since answers were lost in a gap
  bool unsure_multiline_ = false;  // ... and a multi-line answer whose end may have been
  bool greeted_ = false;
  bool logged_in_ = false;
  bool tls_ = false;
  int bad_responses_ = 0;
};

std::unique_ptr<Analyzer> make_pop3(const AnalyzerContext& context) {
  return std::make_unique<Pop3Analyzer>(context);
}

}  // namespace

const AnalyzerSpec kPop3Analyzer = {"pop3",     Transport::Tcp, kPop3Ports,
                                    probe_pop3, make_pop3,      kAnomalies};

}  // namespace netsift
