// Line framing shared by the text protocols (SMTP, FTP, POP3, IMAP): one direction's
// bytes cut into lines ending in LF or CR LF, without copying. A line longer than the
// limit is reported once and skipped up to its end, so memory stays bounded whatever
// the peer sends. The analyzer keeps one LineReader per direction and hands back the
// engine's NeedMore tail unchanged.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace netsift::textproto {

class LineReader {
 public:
  enum class Status { Line, NeedMore, TooLong };

  // `starts_line`, if given, tells a line that can only be the start of one (a reply
  // code, a command verb): after a gap, bytes that begin with such a line are read from
  // there, instead of dropping them up to the next line end (a hole that ended where a
  // line did, as a capture cut by its snap length leaves, would cost the next line).
  using LineTest = bool (*)(std::string_view line);
  explicit LineReader(size_t max_line, LineTest starts_line = nullptr)
      : max_line_(max_line), starts_line_(starts_line) {}

  // The next complete line of data[pos...] (without its CR LF / LF) in `line`, `pos`
  // moved past it. NeedMore: no complete line yet; data[pos...] is to be kept (NeedMore
  // tail) unless it is being skipped. TooLong: a line over the limit, skipped (its end
  // may still be to come: later calls drop bytes up to it).
  Status next(ByteView data, size_t& pos, std::string_view& line) {
    std::string_view s = as_chars(data);
    while (pos < s.size()) {
      size_t eol = s.find('\n', pos);
      if (after_gap_) {
        // Enough of the first line to judge it (a reply code, a verb), else wait.
        if (eol == std::string_view::npos && s.size() - pos < kJudgedBytes && starts_line_) {
          partial_.clear();
          return Status::NeedMore;
        }
        after_gap_ = false;
        std::string_view first = s.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
        if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
        if (starts_line_ && starts_line_(first)) skipping_ = false;
      }
      if (skipping_) {
        if (eol == std::string_view::npos) {
          pos = s.size();
          partial_.clear();
          return Status::NeedMore;
        }
        skipping_ = false;
        pos = eol + 1;
        continue;
      }
      if (eol == std::string_view::npos) {
        if (s.size() - pos <= max_line_) {
          partial_.assign(s.substr(pos, std::min(s.size() - pos, kPartialKept)));
          return Status::NeedMore;
        }
        partial_.clear();
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
      partial_.clear();
      return Status::Line;
    }
    partial_.clear();
    return Status::NeedMore;
  }

  // The start (up to kPartialKept bytes) of the incomplete line the last NeedMore left,
  // empty if none. A gap cuts that line: its command verb or reply code is still known
  // (a capture cut by its snap length loses the rest of every long line).
  std::string_view partial() const { return partial_; }

  // After a gap the next bytes start anywhere in a line: drop them up to the next LF.
  void resync() {
    skipping_ = true;
    after_gap_ = true;
    partial_.clear();
  }
  // A gap in this direction: resync(), returning the start of the line it cut (partial()).
  std::string cut_by_gap() {
    std::string cut(partial_);
    resync();
    return cut;
  }
  bool skipping() const { return skipping_; }

 private:
  static constexpr size_t kPartialKept = 128;
  static constexpr size_t kJudgedBytes = 10;
  size_t max_line_;
  LineTest starts_line_;
  bool skipping_ = false;
  bool after_gap_ = false;  // the next bytes follow a gap: starts_line_ may resume at once
  std::string partial_;
};

}  // namespace netsift::textproto
