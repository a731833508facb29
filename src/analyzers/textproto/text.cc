#include "analyzers/textproto/text.h"

#include <nettle/base64.h>

#include "core/wire_text.h"
#include "events/event.h"

namespace netsift::textproto {

namespace {
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view first_word(std::string_view line, std::string_view& rest) {
  size_t sp = line.find(' ');
  std::string_view word = line.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp);
  size_t start = rest.find_first_not_of(' ');
  rest = start == std::string_view::npos ? std::string_view() : rest.substr(start);
  return word;
}

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::optional<std::string> base64_decode(std::string_view text) {
  text = trim(text);
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
  }
  // Nettle wants the padding; SASL peers sometimes leave it out.
  std::string padded(text);
  size_t data = padded.find('=');
  if (data != std::string::npos && padded.find_first_not_of('=', data) != std::string::npos)
    return std::nullopt;  // '=' only at the end
  if ((data == std::string::npos ? padded.size() : data) % 4 == 1) return std::nullopt;
  while (padded.size() % 4) padded.push_back('=');
  std::string out(BASE64_DECODE_LENGTH(padded.size()), '\0');
  base64_decode_ctx ctx;
  base64_decode_init(&ctx);
  size_t len = out.size();
  if (!base64_decode_update(&ctx, &len, reinterpret_cast<uint8_t*>(out.data()), padded.size(),
                            padded.data()) ||
      !base64_decode_final(&ctx))
    return std::nullopt;
  out.resize(len);
  return out;
}

std::string wire_text(std::string_view bytes, size_t max) {
  return netsift::wire_text(as_bytes(bytes.substr(0, max)));
}

std::string hex(std::string_view bytes) {
  return hex_string(as_bytes(bytes));
}

std::optional<uint64_t> parse_count(std::string_view s, uint64_t max) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + uint64_t(c - '0');
    if (v > max) return std::nullopt;
  }
  return v;
}

std::string cut_command(std::string_view line) {
  std::string_view args;
  std::string_view verb = first_word(line, args);
  std::string out(verb);
  if (iequals(verb, "AUTH")) {
    std::string_view rest;
    std::string_view mech = first_word(args, rest);
    // The mechanism's name is whole only when something follows it.
    if (!mech.empty() && mech.data() + mech.size() < line.data() + line.size()) {
      out.append(" ").append(mech);
      if (!trim(rest).empty()) out.append(" =");
    }
  }
  return out;
}

bool looks_like_command(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] >= 'A' && line[n] <= 'Z') ++n;
  return n >= 3 && n <= 12 && (n == line.size() || line[n] == ' ');
}

}  // namespace netsift::textproto
