#include "analyzers/textproto/reply.h"

#include "analyzers/textproto/text.h"

namespace netsift::textproto {

namespace {
constexpr size_t kMaxReplyText = 200;
}

std::string Reply::reason() const {
  std::string r = std::to_string(code);
  if (!text.empty()) r += ' ' + text;
  return r;
}

uint16_t reply_code(std::string_view line) {
  if (line.size() < 3) return 0;
  for (size_t i = 0; i < 3; ++i) {
    if (line[i] < '0' || line[i] > '9') return 0;
  }
  if (line[0] < '1' || line[0] > '5') return 0;
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return 0;
  return uint16_t((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
}

ReplyReader::Status ReplyReader::feed(std::string_view line) {
  uint16_t code = reply_code(line);
  if (multiline_) {
    // Ends at the same code followed by a space (or nothing); anything else is inside.
    if (code == reply_.code && (line.size() == 3 || line[3] == ' ')) {
      multiline_ = false;
      return Status::Complete;
    }
    return Status::Partial;
  }
  if (!code) return Status::Bad;
  reply_.code = code;
  reply_.text =
      wire_text(trim(line.size() > 4 ? line.substr(4) : std::string_view()), kMaxReplyText);
  multiline_ = line.size() > 3 && line[3] == '-';
  return multiline_ ? Status::Partial : Status::Complete;
}

}  // namespace netsift::textproto
