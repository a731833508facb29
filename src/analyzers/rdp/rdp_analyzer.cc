#include "analyzers/rdp/rdp_analyzer.h"

#include <algorithm>
#include <optional>
#include <string>

#include "analyzers/auth_event.h"
#include "analyzers/textproto/text.h"

namespace netsift {
namespace {

constexpr uint16_t kRdpPorts[] = {3389};

enum Anomaly : size_t { kBadTpkt, kNotConnectionRequest };
constexpr std::string_view kAnomalies[] = {
    "rdp.bad_tpkt",                // not a TPKT (RFC 1006) header
    "rdp.not_connection_request",  // the first TPDU is not an X.224 CR / CC
};

constexpr uint8_t kConnectionRequest = 0xE0;  // X.224 CR, CDT 0
constexpr uint8_t kConnectionConfirm = 0xD0;  // X.224 CC, CDT 0
constexpr size_t kTpktHeader = 4;
constexpr size_t kX224Fixed = 7;  // LI, code, DST-REF, SRC-REF, class
constexpr size_t kMaxCookie = 256;

// TPKT version 3, then an X.224 TPDU whose length indicator fills the packet exactly.
Confidence probe_tpkt(ByteView b, uint8_t code) {
  static constexpr uint8_t kStart[] = {3, 0};
  for (size_t i = 0; i < b.size() && i < 2; ++i) {
    if (b[i] != kStart[i]) return Confidence::No;
  }
  if (b.size() < kTpktHeader + 2) return Confidence::Maybe;
  size_t len = load_be16(b.data() + 2);
  if (len < kTpktHeader + kX224Fixed || b[4] + 5u != len || b[5] != code) return Confidence::No;
  return Confidence::Yes;
}

Confidence probe_rdp(Dir dir, ByteView first) {
  return probe_tpkt(first, dir == Dir::ToServer ? kConnectionRequest : kConnectionConfirm);
}

std::string_view protocol_name(uint32_t p) {
  switch (p) {
    case 0:
      return "rdp";
    case 1:
      return "ssl";
    case 2:
      return "hybrid";
    case 4:
      return "rdstls";
    case 8:
      return "hybrid_ex";
    case 16:
      return "rdsaad";
  }
  return "unknown";
}

std::string_view failure_name(uint32_t code) {
  switch (code) {
    case 1:
      return "SSL_REQUIRED_BY_SERVER";
    case 2:
      return "SSL_NOT_ALLOWED_BY_SERVER";
    case 3:
      return "SSL_CERT_NOT_ON_SERVER";
    case 4:
      return "INCONSISTENT_FLAGS";
    case 5:
      return "HYBRID_REQUIRED_BY_SERVER";
    case 6:
      return "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER";
  }
  return "UNKNOWN";
}

class RdpAnalyzer final : public Analyzer {
 public:
  explicit RdpAnalyzer(const AnalyzerContext& context) : context_(context) {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    bool& seen = seen_[size_t(dir)];
    if (seen) return ParseResult::ok();  // TLS, CredSSP, MCS: nothing more to read here
    if (data.size() < kTpktHeader)
      return ParseResult::need_more(0, uint32_t(kTpktHeader - data.size()));
    size_t len = load_be16(data.data() + 2);
    if (data[0] != 3 || len < kTpktHeader + kX224Fixed) {
      context_.anomaly(kBadTpkt, out);
      if (dir == Dir::ToClient) attempt_.reset();  // the server speaks something else
      return ParseResult::error();
    }
    if (data.size() < len) return ParseResult::need_more(0, uint32_t(len - data.size()));
    ByteView tpdu = data.subspan(kTpktHeader, len - kTpktHeader);
    uint8_t code = dir == Dir::ToServer ? kConnectionRequest : kConnectionConfirm;
    if (size_t(tpdu[0]) + 1 != tpdu.size() || tpdu[1] != code) {
      context_.anomaly(kNotConnectionRequest, out);
      if (dir == Dir::ToClient) attempt_.reset();
      return ParseResult::error();
    }
    seen = true;
    ByteView rest = tpdu.subspan(kX224Fixed);
    if (dir == Dir::ToServer) {
      request(rest);
      return ParseResult::ok();
    }
    confirm(rest, out);
    return ParseResult::done();
  }

