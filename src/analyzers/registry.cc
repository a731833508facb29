#include "analyzers/registry.h"

#include <array>

#include "analyzers/dns/dns_analyzer.h"
#include "analyzers/ssh/ssh_analyzer.h"

namespace netsift {

std::span<const AnalyzerSpec> analyzer_registry() {
  // One name may appear twice, once per transport (DNS over UDP and over TCP).
  static const std::array<AnalyzerSpec, 3> kRegistry = {
      kSshAnalyzer,
      kDnsUdpAnalyzer,
      kDnsTcpAnalyzer,
  };
  return kRegistry;
}

const AnalyzerSpec* find_analyzer(std::string_view name) {
  for (const auto& spec : analyzer_registry()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

Event make_flow_event(const char* kind, const FlowInfo& flow) {
  return make_flow_event(kind, flow, flow.now);
}

Event make_flow_event(const char* kind, const FlowInfo& flow, TimestampNs ts) {
  Event e(kind, ts);
  e.set("src_ip", flow.client_ip);
  e.set("src_port", uint64_t(flow.client_port));
  e.set("dst_ip", flow.server_ip);
  e.set("dst_port", uint64_t(flow.server_port));
  e.set("proto", flow.proto == 6 ? "tcp" : flow.proto == 17 ? "udp" : "ip");
  e.set("community_id", std::string_view(flow.community_id));
  return e;
}

}  // namespace netsift
