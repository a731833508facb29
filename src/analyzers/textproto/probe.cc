#include "analyzers/textproto/probe.h"

#include "analyzers/textproto/text.h"

namespace netsift::textproto {

Confidence prefix_of_any(std::string_view s, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    size_t n = std::min(s.size(), w.size());
    if (iequals(s.substr(0, n), w.substr(0, n))) return Confidence::Maybe;
  }
  return Confidence::No;
}

bool word_is(std::string_view line, std::string_view word) {
  return istarts_with(line, word) && (line.size() == word.size() || line[word.size()] == ' ');
}

}  // namespace netsift::textproto
