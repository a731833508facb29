#include "analyzers/smtp/smtp_analyzer.h"

#include <array>
#include <deque>
#include <string>
#include <vector>

#include "analyzers/auth_event.h"
#include "analyzers/textproto/command_queue.h"
#include "analyzers/textproto/line_reader.h"
#include "analyzers/textproto/login.h"
#include "analyzers/textproto/probe.h"
#include "analyzers/textproto/reply.h"
#include "analyzers/textproto/sasl.h"
#include "analyzers/textproto/text.h"

namespace netsift {
namespace {

namespace tp = textproto;

// 465 is SMTP over TLS from the first byte: nothing to read there.
constexpr uint16_t kSmtpPorts[] = {25, 587};

enum Anomaly : size_t { kLineTooLong, kBadReply, kTooManyPending, kBadSasl };
constexpr std::string_view kAnomalies[] = {"smtp.line_too_long", "smtp.bad_reply",
                                           "smtp.too_many_pending", "smtp.bad_sasl"};

// RFC 4954 asks for 12288 octets per AUTH line; commands and replies are far shorter.
constexpr size_t kMaxLine = 16384;
constexpr size_t kMaxAddresses = 32;  // envelope addresses kept per session (all counted)
constexpr int kMaxBadReplies = 8;     // lines that are no reply before giving up
constexpr size_t kMaxOpenAuth = 64;   // pipelined AUTHs kept awaiting their replies
// Client lines held while an AUTH awaits its reply (they may be SASL responses); past
// this the client is taken to be pipelining commands.
constexpr size_t kMaxHeldLines = 64;
constexpr size_t kMaxHeldBytes = 32 * 1024;

// An RFC 3463 enhanced status code at the start of `text`, of the reply's class
// ("2.1.0" for a 250): class.subject.detail, one digit, then 1-3 and 1-3 digits.
bool enhanced_status(std::string_view text, uint16_t code) {
  if (text.size() < 5 || text[0] != char('0' + code / 100) || text[1] != '.') return false;
  size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    size_t start = i;
    while (i < text.size() && i - start < 3 && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return false;
    if (part == 0) {
      if (i == text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  return i == text.size() || text[i] == ' ';
}

Confidence probe_smtp(Dir dir, ByteView first) {
  std::string_view s = as_chars(first);
  if (dir == Dir::ToServer) {
    auto command = [](std::string_view line, size_t) {
      return tp::word_is(line, "EHLO") || tp::word_is(line, "HELO") ||
                     tp::istarts_with(line, "MAIL FROM:")
                 ? Confidence::Yes
                 : Confidence::No;
    };
    return tp::probe_lines(s, {"EHLO ", "HELO ", "EHLO\r", "HELO\r", "MAIL FROM:"}, 1, command);
  }
  // A "220" greeting could be FTP's as well: Maybe, unless the next reply is the 250 that
  // answers EHLO/HELO (an FTP server answers its client's USER with 331 or 230 instead).
  // A capture begun during AUTH starts at a "334 " challenge: base64 there (or nothing,
  // PLAIN's empty challenge) is SMTP's (an FTP 334 answers AUTH GSSAPI in words or with
  // "ADAT="). One begun later starts at any reply: with an enhanced status code (RFC
  // 3463: "250 2.1.0 Ok", "535 5.7.8 ...") it is SMTP's, which FTP replies never carry.
  if (s.find('\n') == std::string_view::npos) {
    // Any reply may still begin: three digits, then a space or a hyphen.
    for (size_t i = 0; i < s.size() && i < 4; ++i) {
      if (i < 3 ? s[i] < '0' || s[i] > '9' : s[i] != ' ' && s[i] != '-') return Confidence::No;
    }
    return Confidence::Maybe;
  }
  bool greeting_done = false;
  return tp::for_lines(s, 64, [&](std::string_view line, size_t n) {
    uint16_t code = tp::reply_code(line);
    if (n == 0 && code == 334) {
      if (line.size() < 4 || line[3] != ' ') return Confidence::No;
      std::string_view text = line.substr(4);
      return text.empty() || tp::base64_decode(text) ? Confidence::Yes : Confidence::No;
    }
    if (n == 0 && code != 0 && code != 220 && line.size() > 4 &&
        enhanced_status(line.substr(4), code))
      return Confidence::Yes;
    if (!greeting_done) {
      if (code != 220) return n == 0 ? Confidence::No : Confidence::Maybe;
      greeting_done = line.size() == 3 || line[3] == ' ';
      return Confidence::Maybe;
    }
    return code == 250 ? Confidence::Yes : Confidence::No;
  });
}

enum class Cmd : uint8_t { Helo, StartTls, Auth, Mail, Rcpt, Data, DataEnd, Bdat, BdatLast, Other };

class SmtpAnalyzer final : public Analyzer {
 public:
  explicit SmtpAnalyzer(const AnalyzerContext& context)
      : context_(context),
        lines_{
            tp::LineReader(kMaxLine, tp::looks_like_command),
            tp::LineReader(kMaxLine, [](std::string_view l) { return tp::reply_code(l) != 0; })} {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    if (tls_) return ParseResult::done();
    ParseResult r = dir == Dir::ToServer ? client(data, out) : server(data, out);
    return failed_ ? ParseResult::error() : r;
  }

  void on_gap(Dir dir, uint64_t length, EventSink& out) override {
    if (dir == Dir::ToServer && bdat_left_) {
      // Inside a BDAT chunk (read by count, not by line): counted through; lines resume
      // after it unless the hole went past its end.
      uint64_t n = std::min(bdat_left_, length);
      bdat_left_ -= n;
      if (n < length) lines_[0].resync();
      return;
    }
    if (dir == Dir::ToServer && in_data_) {
      // Inside a message: still in it, mid-line. Had the hole held its end, the server's
      // reply shows it (reply() with nothing pending).
      body_line_start_ = false;
      return;
    }
    // The line the hole cut still has its verb or reply code (a capture cut by its snap
    // length loses the end of every long line); the rest resynchronises at the next line.
    std::string cut = lines_[size_t(dir)].cut_by_gap();
    if (dir == Dir::ToServer) {
      if (auth_wants_response_) {
        // The SASL response was lost (or its end was).
        auth_wants_response_ = false;
        if (auths_dropped_ == 0 && !auths_.empty()) auths_.front().sasl.lost_response();
        return;
      }
      if (!cut.empty() && !client_line(tp::cut_command(cut), out)) failed_ = true;
      return;
    }
    if (cut.size() >= 4 && tp::reply_code(cut) != 0 &&
        replies_.feed(cut) == tp::ReplyReader::Status::Complete) {
      seen_ = true;
      tp::Reply r = replies_.reply();
      if (r.code == 334) r.text.clear();  // a SASL challenge, not to be used cut
      reply(r, out);
    }
    replies_.reset();
    // Replies may have been lost whole: the commands still waiting may never see theirs.
    // The client's next command tells (it waits for the replies of what it sent).
    unsure_ = pending_.size();
  }

  void on_close(EventSink& out) override {
    // Unanswered AUTHs, then what was held behind them read as commands (the envelope
    // counts), then any AUTH among those.
    while (!auths_.empty()) finish_auth(AuthResult::Unknown, {}, out);
    hold_off_ = true;
    release_held(out);
    while (!auths_.empty()) finish_auth(AuthResult::Unknown, {}, out);
    if (seen_) emit_session(out);
  }

 private:
  ParseResult client(ByteView data, EventSink& out) {
    size_t pos = 0;
    std::string_view s = as_chars(data);
    while (pos < s.size()) {
      if (bdat_left_) {
        pass_over(bdat_left_, pos, s.size());
        continue;
      }
      if (in_data_) {
        if (!skip_body(s, pos)) return ParseResult::need_more(uint32_t(pos));
        continue;
      }
      std::string_view line;
      switch (lines_[0].next(data, pos, line)) {
        case tp::LineReader::Status::NeedMore:
          return ParseResult::need_more(uint32_t(pos));
        case tp::LineReader::Status::TooLong:
          context_.anomaly(kLineTooLong, out, "client line");
          // Skipped, yet answered: keep the queue in step with the server's replies
          // (as an empty line, which is no command and no valid SASL response).
          if (!client_line({}, out)) return ParseResult::error();
          continue;
        case tp::LineReader::Status::Line:
          break;
      }
      if (!client_line(line, out)) return ParseResult::error();
    }
    return ParseResult::ok();
  }

  // DATA content up to the line holding a single "." (RFC 5321 4.5.2). False when the
  // rest might be the start of that line: it is kept for the next call.
  bool skip_body(std::string_view s, size_t& pos) {
    while (pos < s.size()) {
      if (body_line_start_) {
        std::string_view rest = s.substr(pos);
        if (rest.starts_with(".\r\n") || rest.starts_with(".\n")) {
          pos += rest[1] == '\r' ? 3 : 2;
          in_data_ = false;
          pending_.push(Cmd::DataEnd);  // its reply says whether the message was taken
          return true;
        }
        if (rest == "." || rest == ".\r") return false;
      }
      size_t eol = s.find('\n', pos);
      if (eol == std::string_view::npos) {
        pos = s.size();
        body_line_start_ = false;
        return true;
      }
      pos = eol + 1;
      body_line_start_ = true;
    }
    return true;
  }

  // One client line as it arrives: an answer to a 334 challenge, or a command. While an
  // AUTH awaits its reply the line is held: the server reads it only after answering,
  // as the SASL response if that answer is a 334 (a client that does not wait, or an
  // AUTH pipelined behind another), else as the next command. False: give up.
  bool client_line(std::string_view line, EventSink& out) {
    seen_ = true;
    if (unsure_ > 0 && !auth_wants_response_) drop_unanswered(out);
    if (auth_wants_response_) {
      auth_wants_response_ = false;
      sasl_response(line, out);
      return true;
    }
    if (!auths_.empty() && !hold_off_) {
      if (held_.size() < kMaxHeldLines && held_bytes_ + line.size() <= kMaxHeldBytes) {
        if (held_.empty()) context_.hold(Dir::ToServer, true);  // secrets not placed yet
        held_.emplace_back(line);
        held_bytes_ += line.size();
        return true;
      }
      // Too much to be SASL responses: the client is sending commands (the old guess).
      hold_off_ = true;
      if (!release_held(out)) return false;
    }
    return command(line, out);
  }

  // Held client lines the server now reads: the first as a SASL response after a 334,
  // else each as a command, until an AUTH among them holds the rest again.
  bool release_held(EventSink& out) {
    while (!held_.empty() && (auths_.empty() || hold_off_)) {
      std::string line = std::move(held_.front());
      held_.pop_front();
      held_bytes_ -= line.size();
      if (!command(line, out)) return false;
    }
    if (held_.empty()) context_.hold(Dir::ToServer, false);
    return true;
  }

  // Commands that were waiting when replies were lost in a gap and are still waiting
  // when the client goes on: their replies were in the gap (outcome unknown).
  void drop_unanswered(EventSink& out) {
    for (; unsure_ > 0 && !pending_.empty(); --unsure_) {
      Cmd cmd = pending_.front();
      pending_.pop();
      if (cmd == Cmd::Auth) {
        if (auths_dropped_ > 0) {
          --auths_dropped_;
        } else if (!auths_.empty()) {
          finish_auth(AuthResult::Unknown, {}, out);
        }
      } else if (cmd == Cmd::Data) {
        in_data_ = false;
      }
    }
    unsure_ = 0;
    auth_wants_response_ = false;
    if (auths_.empty()) hold_off_ = false;
    if (!release_held(out)) failed_ = true;
  }

  // The client's answer to the last 334, which went to the oldest open AUTH.
  void sasl_response(std::string_view line, EventSink& out) {
    if (auths_dropped_ > 0 || auths_.empty()) {
      context_.secret(Dir::ToServer, line);  // that AUTH was reported already
      return;
    }
    sasl_steps_.response(auths_.front().sasl, line, out);
  }

  // A client command line (or, after a held DATA or BDAT, a line of its content).
  bool command(std::string_view line, EventSink& out) {
    if (in_data_) {
      // Only held lines get here (the live path skips bodies as bytes).
      if (line == ".") {
        in_data_ = false;
        pending_.push(Cmd::DataEnd);
      }
      return true;
    }
    if (bdat_left_) {
      bdat_left_ -= std::min<uint64_t>(bdat_left_, line.size() + 2);  // CR LF assumed
      return true;
    }
    std::string_view args;
    std::string_view verb = tp::first_word(line, args);
    Cmd cmd = Cmd::Other;
    if (tp::iequals(verb, "EHLO") || tp::iequals(verb, "HELO")) {
      cmd = Cmd::Helo;
      if (helo_.empty()) helo_ = tp::wire_text(tp::trim(args));
    } else if (tp::iequals(verb, "STARTTLS")) {
      cmd = Cmd::StartTls;
    } else if (tp::iequals(verb, "AUTH")) {
      cmd = Cmd::Auth;
      // AUTH again before the last one was answered (pipelined, or a client that does
      // not wait): each keeps its own exchange; replies and 334 challenges go to the
      // oldest, in order.
      if (auths_.size() == kMaxOpenAuth) {
        // Too many unanswered: the oldest is reported now, its reply skipped later.
        finish_auth(AuthResult::Unknown, {}, out);
        ++auths_dropped_;
      }
      std::string_view initial;
      std::string_view mech = tp::first_word(args, initial);
      OpenAuth& a = auths_.emplace_back();
      a.ts = context_.flow->now;
      sasl_steps_.start(a.sasl, mech, initial, out);
    } else if (tp::istarts_with(line, "MAIL FROM:")) {
      cmd = Cmd::Mail;
      add_address(mail_from_, mail_from_count_, line.substr(10));
    } else if (tp::istarts_with(line, "RCPT TO:")) {
      cmd = Cmd::Rcpt;
      add_address(rcpt_to_, rcpt_to_count_, line.substr(8));
    } else if (tp::iequals(verb, "DATA")) {
      cmd = Cmd::Data;
      // The body follows the 354 reply; a refusal ends body mode again (server()).
      in_data_ = true;
      body_line_start_ = true;
    } else if (tp::iequals(verb, "BDAT")) {
      // "BDAT size [LAST]" (RFC 3030): the chunk follows at once, without a reply first.
      cmd = Cmd::Bdat;
      std::string_view last;
      auto size = tp::parse_count(tp::first_word(args, last), uint64_t(1) << 48);
      bdat_left_ = size ? *size : 0;
      if (tp::iequals(tp::trim(last), "LAST")) cmd = Cmd::BdatLast;
    }
    if (!pending_.push(cmd)) {
      context_.anomaly(kTooManyPending, out);
      return false;
    }
    return true;
  }

  void add_address(std::vector<std::string>& list, uint64_t& count, std::string_view arg) {
    ++count;
    arg = tp::trim(arg);
    std::string_view addr;
    size_t lt = arg.find('<');
    size_t gt = arg.find('>', lt == std::string_view::npos ? 0 : lt);
    if (lt != std::string_view::npos && gt != std::string_view::npos) {
      addr = arg.substr(lt + 1, gt - lt - 1);
    } else {
      std::string_view rest;
      addr = tp::first_word(arg, rest);
    }
    if (list.size() < kMaxAddresses) list.push_back(tp::wire_text(addr));
  }

  ParseResult server(ByteView data, EventSink& out) {
    size_t pos = 0;
    while (pos < data.size()) {
      std::string_view line;
      switch (lines_[1].next(data, pos, line)) {
        case tp::LineReader::Status::NeedMore:
          return ParseResult::need_more(uint32_t(pos));
        case tp::LineReader::Status::TooLong:
          context_.anomaly(kLineTooLong, out, "server line");
          continue;
        case tp::LineReader::Status::Line:
          break;
      }
      switch (replies_.feed(line)) {
        case tp::ReplyReader::Status::Partial:
          continue;
        case tp::ReplyReader::Status::Bad:
          context_.anomaly(kBadReply, out);
          if (++bad_replies_ > kMaxBadReplies) return ParseResult::error();
          continue;
        case tp::ReplyReader::Status::Complete:
          bad_replies_ = 0;
          seen_ = true;
          reply(replies_.reply(), out);
          if (tls_) return ParseResult::done();  // the rest is TLS
          break;
      }
    }
    return ParseResult::ok();
  }

  void reply(const tp::Reply& r, EventSink& out) {
    last_reply_ = r.reason();
    if (pending_.empty() && in_data_) {
      // The server answers nothing while a message comes in: the message's end (lost in
      // a gap) was reached.
      in_data_ = false;
      if (r.code / 100 == 2) ++messages_;
      return;
    }
    if (pending_.empty()) {
      if (!greeted_) {
        greeted_ = true;
        banner_ = r.text;
      }
      return;  // the greeting, or an unsolicited reply (421 shutting down)
    }
    greeted_ = true;
    Cmd cmd = pending_.front();
    if (unsure_ > 0 && !(cmd == Cmd::Auth && r.code == 334)) --unsure_;
    if (cmd == Cmd::Auth && r.code == 334) {
      if (auths_dropped_ == 0 && !auths_.empty()) {
        sasl_steps_.challenge(auths_.front().sasl, r.text, out);
      } else {
        context_.secret(Dir::ToClient, r.text);  // for an AUTH reported already
      }
      if (held_.empty()) {
        auth_wants_response_ = true;
      } else {
        // Sent before this challenge came: the server reads it as the response.
        std::string line = std::move(held_.front());
        held_.pop_front();
        held_bytes_ -= line.size();
        sasl_response(line, out);
        if (held_.empty()) context_.hold(Dir::ToServer, false);
      }
      return;  // the exchange goes on; AUTH stays pending
    }
    pending_.pop();
    switch (cmd) {
      case Cmd::Auth: {
        AuthResult result = r.code / 100 == 2 ? AuthResult::Success : AuthResult::Failure;
        if (auths_dropped_ > 0) {
          --auths_dropped_;  // the reply of one already reported
        } else if (!auths_.empty() && result == AuthResult::Failure &&
                   auths_.front().sasl.nothing_sent()) {
          // Refused before any credential (503 "send EHLO first", 504 unknown
          // mechanism): nmap's smtp-brute and smtp-ntlm-info do this; no login was tried.
          auths_.pop_front();
          ++auth_refused_;
        } else if (!auths_.empty()) {
          finish_auth(result, r.reason(), out);
        }
        auth_wants_response_ = false;
        if (auths_.empty()) hold_off_ = false;
        if (!release_held(out)) failed_ = true;
        break;
      }
      case Cmd::StartTls:
        if (r.code == 220) tls_ = true;
        break;
      case Cmd::Data:
        if (r.code != 354) in_data_ = false;
        break;
      case Cmd::DataEnd:
      case Cmd::BdatLast:
        if (r.code / 100 == 2) ++messages_;
        break;
      case Cmd::Rcpt:
        if (r.code / 100 != 2) ++rcpt_rejected_;
        break;
      default:
        break;
    }
  }

  // Reports the oldest open AUTH with its outcome.
  void finish_auth(AuthResult result, std::string reason, EventSink& out) {
    AuthAttempt a;
    auths_.front().sasl.fill(a);
    a.ts = auths_.front().ts;
    auths_.pop_front();
    a.result = result;
    a.reason = std::move(reason);
    out.emit(make_auth_event(context_, "smtp", a));
    ++auth_attempts_;
  }

  void emit_session(EventSink& out) {
    Event e = make_flow_event("smtp", *context_.flow);
    if (!banner_.empty()) e.set("banner", banner_);
    if (!helo_.empty()) e.set("helo", helo_);
    auto list = [&](const char* key, const std::vector<std::string>& v) {
      if (v.empty()) return;
      rapidjson::Value a(rapidjson::kArrayType);
      for (const auto& s : v) {
        a.PushBack(rapidjson::Value(s.data(), rapidjson::SizeType(s.size()), e.alloc()), e.alloc());
      }
      e.set(key, std::move(a));
    };
    list("mail_from", mail_from_);
    list("rcpt_to", rcpt_to_);
    e.set("mail_from_count", mail_from_count_);
    e.set("rcpt_to_count", rcpt_to_count_);
    e.set("rcpt_rejected", rcpt_rejected_);
    e.set("messages", messages_);
    e.set("auth_attempts", auth_attempts_);
    if (auth_refused_ > 0) e.set("auth_refused", auth_refused_);
    e.set("tls", tls_);
    if (!last_reply_.empty()) e.set("last_reply", last_reply_);
    out.emit(e);
  }

  AnalyzerContext context_;
  tp::SaslSteps sasl_steps_{context_, kBadSasl};
  std::array<tp::LineReader, 2> lines_;
  tp::ReplyReader replies_;
  tp::CommandQueue<Cmd, 128> pending_;
  struct OpenAuth {
    tp::SaslExchange sasl;
    TimestampNs ts = 0;
  };
  std::deque<OpenAuth> auths_;    // AUTHs awaiting their final reply, oldest first
  size_t auths_dropped_ = 0;      // AUTHs reported before their reply came, oldest first
  std::deque<std::string> held_;  // client lines sent while an AUTH awaited its reply
  size_t held_bytes_ = 0;
  bool hold_off_ = false;  // too many lines held: read them as commands until no AUTH is open
  bool failed_ = false;    // a released command overflowed the queue: give up
  size_t unsure_ = 0;      // front commands waiting since replies were lost in a gap
  bool auth_wants_response_ = false;  // the next client line answers a 334
  bool in_data_ = false;
  bool body_line_start_ = true;
  uint64_t bdat_left_ = 0;
  bool tls_ = false;
  bool greeted_ = false;
  bool seen_ = false;
  int bad_replies_ = 0;
  std::string banner_, helo_, last_reply_;
  std::vector<std::string> mail_from_, rcpt_to_;
  uint64_t mail_from_count_ = 0, rcpt_to_count_ = 0, rcpt_rejected_ = 0, messages_ = 0,
           auth_attempts_ = 0, auth_refused_ = 0;  // refused: AUTHs refused before any credential
};

std::unique_ptr<Analyzer> make_smtp(const AnalyzerContext& context) {
  return std::make_unique<SmtpAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kSmtpAnalyzer = {"smtp",     Transport::Tcp, kSmtpPorts,
                                    probe_smtp, make_smtp,      kAnomalies};

}  // namespace netsift
