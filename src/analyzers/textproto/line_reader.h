// Line framing shared by the text protocols (SMTP, FTP, POP3, IMAP): one direction's
// bytes cut into lines ending in LF or CR LF, without copying. A line longer than the
// limit is reported once and skipped up to its end, so memory stays bounded whatever
// the peer sends. The analyzer keeps one LineReader per direction and hands back the
// engine's NeedMore tail unchanged.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/bytes.h"

namespace netsift::textproto {

class LineReader {
 public:
  enum class Status { Line, NeedMore, TooLong };

  explicit LineReader(size_t max_line) : max_line_(max_line) {}

  // The next complete line of data[pos...] (without its CR LF / LF) in `line`, `pos`
  // moved past it. NeedMore: no complete line yet; data[pos...] is to be kept (NeedMore
  // tail) unless it is being skipped. TooLong: a line over the limit, skipped (its end
  // may still be to come: later calls drop bytes up to it).
  Status next(ByteView data, size_t& pos, std::string_view& line) {
    std::string_view s = as_chars(data);
    while (pos < s.size()) {
      size_t eol = s.find('\n', pos);
      if (skipping_) {
        if (eol == std::string_view::npos) {
          pos = s.size();
          return Status::NeedMore;
        }
        skipping_ = false;
        pos = eol + 1;
        continue;
      }
      if (eol == std::string_view::npos) {
        if (s.size() - pos <= max_line_) return Status::NeedMore;
        skipping_ = true;
        pos = s.size();
        return Status::TooLong;
      }
      size_t len = eol - pos;
      size_t start = pos;
      pos = eol + 1;
      if (len > max_line_) return Status::TooLong;
      line = s.substr(start, len);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return Status::Line;
    }
    return Status::NeedMore;
  }

  // After a gap the next bytes start anywhere in a line: drop them up to the next LF.
  void resync() { skipping_ = true; }
  bool skipping() const { return skipping_; }

 private:
  size_t max_line_;
  bool skipping_ = false;
};

}  // namespace netsift::textproto
