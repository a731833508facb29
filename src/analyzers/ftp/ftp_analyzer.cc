#include "analyzers/ftp/ftp_analyzer.h"

#include <array>
#include <optional>
#include <string>

#include "analyzers/auth_event.h"
#include "analyzers/textproto/attempt_log.h"
#include "analyzers/textproto/command_queue.h"
#include "analyzers/textproto/line_reader.h"
#include "analyzers/textproto/login.h"
#include "analyzers/textproto/probe.h"
#include "analyzers/textproto/reply.h"
#include "analyzers/textproto/text.h"

namespace netsift {
namespace {

namespace tp = textproto;

// 990 is FTPS (TLS from the first byte): nothing to read there.
constexpr uint16_t kFtpPorts[] = {21};

enum Anomaly : size_t { kLineTooLong, kBadReply, kTooManyPending };
constexpr std::string_view kAnomalies[] = {"ftp.line_too_long", "ftp.bad_reply",
                                           "ftp.too_many_pending"};

constexpr size_t kMaxLine = 8192;
constexpr size_t kMaxField = 256;
constexpr int kMaxBadReplies = 8;

// Commands only FTP clients send first or early (RFC 959, 2389, 2228, 2640); USER and
// PASS are POP3's as well, so they leave the choice to the server's replies.
bool ftp_only_command(std::string_view line) {
  for (std::string_view w :
       {"SYST", "FEAT", "OPTS", "PWD",  "XPWD", "TYPE", "PASV", "EPSV", "PORT", "EPRT", "CWD",
        "SITE", "MLSD", "NLST", "SIZE", "MDTM", "PBSZ", "PROT", "HOST", "CLNT", "ACCT"}) {
    if (tp::word_is(line, w)) return true;
  }
  if (tp::word_is(line, "AUTH")) {
    std::string_view args;
    tp::first_word(line, args);
    for (std::string_view m : {"TLS", "SSL", "TLS-C", "TLS-P"}) {
      if (tp::iequals(tp::trim(args), m)) return true;
    }
  }
  return false;
}

Confidence probe_ftp(Dir dir, ByteView first) {
  std::string_view s = as_chars(first);
  if (dir == Dir::ToServer) {
    auto command = [](std::string_view line, size_t) {
      if (ftp_only_command(line)) return Confidence::Yes;
      return tp::word_is(line, "USER") || tp::word_is(line, "PASS") ? Confidence::Maybe
                                                                    : Confidence::No;
    };
    return tp::probe_lines(s, {"USER ", "AUTH ", "SYST", "FEAT", "OPTS "}, 4, command);
  }
  // The "220" greeting is SMTP's too; the reply to USER (331/332, or 230 at once) or to
  // AUTH TLS (234) or SYST (215) is FTP's alone. A capture begun after the greeting may
  // start at the 331/332 that asks for the password.
  tp::ReplyReader replies;
  bool greeted = false;
  return tp::probe_lines(
      s, {"220 ", "220-", "331", "332"}, 64, [&](std::string_view line, size_t n) {
        auto status = replies.feed(line);
        if (status == tp::ReplyReader::Status::Bad) return Confidence::No;
        if (status == tp::ReplyReader::Status::Partial) return Confidence::Maybe;
        uint16_t code = replies.reply().code;
        if (!greeted) {
          greeted = true;
          if (code == 331 || code == 332) return Confidence::Yes;
          return code == 220 ? Confidence::Maybe : Confidence::No;
        }
        switch (code) {
          case 331:
          case 332:
          case 230:
          case 234:
          case 215:
            return Confidence::Yes;
          case 530:  // not logged in / login refused: SMTP says it to MAIL before STARTTLS too
            return Confidence::Maybe;
          default:
            return Confidence::No;
        }
      });
}

enum class Cmd : uint8_t { User, Pass, Acct, AuthTls, Rein, Pasv, Epsv, Port, Other };

// ---- data connections (RFC 959 PORT/PASV, RFC 2428 EPRT/EPSV) ------------------------

// "h1,h2,h3,h4,p1,p2" at the start of `s` (a PORT argument, or the numbers of a 227
// reply): the IPv4 address and port, or false.
bool parse_host_port(std::string_view s, IpAddress& addr, uint16_t& port) {
  unsigned v[6];
  size_t i = 0;
  for (int n = 0; n < 6; ++n) {
    if (n > 0) {
      if (i == s.size() || s[i] != ',') return false;
      ++i;
    }
    size_t start = i;
    v[n] = 0;
    while (i < s.size() && i - start < 3 && s[i] >= '0' && s[i] <= '9')
      v[n] = v[n] * 10 + unsigned(s[i++] - '0');
    if (i == start || v[n] > 255) return false;
  }
  addr = IpAddress{};
  if (!parse_address(std::to_string(v[0]) + "." + std::to_string(v[1]) + "." +
                         std::to_string(v[2]) + "." + std::to_string(v[3]),
                     addr))
    return false;
  port = uint16_t(v[4] << 8 | v[5]);
  return port != 0;
}

// A 227 reply's text: the numbers start at the first digit (RFC 1123 4.1.2.6: clients
// must scan for them, the parenthesis is not required).
bool parse_227(std::string_view text, IpAddress& addr, uint16_t& port) {
  size_t at = text.find_first_of("0123456789");
  return at != std::string_view::npos && parse_host_port(text.substr(at), addr, port);
}

uint16_t parse_port_number(std::string_view s) {
  if (s.empty() || s.size() > 5) return 0;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + unsigned(c - '0');
  }
  return v > 0 && v <= 65535 ? uint16_t(v) : 0;
}

// A 229 reply's text: "Entering Extended Passive Mode (|||6446|)": the delimiter is any
// printable character, repeated three times, then the port and the delimiter.
uint16_t parse_229(std::string_view text) {
  size_t open = text.find('(');
  if (open == std::string_view::npos || open + 5 > text.size()) return 0;
  char d = text[open + 1];
  if (text[open + 2] != d || text[open + 3] != d) return 0;
  size_t end = text.find(d, open + 4);
  return end == std::string_view::npos ? 0
                                       : parse_port_number(text.substr(open + 4, end - open - 4));
}

// An EPRT argument: "|1|132.235.1.2|6275|" or "|2|1080::8:800:200C:417A|5282|".
bool parse_eprt(std::string_view s, IpAddress& addr, uint16_t& port) {
  if (s.size() < 7) return false;
  char d = s[0];
  size_t a = s.find(d, 1), b = a == std::string_view::npos ? a : s.find(d, a + 1),
         c = b == std::string_view::npos ? b : s.find(d, b + 1);
  if (c == std::string_view::npos) return false;
  std::string_view proto = s.substr(1, a - 1), host = s.substr(a + 1, b - a - 1);
  if (proto != "1" && proto != "2") return false;
  addr = IpAddress{};
  if (host.empty() || host.size() > 45 || !parse_address(std::string(host), addr)) return false;
  port = parse_port_number(s.substr(b + 1, c - b - 1));
  return port != 0;
}
// The commands of a login attempt (the others belong to none).
bool of_login(Cmd c) {
  return c == Cmd::User || c == Cmd::Pass || c == Cmd::Acct;
}

// A command awaiting its reply, with the login attempt it belongs to (USER, PASS, ACCT).
struct Pending {
  Cmd cmd = Cmd::Other;
  uint64_t attempt = 0;  // the attempt's sequence number
};

class FtpAnalyzer final : public Analyzer {
 public:
  explicit FtpAnalyzer(const AnalyzerContext& context)
      : context_(context),
        lines_{
            tp::LineReader(kMaxLine, tp::looks_like_command),
            tp::LineReader(kMaxLine, [](std::string_view l) { return tp::reply_code(l) != 0; })} {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    size_t pos = 0;
    while (pos < data.size()) {
      std::string_view line;
      switch (lines_[size_t(dir)].next(data, pos, line)) {
        case tp::LineReader::Status::NeedMore:
          return ParseResult::need_more(uint32_t(pos));
        case tp::LineReader::Status::TooLong:
          context_.anomaly(kLineTooLong, out, dir == Dir::ToServer ? "command" : "reply");
          // A skipped command is still answered: keep the queue in step with the replies.
          if (dir == Dir::ToServer && !pending_.push({})) return ParseResult::error();
          continue;
        case tp::LineReader::Status::Line:
          break;
      }
      if (dir == Dir::ToServer) {
        if (!command(line, out)) return ParseResult::error();
        continue;
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
          reply(replies_.reply(), out);
          if (tls_) return ParseResult::done();  // the rest is TLS
          break;
      }
    }
    return ParseResult::ok();
  }