  // Unconfirmed: reported on an RDP port, the default or one the config names (the
  // capture may have ended first); elsewhere the request alone is no RDP connection
  // (nmap -sV sends its "mstshash=nmap" probe to every port, and a server of another
  // protocol just hangs up).
  void on_close(EventSink& out) override {
    if (attempt_ && context_.by_port) emit(out);
  }

 private:
  void request(ByteView rest) {
    std::string_view s = as_chars(rest);
    static constexpr std::string_view kCookie = "Cookie: mstshash=";
    if (s.starts_with(kCookie)) {
      size_t end = s.find("\r\n");
      if (end == std::string_view::npos) return;  // not terminated: not a cookie
      attempt_.emplace();
      attempt_->user =
          textproto::wire_text(s.substr(kCookie.size(), end - kCookie.size()), kMaxCookie);
      attempt_->mechanism = "rdp_cookie";
      attempt_->ts = context_.flow->now;
      s.remove_prefix(end + 2);
    } else if (s.starts_with("Cookie: msts=")) {
      size_t end = s.find("\r\n");  // a load balancer's routing token: no user in it
      s = end == std::string_view::npos ? std::string_view() : s.substr(end + 2);
    }
    // RDP_NEG_REQ: type 1, flags, length 8, requestedProtocols.
    if (s.size() >= 8 && s[0] == 1 &&
        load_le16(reinterpret_cast<const uint8_t*>(s.data()) + 2) == 8) {
      requested_ = load_le32(reinterpret_cast<const uint8_t*>(s.data()) + 4);
    }
  }

  void confirm(ByteView rest, EventSink& out) {
    if (!attempt_) return;
    // RDP_NEG_RSP (type 2): selectedProtocol; RDP_NEG_FAILURE (type 3): failureCode.
    if (rest.size() >= 8 && load_le16(rest.data() + 2) == 8) {
      uint32_t value = load_le32(rest.data() + 4);
      if (rest[0] == 2) {
        selected_ = value;
        attempt_->tls = value != 0;  // the login that follows is inside TLS/CredSSP
      } else if (rest[0] == 3) {
        attempt_->reason =
            "negotiation failure " + std::to_string(value) + " " + std::string(failure_name(value));
      }
    } else {
      selected_ = 0;  // no negotiation: standard RDP security
    }
    emit(out);
  }

  void emit(EventSink& out) {
    Event e = make_auth_event(context_, "rdp", *attempt_);
    if (requested_) {
      rapidjson::Value list(rapidjson::kArrayType);
      for (uint32_t bit = 1; bit && bit <= 16; bit <<= 1) {
        if (!(*requested_ & bit)) continue;
        std::string_view n = protocol_name(bit);
        list.PushBack(rapidjson::StringRef(n.data(), n.size()), e.alloc());
      }
      if (*requested_ == 0) list.PushBack("rdp", e.alloc());
      e.set("requested_protocols", std::move(list));
    }
    if (selected_) e.set("selected_protocol", protocol_name(*selected_));
    out.emit(e);
    attempt_.reset();
  }

  AnalyzerContext context_;
  bool seen_[2] = {false, false};
  std::optional<AuthAttempt> attempt_;
  std::optional<uint32_t> requested_, selected_;
};

std::unique_ptr<Analyzer> make_rdp(const AnalyzerContext& context) {
  return std::make_unique<RdpAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kRdpAnalyzer = {"rdp",     Transport::Tcp, kRdpPorts,
                                   probe_rdp, make_rdp,       kAnomalies};

}  // namespace netsift
