#include "flow/capture_clock.h"

namespace netsift {

void CaptureClock::step_to(TimestampNs ts) {
  TimestampNs delta = ts - last_ts_;
  if (delta < 0) {
    last_ts_ = ts;  // back in time: measure from here on, without going back
  } else if (delta <= kMaxUnconfirmedStep) {
    now_ += delta;
    last_ts_ = ts;
  } else {
    pending_ = true;
    pending_ts_ = ts;
  }
}

TimestampNs CaptureClock::on_packet(TimestampNs ts) {
  if (!started_) {
    started_ = true;
    last_ts_ = now_ = ts;
    return now_;
  }
  if (pending_) {
    pending_ = false;
    // The capture stayed after the jump: it was real.
    if (ts >= pending_ts_ - kMaxUnconfirmedStep) {
      now_ += pending_ts_ - last_ts_;
      last_ts_ = pending_ts_;
    }
  }
  step_to(ts);
  return now_;
}

TimestampNs CaptureClock::on_wall_time(TimestampNs wall) {
  if (!started_) {
    started_ = true;
    last_ts_ = now_ = wall;
    return now_;
  }
  pending_ = false;
  if (wall > last_ts_) {
    now_ += wall - last_ts_;
    last_ts_ = wall;
  }
  return now_;
}

}  // namespace netsift