  void on_gap(Dir dir, uint64_t, EventSink& out) override {
    // The line the hole cut still has its verb or reply code (a capture cut by its snap
    // length loses the end of every long line): the command still waits for its reply,
    // and a final reply line still answers its command.
    std::string cut = lines_[size_t(dir)].cut_by_gap();
    if (dir == Dir::ToServer) {
      if (!cut.empty()) command(tp::cut_command(cut), out, /*cut=*/true);
      return;
    }
    if (cut.size() >= 4 && tp::reply_code(cut) != 0 &&
        replies_.feed(cut) == tp::ReplyReader::Status::Complete)
      reply(replies_.reply(), out);
    replies_.reset();
    // Replies may have been lost whole: those of the commands still waiting may never
    // come. The client's next command tells (it waits for the replies first).
    unsure_ = pending_.size();
  }

  void on_close(EventSink& out) override {
    // A password sent and never answered: the capture ended first.
    for (Attempt& a : attempts_) {
      if (!a.resolved && a.pending && (a.pass_sent || a.acct_sent))
        emit(a, AuthResult::Unknown, {}, out);
    }
  }

 private:
  // One login: USER, then PASS (and ACCT) as the replies ask. A client may send several
  // before any reply (pipelining, RFC 959 5.4 does not forbid it), so each command in
  // the queue names its attempt and each attempt gets the outcome of its own replies.
  struct Attempt {
    std::string user;
    std::optional<std::string> password;
    std::string account;
    TimestampNs ts = 0;
    uint32_t pending = 0;  // its commands still unanswered
    bool pass_sent = false, acct_sent = false;
    bool no_user = false;  // PASS without a USER of its own just before
    bool resolved = false;
  };

