// The session engine behind `netsift sessions` and `netsift run`: defragments IP,
// feeds the flow table, advances its clock, and at the end flushes every flow.
#pragma once

#include "app/packet_pump.h"
#include "app/session_options.h"
#include "flow/flow_table.h"
#include "flow/ip_defrag.h"

namespace netsift {

class SessionPipeline final : public PacketConsumer {
 public:
  SessionPipeline(const SessionOptions& options, FlowObserver& observer, EventSink& events);
  void on_packet(const PacketView& view, uint64_t frame) override;
  void on_idle(TimestampNs wall_now) override;
  // End of all input: every open flow ends now.
  void finish();
  void print_summary(FILE* out) const;

 private:
  Decoder decoder_;
  IpDefragmenter defrag_;
  FlowTable flows_;
  PacketView assembled_;
  TimestampNs clock_ = 0;
  uint64_t packets_since_expiry_ = 0;
};

}  // namespace netsift
