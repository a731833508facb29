#include "analyzers/dns/dns_analyzer.h"

#include <algorithm>
#include <deque>

#include "analyzers/dns/dns_message.h"

namespace netsift {
namespace {

constexpr uint16_t kDnsUdpPorts[] = {53, 5353, 5355};
constexpr uint16_t kDnsTcpPorts[] = {53};

// On other ports, claimed by content: a datagram (or, over TCP, the first length-prefixed
// message) that is a well-formed DNS message with sane counts (dns_message.h). DNS has
// no magic bytes, so the check is the whole message.
Confidence probe_udp(Dir, ByteView datagram) {
  return dns::plausible_message(datagram) ? Confidence::Yes : Confidence::No;
}

// A first message longer than this is not waited for (the engine holds 4 KiB).
constexpr size_t kMaxProbedTcpMessage = 4094;

Confidence probe_tcp(Dir, ByteView first) {
  if (first.size() < 2) return Confidence::Maybe;
  size_t len = load_be16(first.data());
  ByteView msg = first.subspan(2);
  if (msg.size() >= len) {
    return dns::plausible_message(msg.first(len)) ? Confidence::Yes : Confidence::No;
  }
  if (len < 17 || len > kMaxProbedTcpMessage) return Confidence::No;
  if (msg.size() >= 12 && !dns::plausible_header(msg)) return Confidence::No;
  return Confidence::Maybe;
}

// Queries held for their response, per flow: a flow with more outstanding queries than
// this reports the oldest as it is (neither answered nor unanswered known).
constexpr size_t kMaxPendingQueries = 64;

// Anomalies (docs/events.md, `weird`), indexed by the enum below.
constexpr std::string_view kDnsAnomalies[] = {"dns.malformed", "dns.too_short"};
enum DnsAnomaly : size_t {
  kMalformed,  // a message that ends or breaks inside a section (reported up to there)
  kTooShort,   // shorter than the 12-byte header: the flow is no longer read as DNS
};

class DnsAnalyzer final : public Analyzer {
 public:
  DnsAnalyzer(const AnalyzerContext& context, bool tcp)
      : context_(context), flow_(*context.flow), tcp_(tcp) {}

  // Queries never answered are reported when the flow ends.
  void on_close(EventSink& out) override {
    for (auto& q : pending_) {
      q.event.set("answered", false);
      out.emit(q.event);
    }
    pending_.clear();
  }

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    if (!tcp_) return message(dir, data, out) ? ParseResult::ok() : ParseResult::error();
    size_t pos = 0;
    while (data.size() - pos >= 2) {
      size_t len = load_be16(data.data() + pos);
      if (data.size() - pos - 2 < len) {
        return ParseResult::need_more(uint32_t(pos), uint32_t(len + 2 - (data.size() - pos)));
      }
      if (!message(dir, data.subspan(pos + 2, len), out)) return ParseResult::error();
      pos += 2 + len;
    }
    // One byte of the next length prefix: one more is needed.
    return pos == data.size() ? ParseResult::ok() : ParseResult::need_more(uint32_t(pos), 1);
  }

 private:
  // False when this cannot be DNS (shorter than a header): the engine then detaches.
  // A query's event waits for its response (same flow, same id) so that it can say
  // whether it was answered; the response carries the round-trip time.
  bool message(Dir dir, ByteView msg, EventSink& out) {
    Event e = make_flow_event("dns", flow_);
    e.set("direction", dir == Dir::ToServer ? "query" : "response");
    if (!dns::add_message(msg, e)) {
      context_.anomaly(kTooShort, out);
      return false;
    }
    // HasMember: rapidjson's iterator comparison is ambiguous under C++20 (clang warns).
    if (e.doc().HasMember("error") && e.doc()["error"].IsString()) {
      const rapidjson::Value& error = e.doc()["error"];
      context_.anomaly(kMalformed, out,
                       std::string_view(error.GetString(), error.GetStringLength()));
    }
    uint16_t id = load_be16(msg.data());
    bool response = msg[2] & 0x80;
    if (!response) {
      for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (it->id != id) continue;
        // Asked again before any answer: the earlier copy went unanswered.
        it->event.set("answered", false);
        out.emit(it->event);
        pending_.erase(it);
        break;
      }
      if (pending_.size() >= kMaxPendingQueries) {
        out.emit(pending_.front().event);
        pending_.pop_front();
      }
      pending_.push_back({id, flow_.now, std::move(e)});
      return true;
    }
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->id != id) continue;
      it->event.set("answered", true);
      out.emit(it->event);
      // Not below zero when time steps back between them (captures concatenated).
      e.set_time("rtt", std::max<TimestampNs>(0, flow_.now - it->ts));
      pending_.erase(it);
      break;
    }
    out.emit(e);
    return true;
  }

  struct PendingQuery {
    uint16_t id;
    TimestampNs ts;
    Event event;
  };

  AnalyzerContext context_;
  const FlowInfo& flow_;
  bool tcp_;
  std::deque<PendingQuery> pending_;
};

std::unique_ptr<Analyzer> make_udp(const AnalyzerContext& context) {
  return std::make_unique<DnsAnalyzer>(context, false);
}
std::unique_ptr<Analyzer> make_tcp(const AnalyzerContext& context) {
  return std::make_unique<DnsAnalyzer>(context, true);
}

}  // namespace

const AnalyzerSpec kDnsUdpAnalyzer = {"dns",     Transport::Udp, kDnsUdpPorts,
                                      probe_udp, make_udp,       kDnsAnomalies};
const AnalyzerSpec kDnsTcpAnalyzer = {"dns",     Transport::Tcp, kDnsTcpPorts,
                                      probe_tcp, make_tcp,       kDnsAnomalies};

}  // namespace netsift