  // The attempt a PASS or ACCT belongs to: the latest, while it still waits for one.
  Attempt& current_for_pass() {
    if (attempts_.empty() || attempts_.back().resolved || attempts_.back().pass_sent) {
      // PASS again after an answered attempt, or a second PASS: the server says whether
      // it counts (503 "login with USER first" says not).
      Attempt a;
      a.user = last_user_;
      a.no_user = true;
      attempts_.push_back(std::move(a));
    }
    return attempts_.back();
  }

  // `cut`: the line's end was lost in a gap (cut_command: its verb only).
  bool command(std::string_view line, EventSink& out, bool cut = false) {
    if (unsure_ > 0) drop_unanswered(out);
    std::string_view arg;
    std::string_view verb = tp::first_word(line, arg);
    Pending p;
    Attempt* attempt = nullptr;
    if (tp::iequals(verb, "USER")) {
      p.cmd = Cmd::User;
      Attempt a;
      a.user = tp::wire_text(arg, kMaxField);
      last_user_ = a.user;
      a.ts = context_.flow->now;
      attempts_.push_back(std::move(a));
      attempt = &attempts_.back();
    } else if (tp::iequals(verb, "PASS")) {
      p.cmd = Cmd::Pass;
      attempt = &current_for_pass();
      // Everything after "PASS ": a password may hold spaces; it may be empty.
      if (cut) {
        attempt->password.reset();  // only its start was captured
      } else {
        attempt->password =
            tp::wire_text(line.size() > 5 ? line.substr(5) : std::string_view(), kMaxField);
      }
      if (line.size() > 5) context_.secret(Dir::ToServer, line.substr(5));
      attempt->pass_sent = true;
      attempt->ts = context_.flow->now;
    } else if (tp::iequals(verb, "ACCT")) {
      context_.secret(Dir::ToServer, arg);
      if (!attempts_.empty() && !attempts_.back().resolved) {
        p.cmd = Cmd::Acct;
        attempt = &attempts_.back();
        attempt->account = tp::wire_text(arg, kMaxField);
        attempt->acct_sent = true;
      }
    } else if (tp::iequals(verb, "AUTH")) {
      std::string_view mech = tp::trim(arg);
      for (std::string_view m : {"TLS", "SSL", "TLS-C", "TLS-P"}) {
        if (tp::iequals(mech, m)) p.cmd = Cmd::AuthTls;
      }
    } else if (tp::iequals(verb, "REIN")) {
      p.cmd = Cmd::Rein;
    } else if (tp::iequals(verb, "PASV")) {
      p.cmd = Cmd::Pasv;
    } else if (tp::iequals(verb, "EPSV")) {
      p.cmd = Cmd::Epsv;
    } else if (tp::iequals(verb, "PORT") || tp::iequals(verb, "EPRT")) {
      std::string_view target = tp::trim(arg);
      bool ok = tp::iequals(verb, "PORT") ? parse_host_port(target, active_addr_, active_port_)
                                          : parse_eprt(target, active_addr_, active_port_);
      if (ok) p.cmd = Cmd::Port;
    }
    if (attempt) p.attempt = attempts_.tie_newest();
    if (!pending_.push(p)) {
      context_.anomaly(kTooManyPending, out);
      return false;
    }
    attempts_.prune();
    return true;
  }

