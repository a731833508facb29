#include "output/time_format.h"

#include <ctime>

#include <fmt/format.h>

namespace netsift {

std::string_view TimeFormatter::calendar(TimestampNs ts) {
  int64_t sec = seconds_part(ts);
  if (sec != cached_second_) {
    cached_second_ = sec;
    time_t t = time_t(sec);
    struct tm tm {};
    if (utc_) {
      gmtime_r(&t, &tm);
    } else {
      localtime_r(&t, &tm);
    }
    len_ = strftime(text_, sizeof text_, "%Y-%m-%d %H:%M:%S", &tm);
  }
  return {text_, len_};
}

size_t TimeFormatter::epoch_micros(TimestampNs ts, char* out) {
  int64_t sec = seconds_part(ts);
  int64_t micros = nanos_part(ts) / 1000;
  auto end = fmt::format_to(out, "{}.{:06}", sec, micros);
  return size_t(end - out);
}

}  // namespace netsift
