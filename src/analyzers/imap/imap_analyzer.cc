#include "analyzers/imap/imap_analyzer.h"

#include <algorithm>
#include <array>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "analyzers/auth_event.h"
#include "analyzers/textproto/line_reader.h"
#include "analyzers/textproto/login.h"
#include "analyzers/textproto/probe.h"
#include "analyzers/textproto/sasl.h"
#include "analyzers/textproto/text.h"

namespace netsift {
namespace {

namespace tp = textproto;

// 993 is IMAP over TLS from the first byte: nothing to read there.
constexpr uint16_t kImapPorts[] = {143};

enum Anomaly : size_t { kLineTooLong, kBadResponse, kBadCommand, kBadSasl };
constexpr std::string_view kAnomalies[] = {"imap.line_too_long", "imap.bad_response",
                                           "imap.bad_command", "imap.bad_sasl"};

// Under the engine's 64 KiB tail: an over-long line is skipped, not buffered.
constexpr size_t kMaxLine = 32768;
constexpr size_t kMaxField = 256;
constexpr size_t kMaxLiteralKept = 1024;  // LOGIN arguments kept; longer ones are cut
constexpr int kMaxBadLines = 8;
constexpr size_t kMaxInFlight = 64;  // logins awaiting their tagged answers

// tag = 1*<ASTRING-CHAR except "+"> (RFC 3501 9): no controls, spaces or list/quote
// specials; "*" and "+" open server lines, never client ones.
bool is_tag(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  for (char c : t) {
    if (c <= ' ' || c >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' ||
        c == '"' || c == '\\' || c == '+')
      return false;
  }
  return true;
}

// "tag WORD rest": a command (WORD is the verb) or a tagged answer (WORD is the status).
struct Tagged {
  std::string_view tag, word, rest;
};
Tagged split_tagged(std::string_view line) {
  Tagged t;
  std::string_view after_tag;
  t.tag = tp::first_word(line, after_tag);
  t.word = tp::first_word(after_tag, t.rest);
  return t;
}

bool is_status(std::string_view word) {
  return tp::iequals(word, "OK") || tp::iequals(word, "NO") || tp::iequals(word, "BAD");
}

// "tag OK|NO|BAD", the status word whole: something follows it, or `line` is whole.
bool tagged_status(std::string_view line, bool whole_line) {
  auto [tag, status, text] = split_tagged(line);
  return is_tag(tag) && (whole_line || status.data() + status.size() < line.data() + line.size()) &&
         is_status(status);
}

// A line only a command starts with (LineReader's test after a gap): "tag VERB".
bool starts_command(std::string_view line) {
  std::string_view rest;
  return is_tag(tp::first_word(line, rest)) && tp::looks_like_command(rest);
}

// A line only a server response starts with (LineReader's test after a gap).
bool starts_response(std::string_view line) {
  return line.starts_with("* ") || line == "+" || line.starts_with("+ ") ||
         tagged_status(line, true);
}

// A literal announced at the end of a line: "{n}" or "{n+}" (LITERAL+), "~{n}" (BINARY).
std::optional<uint64_t> trailing_literal(std::string_view line, std::string_view& before) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  size_t open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view n = line.substr(open + 1, line.size() - open - 2);
  if (!n.empty() && n.back() == '+') n.remove_suffix(1);
  if (n.empty() || n.size() > 12 || n.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  before = line.substr(0, open > 0 && line[open - 1] == '~' ? open - 1 : open);
  return tp::parse_count(n, uint64_t(1) << 40);
}

bool imap_command(std::string_view word) {
  for (std::string_view c : {"CAPABILITY", "LOGIN", "AUTHENTICATE", "STARTTLS", "NOOP", "ID",
                             "LOGOUT", "ENABLE", "SELECT", "EXAMINE", "LIST", "LSUB", "STATUS",
                             "COMPRESS", "NAMESPACE", "UID", "FETCH", "IDLE"}) {
    if (tp::iequals(word, c)) return true;
  }
  return false;
}

Confidence probe_imap(Dir dir, ByteView first) {
  std::string_view s = as_chars(first);
  if (dir == Dir::ToServer) {
    size_t eol = s.find('\n');
    std::string_view line = s.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view rest;
    std::string_view tag = tp::first_word(line, rest);
    if (eol == std::string_view::npos) {
      // Still a plausible "tag command" in the making?
      if (s.size() > 80) return Confidence::No;
      if (rest.empty() && s.find(' ') == std::string_view::npos)
        return tag.empty() || is_tag(tag) ? Confidence::Maybe : Confidence::No;
      return is_tag(tag) ? Confidence::Maybe : Confidence::No;
    }
    std::string_view args;
    std::string_view word = tp::first_word(rest, args);
    // SMTP's and POP3's "AUTH LOGIN" reads as tag AUTH, command LOGIN: the server decides.
    if (tp::iequals(tag, "AUTH") && imap_command(word)) return Confidence::Maybe;
    return is_tag(tag) && imap_command(word) ? Confidence::Yes : Confidence::No;
  }
  // "* OK" / "* PREAUTH" greets; it names IMAP4 more often than not.
  size_t eol = s.find('\n');
  if (eol == std::string_view::npos) return tp::prefix_of_any(s, {"* OK", "* PREAUTH"});
  std::string_view line = s.substr(0, eol);
  if (!tp::istarts_with(line, "* OK") && !tp::istarts_with(line, "* PREAUTH"))
    return Confidence::No;
  for (size_t i = 0; i + 5 <= line.size(); ++i) {
    if (tp::istarts_with(line.substr(i), "IMAP4")) return Confidence::Yes;
  }
  return Confidence::Maybe;
}

class ImapAnalyzer final : public Analyzer {
 public:
  explicit ImapAnalyzer(const AnalyzerContext& context)
      : context_(context),
        lines_{tp::LineReader(kMaxLine, starts_command),
               tp::LineReader(kMaxLine, starts_response)} {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    Side& side = sides_[size_t(dir)];
    size_t pos = 0;
    while (pos < data.size()) {
      if (side.literal_left) {
        size_t n = size_t(std::min<uint64_t>(side.literal_left, data.size() - pos));
        // LOGIN's second argument is the password.
        if (dir == Dir::ToServer && collecting_ && !args_.empty())
          context_.secret(dir, data.subspan(pos, n));
        if (dir == Dir::ToServer && collecting_ && literal_.size() < kMaxLiteralKept) {
          literal_.append(
              as_chars(data.subspan(pos, std::min(n, kMaxLiteralKept - literal_.size()))));
        }
        side.literal_left -= n;
        pos += n;
        if (!side.literal_left && dir == Dir::ToServer && collecting_) {
          args_.push_back(tp::wire_text(literal_, kMaxField));
          literal_.clear();
        }
        continue;
      }
      std::string_view line;
      switch (lines_[size_t(dir)].next(data, pos, line)) {
        case tp::LineReader::Status::NeedMore:
          return ParseResult::need_more(uint32_t(pos));
        case tp::LineReader::Status::TooLong:
          context_.anomaly(kLineTooLong, out, dir == Dir::ToServer ? "command" : "response");
          side.continued = false;
          collecting_ = false;
          continue;
        case tp::LineReader::Status::Line:
          break;
      }
      bool ok = dir == Dir::ToServer ? client_line(line, out) : server_line(line, out);
      if (!ok) return ParseResult::error();
      if (tls_) return ParseResult::done();  // the rest is TLS
    }
    return ParseResult::ok();
  }

