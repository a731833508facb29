// The session filters (--tcp-src-port, --tcp-dst-ip, --udp-ip, ...; config `filters:`)
// decide which flows are reported. They apply to session records (SessionOutput) and to
// the protocol events of those flows alike (FilteringSink), so that `--udp-ip` also
// selects `dns` events and `--tcp-dst-port 80` drops an `ssh` event on port 22.
#pragma once

#include <vector>

#include "analyzers/analyzer.h"
#include "app/session_options.h"
#include "core/ip_address.h"

namespace netsift {

class SessionFilter {
 public:
  explicit SessionFilter(const SessionFilters& filters);
  // True when no filter is set (everything passes).
  bool empty() const { return empty_; }
  // TCP: client/server sides; UDP: either side.
  bool wanted(uint8_t proto, const IpAddress& client_ip, uint16_t client_port,
              const IpAddress& server_ip, uint16_t server_port) const;
  bool wanted(const FlowInfo& flow) const {
    return wanted(flow.proto, flow.client_ip, flow.client_port, flow.server_ip, flow.server_port);
  }

 private:
  const SessionFilters& f_;
  std::vector<IpAddress> tcp_src_ips_, tcp_dst_ips_, udp_ips_;
  bool empty_;
};

// Passes on every event but those of a flow (events with proto tcp/udp, src = client,
// dst = server: make_flow_event) that the filter excludes.
class FilteringSink final : public EventSink {
 public:
  FilteringSink(const SessionFilter& filter, EventSink& next) : filter_(filter), next_(next) {}
  void emit(const Event& e) override;
  void flush() override { next_.flush(); }

 private:
  const SessionFilter& filter_;
  EventSink& next_;
};

}  // namespace netsift
