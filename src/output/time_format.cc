#include "output/time_format.h"

#include <fmt/format.h>

#include <cstring>
#include <ctime>

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
  uint32_t micros = uint32_t(nanos_part(ts) / 1000);
  fmt::format_int whole(sec);
  std::memcpy(out, whole.data(), whole.size());
  char* p = out + whole.size();
  *p++ = '.';
  for (int i = 5; i >= 0; --i) {
    p[i] = char('0' + micros % 10);
    micros /= 10;
  }
  return whole.size() + 7;
}

}  // namespace netsift