  void on_gap(Dir dir, uint64_t, EventSink& out) override {
    // A tagged answer the hole cut still has its tag and status (a capture cut by its
    // snap length loses the end of every long line, and "a1 OK [CAPABILITY ...]" is).
    std::string cut = lines_[size_t(dir)].cut_by_gap();
    if (dir == Dir::ToClient && !sides_[1].continued && sides_[1].literal_left == 0 &&
        tagged_status(cut, false))
      server_line(cut, out);
    bool line_start = !sides_[size_t(dir)].continued && sides_[size_t(dir)].literal_left == 0;
    sides_[size_t(dir)] = Side();
    if (dir == Dir::ToServer) {
      collecting_ = false;
      if (auth_wants_response_) {
        auth_wants_response_ = false;
        sasl_.lost_response();
        attempt_sent_ = true;
      } else if (line_start && !cut.empty()) {
        cut_login(cut, out);
      }
    }
  }

  // A LOGIN or AUTHENTICATE whose line a hole cut: the attempt (its tag, the user or
  // mechanism when whole) still waits for its tagged answer; nothing cut is reported.
  void cut_login(std::string_view line, EventSink& out) {
    auto [tag, verb, args] = split_tagged(line);
    if (!is_tag(tag) || args.empty()) return;  // the verb itself may be cut
    if (tp::iequals(verb, "LOGIN")) {
      begin(tag, out);
      login_ = true;
      args_.clear();
      parse_args(args);
      args_.resize(args_.size() > 1 ? 1 : 0);  // the user, when the password followed it
      attempt_sent_ = true;
    } else if (tp::iequals(verb, "AUTHENTICATE")) {
      std::string_view initial;
      std::string_view mech = tp::first_word(args, initial);
      if (mech.data() + mech.size() == line.data() + line.size()) return;  // maybe cut
      begin(tag, out);
      login_ = false;
      sasl_.start(mech,
                  tp::trim(initial).empty() ? std::nullopt : std::optional<std::string_view>("="));
      attempt_sent_ = true;
    }
  }

