#include "detect/auth_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "core/wire_text.h"
#include "output/time_format.h"

namespace netsift {
namespace {

// A user name as a person reads it in the table, where two names that look alike must
// not read alike ("admin" and "\u0430dmin" with a Cyrillic a, or "admin\u200b" with a
// zero-width space, would otherwise both show as admin): printable ASCII and the
// accented Latin letters of people's names (U+00C0-U+024F: "jürgen") as they are, every
// other character as \uXXXX, and invalid UTF-8 and control bytes as \xNN, as in session
// payload. The JSON events carry the exact bytes.
void user_cell(const std::string& user, std::string& out) {
  ByteView bytes(reinterpret_cast<const uint8_t*>(user.data()), user.size());
  if (!is_clean_utf8(bytes)) return escape_bytes(bytes, out);
  out.clear();
  for (size_t i = 0; i < user.size();) {
    const uint8_t c = bytes[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) {
        out += fmt::format("\\x{:02x}", c);
      } else if (c == '\\') {
        out += "\\\\";  // so that a name spelled "\u0430" cannot pass for an escape
      } else {
        out.push_back(char(c));
      }
      ++i;
      continue;
    }
    const size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;  // clean UTF-8: a whole sequence
    uint32_t cp = c & (0xff >> (n + 1));
    for (size_t k = 1; k < n; ++k) cp = cp << 6 | (bytes[i + k] & 0x3f);
    if (cp >= 0xc0 && cp <= 0x24f) {
      out.append(user, i, n);
    } else {
      out += fmt::format("\\u{:04x}", cp);
    }
    i += n;
  }
}

// Columns as wide as the characters shown: UTF-8 continuation bytes take no column.
size_t columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

}  // namespace

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
    user_cell(user, user_text);
    Line l{{to_string(src), service, user_text.empty() ? "\"\"" : user_text,
            std::string(auth_result_name(result)), std::to_string(row.count),
            std::string(time.calendar(row.first)), std::string(time.calendar(row.last))}};
    lines.push_back(std::move(l));
  }
  size_t width[7] = {};
  for (const auto& l : lines) {
    for (int i = 0; i < 7; ++i) width[i] = std::max(width[i], columns(l.cells[i]));
  }
  std::string out = "Login attempts by source, service, user and result:\n";
  for (const auto& l : lines) {
    out += " ";
    for (int i = 0; i < 7; ++i) {
      // COUNT right-aligned, the rest left-aligned; no trailing blanks.
      const std::string& cell = l.cells[i];
      std::string pad(width[i] - columns(cell), ' ');
      if (i == 4) {
        out += " " + pad + cell;
      } else if (i == 6) {
        out += " " + cell;
      } else {
        out += " " + cell + pad;
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
