// The session engine's "now": how far the capture has progressed, which is what flow
// and fragment timeouts are measured against. It follows packet time while packets come
// in time order, but one packet's jump does not move it: a step back (files merged or
// spliced out of order) re-bases without going back, and a forward jump of more than a
// second counts only once the next packet confirms it (a lone packet stamped days ahead
// is ignored). Live capture also moves it with the wall clock when no packet comes.
#pragma once

#include "core/timestamp.h"

namespace netsift {

class CaptureClock {
 public:
  static constexpr TimestampNs kMaxUnconfirmedStep = kNsPerSec;

  // A packet's timestamp; returns the progress time (never decreasing).
  TimestampNs on_packet(TimestampNs ts);
  // Live capture: the wall clock while no packet arrives.
  TimestampNs on_wall_time(TimestampNs wall);
  TimestampNs now() const { return now_; }
  // What the last packet's flows are stamped with: the progress time, or during a jump
  // not yet confirmed what it will be once confirmed. A flow that the first packet after
  // a real jump (captures merged with a gap) starts must not look idle since before the
  // gap once the next packet confirms it; if the jump is not confirmed, the flow table
  // pulls such stamps back (FlowTable::advance_time).
  TimestampNs stamp() const { return pending_ ? now_ + (pending_ts_ - last_ts_) : now_; }
  // A new, independent capture starts (the next -r file).
  void reset() { *this = CaptureClock(); }

 private:
  void step_to(TimestampNs ts);

  bool started_ = false;
  TimestampNs last_ts_ = 0;  // the packet time progress was last measured from
  TimestampNs now_ = 0;
  bool pending_ = false;  // a forward jump waiting for confirmation
  TimestampNs pending_ts_ = 0;
};

}  // namespace netsift