  void on_close(EventSink& out) override {
    for (InFlight& f : in_flight_) finish(f.login, AuthResult::Unknown, {}, out);
    in_flight_.clear();
    if (!auth_tag_.empty() && attempt_sent_) emit(AuthResult::Unknown, {}, out);
  }

 private:
  struct Side {
    uint64_t literal_left = 0;  // literal bytes still to come
    bool continued = false;     // the next line goes on with the same command/response
  };

  bool client_line(std::string_view line, EventSink& out) {
    Side& side = sides_[0];
    if (side.continued) {
      // The rest of a command after a literal.
      side.continued = false;
      return command_args(line, out);
    }
    if (auth_wants_response_) {
      auth_wants_response_ = false;
      sasl_steps_.response(sasl_, line, out);
      attempt_sent_ = true;
      return true;
    }
    auto [tag, verb, args] = split_tagged(line);
    if (!is_tag(tag) || verb.empty()) {
      context_.anomaly(kBadCommand, out);
      return ++bad_lines_ <= kMaxBadLines;
    }
    bad_lines_ = 0;
    collecting_ = false;
    if (tp::iequals(verb, "LOGIN")) {
      begin(tag, out);
      login_ = true;
      collecting_ = true;
      args_.clear();
      return command_args(args, out);
    }
    if (tp::iequals(verb, "AUTHENTICATE")) {
      begin(tag, out);
      login_ = false;
      std::string_view initial;
      std::string_view mech = tp::first_word(args, initial);
      attempt_sent_ = sasl_steps_.start(sasl_, mech, initial, out);
      return true;
    }
    if (tp::iequals(verb, "STARTTLS")) starttls_tag_.assign(tag.substr(0, 64));
    return command_args(args, out);  // only for literals to skip
  }

  // Arguments of the current command: collected for LOGIN (atoms, quoted strings,
  // literals), otherwise only their literals are skipped.
  bool command_args(std::string_view text, EventSink& out) {
    std::string_view before = text;
    auto literal = trailing_literal(text, before);
    if (collecting_) parse_args(literal ? before : text);
    if (literal) {
      sides_[0].literal_left = *literal;
      sides_[0].continued = true;
      literal_.clear();
      if (!*literal && collecting_) args_.emplace_back();
      return true;
    }
    if (collecting_) {
      collecting_ = false;
      attempt_sent_ = true;
    }
    return true;
  }

  void parse_args(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && args_.size() < 4) {
      if (s[i] == ' ') {
        ++i;
        continue;
      }
      std::string value;
      size_t start = i;
      if (s[i] == '"') {
        for (++i; i < s.size() && s[i] != '"'; ++i) {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          if (value.size() < kMaxField) value += s[i];
        }
        ++i;  // closing quote
      } else {
        size_t end = s.find(' ', i);
        if (end == std::string_view::npos) end = s.size();
        value.assign(s.substr(i, std::min(end - i, kMaxField)));
        i = end;
      }
      // LOGIN's second argument is the password.
      if (args_.size() == 1)
        context_.secret(Dir::ToServer, s.substr(start, std::min(i, s.size()) - start));
      args_.push_back(tp::wire_text(value, kMaxField));
    }
  }

  void begin(std::string_view tag, EventSink& out) {
    if (!auth_tag_.empty() && attempt_sent_) {
      // Another login while this one awaits its tagged answer (several tags in flight,
      // RFC 9051 5.5): kept with its tag until the answer comes.
      if (in_flight_.size() == kMaxInFlight) {
        finish(in_flight_.front().login, AuthResult::Unknown, {}, out);
        in_flight_.pop_front();
      }
      in_flight_.push_back({auth_tag_, current()});
    }
    auth_tag_.assign(tag.substr(0, 64));
    attempt_sent_ = false;
    auth_wants_response_ = false;
    ts_ = context_.flow->now;
  }

