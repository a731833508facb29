#include "analyzers/http/headers.h"

#include <cctype>

namespace netsift::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<Header> parse_header_block(std::string_view block) {
  std::vector<Header> out;
  size_t pos = 0;
  bool last_is_field = false;
  while (pos < block.size()) {
    size_t eol = block.find('\n', pos);
    if (eol == std::string_view::npos) eol = block.size();
    std::string_view line = block.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if ((line.front() == ' ' || line.front() == '\t')) {
      if (last_is_field) {
        std::string_view more = trim(line);
        if (!more.empty()) {
          if (!out.back().value.empty()) out.back().value += ' ';
          out.back().value += more;
        }
      }
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      last_is_field = false;
      continue;
    }
    std::string_view name = trim(line.substr(0, colon));
    if (name.empty()) {
      last_is_field = false;
      continue;
    }
    Header h;
    h.name.assign(name);
    for (char& c : h.name) c = char(std::tolower(static_cast<unsigned char>(c)));
    h.value.assign(trim(line.substr(colon + 1)));
    out.push_back(std::move(h));
    last_is_field = true;
  }
  return out;
}

std::string_view find_header(const std::vector<Header>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (h.name == name) return h.value;
  }
  return {};
}

}  // namespace netsift::http
