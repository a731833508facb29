#include "detect/auth_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "output/time_format.h"

namespace netsift {

void AuthSummary::add(const AuthObservation& a) {
  Key key{a.src, std::string(a.service), std::string(a.user), a.result};
  auto it = rows_.find(key);
  if (it == rows_.end()) {
    if (rows_.size() >= max_rows_) {
      ++untracked_;
      return;
    }
    it = rows_.emplace(std::move(key), Row{0, a.ts, a.ts, a.dst, true}).first;
  }
  Row& r = it->second;
  ++r.count;
  r.first = std::min(r.first, a.ts);
  r.last = std::max(r.last, a.ts);
  if (r.server != a.dst) r.one_server = false;
}

void AuthSummary::emit(EventSink& out) const {
  for (const auto& [key, row] : rows_) {
    const auto& [src, service, user, result] = key;
    Event e("auth_summary", row.last);
    e.set("src_ip", src);
    if (row.one_server && !row.server.empty()) e.set("dst_ip", row.server);
    e.set("service", service);
    e.set("user", user);
    e.set("result", auth_result_name(result));
    e.set("count", row.count);
    e.set_time("first", row.first);
    e.set_time("last", row.last);
    out.emit(e);
  }
}

std::string AuthSummary::table(bool utc) const {
  struct Line {
    std::string cells[7];
  };
  std::vector<Line> lines;
  lines.push_back({{"SOURCE", "SERVICE", "USER", "RESULT", "COUNT", "FIRST", "LAST"}});
  TimeFormatter time(utc);
  std::string user_text;
  for (const auto& [key, row] : rows_) {
    const auto& [src, service, user, result] = key;
    escape_bytes(ByteView(reinterpret_cast<const uint8_t*>(user.data()), user.size()), user_text);
    Line l{{to_string(src), service, user_text.empty() ? "\"\"" : user_text,
            std::string(auth_result_name(result)), std::to_string(row.count),
            std::string(time.calendar(row.first)), std::string(time.calendar(row.last))}};
    lines.push_back(std::move(l));
  }
  size_t width[7] = {};
  for (const auto& l : lines) {
    for (int i = 0; i < 7; ++i) width[i] = std::max(width[i], l.cells[i].size());
  }
  std::string out = "Login attempts by source, service, user and result:\n";
  for (const auto& l : lines) {
    out += " ";
    for (int i = 0; i < 7; ++i) {
      // COUNT right-aligned, the rest left-aligned; no trailing blanks.
      if (i == 4) {
        out += fmt::format(" {:>{}}", l.cells[i], width[i]);
      } else if (i == 6) {
        out += " " + l.cells[i];
      } else {
        out += fmt::format(" {:<{}}", l.cells[i], width[i]);
      }
    }
    out += "\n";
  }
  if (untracked_) {
    out += fmt::format("  ({} more attempts not itemized: the summary holds at most {} rows)\n",
                       untracked_, max_rows_);
  }
  return out;
}

}  // namespace netsift
