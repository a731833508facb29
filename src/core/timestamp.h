// Packet timestamps: nanoseconds since the Unix epoch, as a plain integer so that
// arithmetic (timeouts, durations) is exact and cheap.
#pragma once

#include <cstdint>

namespace netsift {

using TimestampNs = int64_t;

constexpr int64_t kNsPerSec = 1'000'000'000;

// Floors towards negative infinity so that pre-1970 stamps split correctly.
inline int64_t seconds_part(TimestampNs ts) {
  return ts >= 0 ? ts / kNsPerSec : -((-ts + kNsPerSec - 1) / kNsPerSec);
}
inline int64_t nanos_part(TimestampNs ts) {
  return ts - seconds_part(ts) * kNsPerSec;
}

}  // namespace netsift
