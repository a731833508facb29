#include "analyzers/redis/resp_reader.h"

#include <algorithm>
#include <cstring>

namespace netsift::redis {
namespace {

// A decimal length or count; "-1" (null) is handled by the caller. Up to 2^53: larger
// is not a length any peer could send.
bool parse_length(std::string_view s, uint64_t& v) {
  if (s.empty() || s.size() > 16) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  return v <= (uint64_t(1) << 53);
}

void append_capped(std::string* to, std::string_view s) {
  if (!to || to->size() >= kMaxItemBytes) return;
  to->append(s.substr(0, kMaxItemBytes - to->size()));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

RespReader::Result RespReader::fail(Problem p, std::string_view why, size_t consumed) {
  problem_ = p;
  error_.assign(why);
  return {Status::Error, consumed};
}

RespReader::Result RespReader::next(ByteView data) {
  if (problem_ != Problem::None) return {Status::Error, 0};
  if (complete_) {
    complete_ = false;
    started_ = false;
    msg_.type = 0;
    msg_.text.clear();
    msg_.count = 0;
    for (size_t i = 0; i < msg_.items; ++i) msg_.item[i].clear();
    msg_.items = 0;
    element_ = 0;
  }
  const char* p = reinterpret_cast<const char*>(data.data());
  const size_t size = data.size();
  size_t pos = 0;
  for (;;) {
    if (body_left_) {
      size_t n = size_t(std::min<uint64_t>(body_left_, size - pos));
      append_capped(capture_, std::string_view(p + pos, n));
      pos += n;
      body_left_ -= n;
      if (body_left_) return {Status::NeedMore, pos};
    }
    while (crlf_left_) {
      if (pos == size) return {Status::NeedMore, pos};
      if (p[pos] != (crlf_left_ == 2 ? '\r' : '\n')) {
        return fail(Problem::BadMessage, "bulk string not followed by CR LF", pos);
      }
      ++pos;
      if (--crlf_left_ == 0 && !streamed_string_) value_done();
    }
    if (complete_) return {Status::Message, pos};
    const void* nl = pos < size ? std::memchr(p + pos, '\n', size - pos) : nullptr;
    size_t eol = nl ? size_t(static_cast<const char*>(nl) - p) : size;
    if (eol - pos > kMaxLine) return fail(Problem::LineTooLong, "line longer than 16 KiB", pos);
    if (!nl) return {Status::NeedMore, pos};
    std::string_view l(p + pos, eol - pos);
    pos = eol + 1;
    if (!line(l)) return {Status::Error, pos};
    if (complete_) return {Status::Message, pos};
  }
}

std::string* RespReader::capture_target() {
  if (depth_ == 0) return &msg_.text;
  if (depth_ == 1 && !stack_[0].attribute && msg_.items < kMaxItems) {
    msg_.item_type[msg_.items] = type_;
    msg_.item_element[msg_.items] = element_ - 1;
    return &msg_.item[msg_.items++];
  }
  return nullptr;
}

void RespReader::scalar(std::string_view text) {
  append_capped(capture_target(), text);
  value_done();
}

bool RespReader::start_string(uint64_t length) {
  capture_ = capture_target();
  body_left_ = length;
  crlf_left_ = 2;
  return true;
}

void RespReader::value_done() {
  capture_ = nullptr;
  for (;;) {
    if (depth_ == 0) {
      complete_ = true;
      return;
    }
    Frame& f = stack_[depth_ - 1];
    if (f.left == kStreamed || --f.left > 0) return;
    bool attribute = f.attribute;
    --depth_;
    if (attribute) {
      // An attribute only annotates the value that follows: at top level, that value is
      // the message; nested, it is not an element of its parent.
      if (depth_ == 0) started_ = false, msg_.items = 0, msg_.count = 0, element_ = 0;
      return;
    }
  }
}

bool RespReader::line(std::string_view l) {
  if (!started_) {
    if (inline_ && (l.empty() || l[0] != '*')) {
      if (l.empty() || (l.size() == 1 && l[0] == '\r')) return true;  // redis-server skips
      return split_inline(l);
    }
    started_ = true;
    msg_.type = l.empty() ? 0 : l[0];
  }
  if (l.empty() || l.back() != '\r') {
    problem_ = Problem::BadMessage;
    error_ = "RESP line not ended by CR LF";
    return false;
  }
  l.remove_suffix(1);
  if (l.empty()) {
    problem_ = Problem::BadMessage;
    error_ = "empty RESP line";
    return false;
  }
  auto bad = [&](const char* why) {
    problem_ = Problem::BadMessage;
    error_ = why;
    return false;
  };
  const char t = l[0];
  std::string_view rest = l.substr(1);
  if (!streamed_string_) {
    type_ = t;
    if (depth_ == 1 && !stack_[0].attribute && t != '|' && t != '.') ++element_;
  }
  if (streamed_string_) {
    uint64_t n = 0;
    if (t != ';' || !parse_length(rest, n)) return bad("bad chunk in a streamed string");
    if (n == 0) {
      streamed_string_ = false;
      value_done();
    } else {
      body_left_ = n;
      crlf_left_ = 2;
    }
    return true;
  }
  uint64_t n = 0;
  switch (t) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      scalar(rest);
      return true;
    case '$':
    case '!':
    case '=':
      if (rest == "-1") {
        scalar({});
        return true;
      }
      if (t == '$' && rest == "?") {
        streamed_string_ = true;
        capture_ = capture_target();
        return true;
      }
      if (!parse_length(rest, n)) return bad("bad bulk string length");
      return start_string(n);
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      bool pairs = t == '%' || t == '|';
      if (rest == "-1") {
        scalar({});
        return true;
      }
      if (rest == "?") {
        n = kStreamed;
      } else if (!parse_length(rest, n) || n > (uint64_t(1) << 32)) {
        return bad("bad aggregate length");
      }
      if (depth_ == 0 && t != '|') msg_.count = n;
      if (n != kStreamed && pairs) n *= 2;
      if (n == 0) {
        if (t != '|') {
          value_done();
        } else if (depth_ == 0) {
          started_ = false;
        }
        return true;
      }
      if (depth_ == kMaxDepth) {
        problem_ = Problem::TooDeep;
        error_ = "aggregates nested deeper than 32";
        return false;
      }
      stack_[depth_++] = Frame{n, t == '|'};
      return true;
    }
    case '.':
      if (depth_ == 0 || stack_[depth_ - 1].left != kStreamed) return bad("unexpected end mark");
      stack_[depth_ - 1].left = 1;  // the end mark closes the aggregate as a last element would
      value_done();
      return true;
    default:
      return bad("unknown RESP type");
  }
}

// Inline commands are split as redis-server's sdssplitargs does: blanks separate words,
// "double quotes" take \n \r \t \b \a \xHH and \c escapes, 'single quotes' take \'.
bool RespReader::split_inline(std::string_view l) {
  if (l.back() == '\r') l.remove_suffix(1);
  msg_.type = 'i';
  size_t i = 0;
  const size_t n = l.size();
  auto unbalanced = [&] {
    problem_ = Problem::BadMessage;
    error_ = "unbalanced quotes";
    return false;
  };
  for (;;) {
    while (i < n && is_space(l[i])) ++i;
    if (i == n) break;
    std::string* word = msg_.items < kMaxItems ? &msg_.item[msg_.items++] : nullptr;
    ++msg_.count;
    auto put = [&](char c) { append_capped(word, std::string_view(&c, 1)); };
    bool dq = false, sq = false;
    for (;;) {
      if (dq || sq) {
        // The closing quote ends the word: a blank or the end must follow it.
        if (i == n) return unbalanced();
        if (l[i] == (dq ? '"' : '\'')) {
          if (i + 1 < n && !is_space(l[i + 1])) return unbalanced();
          ++i;
          break;
        }
        if (dq && l[i] == '\\' && i + 3 < n && l[i + 1] == 'x' && hex_value(l[i + 2]) >= 0 &&
            hex_value(l[i + 3]) >= 0) {
          put(char(hex_value(l[i + 2]) * 16 + hex_value(l[i + 3])));
          i += 4;
        } else if (dq && l[i] == '\\' && i + 1 < n) {
          char c = l[i + 1];
          put(c == 'n'   ? '\n'
              : c == 'r' ? '\r'
              : c == 't' ? '\t'
              : c == 'b' ? '\b'
              : c == 'a' ? '\a'
                         : c);
          i += 2;
        } else if (sq && l[i] == '\\' && i + 1 < n && l[i + 1] == '\'') {
          put('\'');
          i += 2;
        } else {
          put(l[i++]);
        }
      } else {
        if (i == n || is_space(l[i])) break;
        if (l[i] == '"') {
          dq = true;
        } else if (l[i] == '\'') {
          sq = true;
        } else {
          put(l[i]);
        }
        ++i;
      }
    }
  }
  complete_ = true;
  return true;
}

}  // namespace netsift::redis
