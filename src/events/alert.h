// The `alert` event shared by every detector (brute force and spraying over `auth`
// events, scans, floods, spikes and DNS anomalies over traffic statistics), so that
// analysts and sinks see one shape: docs/events.md.
#pragma once

#include <string_view>

#include "core/ip_address.h"
#include "core/timestamp.h"
#include "events/event.h"

namespace netsift {

struct AlertInfo {
  const char* kind = "";           // string literal: "brute_force", "port_scan", "syn_flood"...
  TimestampNs ts = 0;              // when the threshold was crossed
  const IpAddress* src = nullptr;  // the source the alert is about, when there is one
  const IpAddress* dst = nullptr;  // the target, when there is one
  uint64_t count = 0;              // what crossed the threshold (failures, ports, SYNs...)
  TimestampNs window = 0;          // the sliding window the count is over
  std::string_view detail;         // one readable sentence
  EventPool* pool = nullptr;       // the detector's event memory, if it has one
};

// event:"alert", ts, kind, src_ip, dst_ip (when set), count, window (seconds), detail.
// Detectors add their own fields (users, service, ports...) with Event::set.
Event make_alert_event(const AlertInfo& alert);

}  // namespace netsift
