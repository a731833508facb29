// Numbered replies of FTP (RFC 959 4.2) and SMTP (RFC 5321 4.2): "CODE text", or a
// multi-line reply "CODE-text" ... ending at a line "CODE text" (or "CODE" alone) with
// the same code. FTP lets the lines in between say anything; SMTP numbers them all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace netsift::textproto {

struct Reply {
  uint16_t code = 0;  // 100-599
  std::string text;   // the first line's text, bounded (for `reason`)
  // "530 Login incorrect.": code and text as the event's reason.
  std::string reason() const;
};

class ReplyReader {
 public:
  enum class Status { Partial, Complete, Bad };
  // One line of the server's direction. Complete: `reply()` holds a whole reply. Bad: the
  // line is not a reply (no code where one must be); nothing is kept.
  Status feed(std::string_view line);
  const Reply& reply() const { return reply_; }
  bool in_multiline() const { return multiline_; }
  void reset() { multiline_ = false; }

 private:
  Reply reply_;
  bool multiline_ = false;
};

// The three-digit code at the start of `line` followed by ' ', '-' or the end; 0 if none.
uint16_t reply_code(std::string_view line);

}  // namespace netsift::textproto
