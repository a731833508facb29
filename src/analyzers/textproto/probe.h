// Content probes shared by the text protocols. A probe sees one direction from its
// first byte; these helpers read its lines without copying. Server greetings are
// ambiguous ("220 " opens both SMTP and FTP), so analyzers answer Maybe to them and let
// the client's commands, or the server's later replies, decide.
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

#include "analyzers/analyzer.h"

namespace netsift::textproto {

// The complete lines (CR LF / LF stripped) at the start of `s`, at most `max_lines`.
// Calls `f(line)` for each until it returns a Confidence other than Maybe, which is
// returned; Maybe when the lines run out (or `partial` says how a last incomplete line
// reads: see below).
template <typename F>
Confidence for_lines(std::string_view s, size_t max_lines, F&& f) {
  size_t pos = 0;
  for (size_t n = 0; n < max_lines; ++n) {
    size_t eol = s.find('\n', pos);
    if (eol == std::string_view::npos) return Confidence::Maybe;
    std::string_view line = s.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Confidence c = f(line, n);
    if (c != Confidence::Maybe) return c;
    pos = eol + 1;
  }
  return Confidence::No;
}

// Whether the incomplete text `s` (no LF yet) can still become a line starting with one
// of `words`, compared without case: Maybe when it can, No otherwise.
Confidence prefix_of_any(std::string_view s, std::initializer_list<std::string_view> words);

// A probe's usual course: while the first line is incomplete (no LF yet), whether it
// can still start with one of `prefixes` (prefix_of_any); then for_lines().
template <typename F>
Confidence probe_lines(std::string_view s, std::initializer_list<std::string_view> prefixes,
                       size_t max_lines, F&& f) {
  if (s.find('\n') == std::string_view::npos) return prefix_of_any(s, prefixes);
  return for_lines(s, max_lines, std::forward<F>(f));
}

// The first word of `line` (up to a space) compared without case.
bool word_is(std::string_view line, std::string_view word);

}  // namespace netsift::textproto
