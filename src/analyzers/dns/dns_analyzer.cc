#include "analyzers/dns/dns_analyzer.h"

#include "analyzers/dns/dns_message.h"

namespace netsift {
namespace {

constexpr uint16_t kDnsUdpPorts[] = {53, 5353, 5355};
constexpr uint16_t kDnsTcpPorts[] = {53};

// Claimed by port only: DNS has no magic bytes, and guessing on arbitrary UDP would
// misread other protocols.
Confidence no_probe(Dir, ByteView) {
  return Confidence::No;
}

class DnsAnalyzer final : public Analyzer {
 public:
  DnsAnalyzer(const FlowInfo& flow, bool tcp) : flow_(flow), tcp_(tcp) {}

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
    return pos == data.size() ? ParseResult::ok() : ParseResult::need_more(uint32_t(pos), 2);
  }

 private:
  // False when this cannot be DNS (shorter than a header): the engine then detaches.
  bool message(Dir dir, ByteView msg, EventSink& out) {
    Event e = make_flow_event("dns", flow_);
    e.set("direction", dir == Dir::ToServer ? "query" : "response");
    if (!dns::add_message(msg, e)) return false;
    out.emit(e);
    return true;
  }

  const FlowInfo& flow_;
  bool tcp_;
};

std::unique_ptr<Analyzer> make_udp(const AnalyzerContext& context) {
  return std::make_unique<DnsAnalyzer>(*context.flow, false);
}
std::unique_ptr<Analyzer> make_tcp(const AnalyzerContext& context) {
  return std::make_unique<DnsAnalyzer>(*context.flow, true);
}

}  // namespace

const AnalyzerSpec kDnsUdpAnalyzer = {"dns", Transport::Udp, kDnsUdpPorts, no_probe, make_udp};
const AnalyzerSpec kDnsTcpAnalyzer = {"dns", Transport::Tcp, kDnsTcpPorts, no_probe, make_tcp};

}  // namespace netsift
