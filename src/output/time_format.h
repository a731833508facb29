// Formats timestamps for text output. The calendar form is cached per second, so a
// stream of packets costs one conversion per second of traffic, not per packet.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/timestamp.h"

namespace netsift {

class TimeFormatter {
 public:
  explicit TimeFormatter(bool utc) : utc_(utc) {}
  // "2016-07-21 21:19:32" (UTC or local time).
  std::string_view calendar(TimestampNs ts);
  // "1469135972.460123" into out (at least 32 bytes); returns length.
  static size_t epoch_micros(TimestampNs ts, char* out);

 private:
  bool utc_;
  int64_t cached_second_ = INT64_MIN;
  char text_[32] = {};
  size_t len_ = 0;
};

}  // namespace netsift
