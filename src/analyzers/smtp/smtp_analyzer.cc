#include "analyzers/smtp/smtp_analyzer.h"

#include <array>
#include <deque>
#include <string>
#include <vector>

#include "analyzers/auth_event.h"
#include "analyzers/textproto/command_queue.h"
#include "analyzers/textproto/line_reader.h"
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
constexpr size_t kMaxAddresses = 32;    // envelope addresses kept per session (all counted)
constexpr int kMaxBadReplies = 8;       // lines that are no reply before giving up
constexpr size_t kMaxEarlierAuth = 64;  // pipelined AUTHs kept awaiting their replies

Confidence probe_smtp(Dir dir, ByteView first) {
  std::string_view s = as_chars(first);
  if (dir == Dir::ToServer) {
    if (s.find('\n') == std::string_view::npos) {
      return tp::prefix_of_any(s, {"EHLO ", "HELO ", "EHLO\r", "HELO\r", "MAIL FROM:"});
    }
    return tp::for_lines(s, 1, [](std::string_view line, size_t) {
      return tp::word_is(line, "EHLO") || tp::word_is(line, "HELO") ||
                     tp::istarts_with(line, "MAIL FROM:")
                 ? Confidence::Yes
                 : Confidence::No;
    });
  }
  // A "220" greeting could be FTP's as well: Maybe, unless the next reply is the 250 that
  // answers EHLO/HELO (an FTP server answers its client's USER with 331 or 230 instead).
  if (s.find('\n') == std::string_view::npos) return tp::prefix_of_any(s, {"220 ", "220-"});
  bool greeting_done = false;
  return tp::for_lines(s, 64, [&](std::string_view line, size_t n) {
    uint16_t code = tp::reply_code(line);
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
      : context_(context), lines_{tp::LineReader(kMaxLine), tp::LineReader(kMaxLine)} {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    if (tls_) return ParseResult::done();
    return dir == Dir::ToServer ? client(data, out) : server(data, out);
  }

  void on_gap(Dir dir, uint64_t, EventSink&) override {
    // Resynchronise at the next line; a body or chunk being skipped cannot be followed.
    lines_[size_t(dir)].resync();
    if (dir == Dir::ToServer) {
      in_data_ = false;
      bdat_left_ = 0;
      auth_wants_response_ = false;
    } else {
      replies_.reset();
    }
  }

  void on_close(EventSink& out) override {
    for (AuthAttempt& a : earlier_auth_) finish_auth(a, AuthResult::Unknown, {}, out);
    earlier_auth_.clear();
    if (auth_open_) emit_auth(AuthResult::Unknown, {}, out);
    if (seen_) emit_session(out);
  }

 private:
  ParseResult client(ByteView data, EventSink& out) {
    size_t pos = 0;
    std::string_view s = as_chars(data);
    while (pos < s.size()) {
      if (bdat_left_) {
        size_t n = size_t(std::min<uint64_t>(bdat_left_, s.size() - pos));
        bdat_left_ -= n;
        pos += n;
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
          // Skipped, yet answered: keep the queue in step with the server's replies.
          if (auth_wants_response_) {
            auth_wants_response_ = false;
          } else if (!pending_.push(Cmd::Other)) {
            return ParseResult::error();
          }
          continue;
        case tp::LineReader::Status::Line:
          break;
      }
      if (!command(line, out)) return ParseResult::error();
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

  // One client line: an answer to a 334 challenge or a command. False: give up.
  bool command(std::string_view line, EventSink& out) {
    seen_ = true;
    if (auth_wants_response_) {
      auth_wants_response_ = false;
      context_.secret(Dir::ToServer, line);
      sasl_.response(line);
      if (sasl_.malformed()) context_.anomaly(kBadSasl, out, "response");
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
      if (auth_open_) {
        // AUTH again before the last one was answered (pipelined with initial
        // responses): the earlier one waits for its own reply, in order.
        if (earlier_auth_.size() == kMaxEarlierAuth) {
          finish_auth(earlier_auth_.front(), AuthResult::Unknown, {}, out);
          earlier_auth_.pop_front();
        }
        AuthAttempt a;
        sasl_.fill(a);
        a.ts = auth_ts_;
        earlier_auth_.push_back(std::move(a));
      }
      std::string_view initial;
      std::string_view mech = tp::first_word(args, initial);
      initial = tp::trim(initial);
      context_.secret(Dir::ToServer, initial);
      sasl_.start(mech, initial.empty() ? std::nullopt : std::optional(initial));
      if (sasl_.malformed()) context_.anomaly(kBadSasl, out, "initial response");
      auth_open_ = true;
      auth_ts_ = context_.flow->now;
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
    if (pending_.empty()) {
      if (!greeted_) {
        greeted_ = true;
        banner_ = r.text;
      }
      return;  // the greeting, or an unsolicited reply (421 shutting down)
    }
    greeted_ = true;
    Cmd cmd = pending_.front();
    if (cmd == Cmd::Auth && r.code == 334) {
      sasl_.challenge(r.text);
      context_.secret(Dir::ToClient, r.text);
      if (sasl_.malformed()) context_.anomaly(kBadSasl, out, "challenge");
      auth_wants_response_ = true;
      return;  // the exchange goes on; AUTH stays pending
    }
    pending_.pop();
    switch (cmd) {
      case Cmd::Auth: {
        AuthResult result = r.code / 100 == 2 ? AuthResult::Success : AuthResult::Failure;
        if (!earlier_auth_.empty()) {
          finish_auth(earlier_auth_.front(), result, r.reason(), out);
          earlier_auth_.pop_front();
        } else {
          emit_auth(result, r.reason(), out);
        }
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

  void finish_auth(AuthAttempt& a, AuthResult result, std::string reason, EventSink& out) {
    a.result = result;
    a.reason = std::move(reason);
    out.emit(make_auth_event(context_, "smtp", a));
    ++auth_attempts_;
  }

  void emit_auth(AuthResult result, std::string reason, EventSink& out) {
    AuthAttempt a;
    sasl_.fill(a);
    a.ts = auth_ts_;
    finish_auth(a, result, std::move(reason), out);
    auth_open_ = false;
    auth_wants_response_ = false;
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
    e.set("tls", tls_);
    if (!last_reply_.empty()) e.set("last_reply", last_reply_);
    out.emit(e);
  }

  AnalyzerContext context_;
  std::array<tp::LineReader, 2> lines_;
  tp::ReplyReader replies_;
  tp::CommandQueue<Cmd, 128> pending_;
  tp::SaslExchange sasl_;
  bool auth_open_ = false;
  std::deque<AuthAttempt> earlier_auth_;  // pipelined AUTHs awaiting replies, oldest first
  bool auth_wants_response_ = false;
  TimestampNs auth_ts_ = 0;
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
           auth_attempts_ = 0;
};

std::unique_ptr<Analyzer> make_smtp(const AnalyzerContext& context) {
  return std::make_unique<SmtpAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kSmtpAnalyzer = {"smtp",     Transport::Tcp, kSmtpPorts,
                                    probe_smtp, make_smtp,      kAnomalies};

}  // namespace netsift