  bool server_line(std::string_view line, EventSink& out) {
    Side& side = sides_[1];
    std::string_view before;
    bool was_continued = side.continued;
    if (auto literal = trailing_literal(line, before)) {
      // FETCH and friends send message data as literals: skip them by count.
      side.literal_left = *literal;
      side.continued = true;
    } else {
      side.continued = false;
    }
    if (was_continued) return true;
    if (line.starts_with("* ")) {
      greeted_ = true;
      return true;
    }
    if (line.starts_with("+")) {
      if (!auth_tag_.empty() && !login_) {
        // "+ challenge" for AUTHENTICATE; for LOGIN it only invites a literal.
        sasl_steps_.challenge(sasl_, line.substr(1), out);
        auth_wants_response_ = true;
      }
      return true;
    }
    // Named copies, not a structured binding: the lambdas below use them, which clang 14
    // (the fuzz build's compiler) does not allow of a binding.
    const Tagged tagged = split_tagged(line);
    const std::string_view tag = tagged.tag, status = tagged.word, text = tagged.rest;
    bool ok = tp::iequals(status, "OK");
    if (!is_tag(tag) || !is_status(status)) {
      context_.anomaly(kBadResponse, out);
      return ++bad_lines_ <= kMaxBadLines;
    }
    bad_lines_ = 0;
    auto reason = [&] {
      std::string r(status);  // "NO [AUTHENTICATIONFAILED] Authentication failed."
      for (char& c : r) c = char(c >= 'a' && c <= 'z' ? c - 32 : c);
      if (!text.empty()) r.append(" ").append(tp::wire_text(text, 200));
      return r;
    };
    auto earlier = std::find_if(in_flight_.begin(), in_flight_.end(),
                                [&](const InFlight& f) { return f.tag == tag; });
    if (earlier != in_flight_.end()) {
      finish(earlier->login, ok ? AuthResult::Success : AuthResult::Failure, reason(), out);
      in_flight_.erase(earlier);
    } else if (!auth_tag_.empty() && tag == auth_tag_) {
      attempt_sent_ = true;
      emit(ok ? AuthResult::Success : AuthResult::Failure, reason(), out);
    } else if (!starttls_tag_.empty() && tag == starttls_tag_) {
      starttls_tag_.clear();
      if (ok) {
        tls_ = true;
        if (!logged_in_) tp::emit_encrypted_login(context_, "imap", out);
      }
    }
    return true;
  }

  // The open attempt as the client sent it.
  AuthAttempt current() const {
    AuthAttempt a;
    if (login_) {
      a.mechanism = "LOGIN";
      if (!args_.empty()) a.user = args_[0];
      if (args_.size() > 1) a.password = args_[1];
    } else {
      sasl_.fill(a);
    }
    a.ts = ts_;
    return a;
  }

  void finish(AuthAttempt& a, AuthResult result, std::string reason, EventSink& out) {
    a.result = result;
    a.reason = std::move(reason);
    out.emit(make_auth_event(context_, "imap", a));
    if (result == AuthResult::Success) logged_in_ = true;
  }

  void emit(AuthResult result, std::string reason, EventSink& out) {
    // AUTHENTICATE refused before the client sent anything (a mechanism the server does
    // not offer, as nmap's imap-ntlm-info asks for): no login was tried.
    if (login_ || result != AuthResult::Failure || !sasl_.nothing_sent()) {
      AuthAttempt a = current();
      finish(a, result, std::move(reason), out);
    }
    auth_tag_.clear();
    attempt_sent_ = false;
    auth_wants_response_ = false;
    collecting_ = false;
  }

  AnalyzerContext context_;
  tp::SaslSteps sasl_steps_{context_, kBadSasl};
  std::array<tp::LineReader, 2> lines_;
  std::array<Side, 2> sides_;
  tp::SaslExchange sasl_;
  std::string auth_tag_, starttls_tag_;
  // Earlier logins awaiting their tagged answers while a newer one is open, oldest first.
  struct InFlight {
    std::string tag;
    AuthAttempt login;
  };
  std::deque<InFlight> in_flight_;
  bool login_ = false;         // the open attempt is LOGIN (else AUTHENTICATE)
  bool collecting_ = false;    // LOGIN arguments being read
  bool attempt_sent_ = false;  // the client has sent what it logs in with
  bool auth_wants_response_ = false;
  std::vector<std::string> args_;
  std::string literal_;
  TimestampNs ts_ = 0;
  bool greeted_ = false;
  bool logged_in_ = false;
  bool tls_ = false;
  int bad_lines_ = 0;
};

std::unique_ptr<Analyzer> make_imap(const AnalyzerContext& context) {
  return std::make_unique<ImapAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kImapAnalyzer = {"imap",     Transport::Tcp, kImapPorts,
                                    probe_imap, make_imap,      kAnomalies};

}  // namespace netsift