  // Commands that were waiting when replies were lost in a gap and are still waiting
  // when the client goes on: their replies were in the gap. A password without its
  // answer is reported as such.
  void drop_unanswered(EventSink& out) {
    for (; unsure_ > 0 && !pending_.empty(); --unsure_) {
      Pending p = pending_.front();
      pending_.pop();
      Attempt* a = of_login(p.cmd) ? attempts_.answered(p.attempt) : nullptr;
      if (!a) continue;
      if ((p.cmd == Cmd::Pass || p.cmd == Cmd::Acct) && !a->resolved)
        emit(*a, AuthResult::Unknown, {}, out);
    }
    unsure_ = 0;
    attempts_.prune();
  }

  void reply(const tp::Reply& r, EventSink& out) {
    if (pending_.empty()) return;  // the greeting, or unsolicited (421)
    if (r.code < 200) return;      // preliminary (150 opening data connection): more to come
    Pending p = pending_.front();
    pending_.pop();
    if (unsure_ > 0) --unsure_;
    unsigned cls = r.code / 100;
    Attempt* a = of_login(p.cmd) ? attempts_.answered(p.attempt) : nullptr;
    switch (p.cmd) {
      case Cmd::User:
        if (!a || a->resolved) break;
        if (cls == 2) {
          emit(*a, AuthResult::Success, r.reason(), out);  // no password asked for
        } else if (cls >= 4) {
          emit(*a, AuthResult::Failure, r.reason(), out);  // user refused before any password
        }
        break;  // 331/332: the password (account) is asked for
      case Cmd::Pass:
        if (!a || a->resolved) break;
        if (r.code == 503 && a->no_user) {
          a->resolved = true;  // "login with USER first": no login took place
        } else if (cls == 2) {
          emit(*a, AuthResult::Success, r.reason(), out);
        } else if (cls >= 4) {
          emit(*a, AuthResult::Failure, r.reason(), out);
        }
        break;  // 332: an account is asked for
      case Cmd::Acct:
        if (!a || a->resolved) break;
        if (cls == 2) {
          emit(*a, AuthResult::Success, r.reason(), out);
        } else if (cls >= 4) {
          emit(*a, AuthResult::Failure, r.reason(), out);
        }
        break;
      case Cmd::AuthTls:
        // 234 (RFC 4217); some old servers answered AUTH SSL with 334.
        if (r.code == 234 || r.code == 334) {
          tls_ = true;
          if (!logged_in_) tp::emit_encrypted_login(context_, "ftp", out);
        }
        break;
      case Cmd::Rein:
        if (cls == 2) logged_in_ = false;
        break;
      case Cmd::Pasv:
      case Cmd::Epsv:
      case Cmd::Port:
        data_connection(p.cmd, r);
        break;
      case Cmd::Other:
        break;
    }
    attempts_.prune();
  }

  // The server agreed to a data connection: the flow that opens it is `ftp-data`.
  // Only between the control connection's two hosts, with the port the commands or
  // replies named: passive (227, 229), the client connects to the server (the 227
  // address is ignored: clients such as curl do, and NAT often gets it wrong); active
  // (200 to PORT/EPRT), the server connects to the client. A PORT naming a third host
  // (FTP bounce) is not followed: that connection is analysed as what it carries, and
  // one engine and several workers (placed by host pair) agree.
  void data_connection(Cmd cmd, const tp::Reply& r) {
    const FlowInfo& f = *context_.flow;
    if (cmd == Cmd::Port) {
      if (r.code == 200 && active_addr_ == f.client_ip)
        context_.expect("ftp-data", f.server_ip, f.client_ip, {}, active_port_);
      return;
    }
    IpAddress addr = f.server_ip;
    uint16_t port = 0;
    if (cmd == Cmd::Pasv && r.code == 227) {
      if (!parse_227(r.text, addr, port)) return;
    } else if (cmd == Cmd::Epsv && r.code == 229) {
      port = parse_229(r.text);
    }
    if (port == 0) return;
    context_.expect("ftp-data", f.client_ip, f.server_ip, {}, port);
  }

  void emit(Attempt& attempt, AuthResult result, std::string reason, EventSink& out) {
    AuthAttempt a;
    a.user = attempt.user;
    a.password = attempt.password;
    // RFC 1635: "anonymous" (or "ftp") with an e-mail address as the password.
    a.mechanism = tp::iequals(attempt.user, "anonymous") || tp::iequals(attempt.user, "ftp")
                      ? "anonymous"
                      : "USER";
    if (!attempt.account.empty()) a.credential.emplace_back("account", attempt.account);
    a.result = result;
    a.reason = std::move(reason);
    a.ts = attempt.ts;
    out.emit(make_auth_event(context_, "ftp", a));
    attempt.resolved = true;
    if (result == AuthResult::Success) logged_in_ = true;
  }

  AnalyzerContext context_;
  std::array<tp::LineReader, 2> lines_;
  tp::ReplyReader replies_;
  tp::CommandQueue<Pending, 128> pending_;
  // Attempts not yet answered, oldest first; bounded by the pending queue (each holds a
  // pending command) plus the latest.
  textproto::AttemptLog<Attempt> attempts_;
  std::string last_user_;
  bool logged_in_ = false;
  bool tls_ = false;
  int bad_replies_ = 0;
  size_t unsure_ = 0;      // front commands waiting since replies were lost in a gap
  IpAddress active_addr_;  // the latest PORT/EPRT target, until its reply
  uint16_t active_port_ = 0;
};

// The data connection itself: labelled, not read (file contents and listings).
class FtpDataAnalyzer final : public Analyzer {
 public:
  ParseResult on_data(Dir, ByteView, EventSink&) override { return ParseResult::done(); }
};

std::unique_ptr<Analyzer> make_ftp_data(const AnalyzerContext&) {
  return std::make_unique<FtpDataAnalyzer>();
}

Confidence probe_never(Dir, ByteView) {
  return Confidence::No;
}

std::unique_ptr<Analyzer> make_ftp(const AnalyzerContext& context) {
  return std::make_unique<FtpAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kFtpAnalyzer = {"ftp",     Transport::Tcp, kFtpPorts,
                                   probe_ftp, make_ftp,       kAnomalies};

// No port of its own (a data connection's ports are whatever PASV/PORT named) and no
// content to recognise: only an announcement by a control connection gives it a flow.
const AnalyzerSpec kFtpDataAnalyzer = {"ftp-data",  Transport::Tcp, {},
                                       probe_never, make_ftp_data,  {}};

}  // namespace netsift
