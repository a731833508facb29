#include "analyzers/http/http_auth.h"

#include <nettle/base64.h>

#include <cctype>
#include <cstdint>

#include "core/bytes.h"

namespace netsift::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool base64_decode(std::string_view in, std::string& out) {
  if (in.size() > 64 * 1024) return false;
  base64_decode_ctx ctx;
  base64_decode_init(&ctx);
  out.resize(BASE64_DECODE_LENGTH(in.size()) + 1);
  size_t len = out.size();
  if (!base64_decode_update(&ctx, &len, reinterpret_cast<uint8_t*>(out.data()), in.size(),
                            in.data()) ||
      !base64_decode_final(&ctx))
    return false;
  out.resize(len);
  return true;
}

// Digest auth-params: name=token or name="quoted string", comma-separated.
std::vector<std::pair<std::string, std::string>> auth_params(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < s.size() && out.size() < 32) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
    size_t eq = s.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name(trim(s.substr(i, eq - i)));
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    i = eq + 1;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i];
      }
      ++i;
    } else {
      size_t end = s.find(',', i);
      if (end == std::string_view::npos) end = s.size();
      value.assign(trim(s.substr(i, end - i)));
      i = end;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

// A security buffer of an NTLM message (MS-NLMP 2.2.2): length, max length, offset.
std::string ntlm_field(std::string_view msg, size_t at, bool unicode) {
  if (msg.size() < at + 8) return {};
  const auto* p = reinterpret_cast<const uint8_t*>(msg.data()) + at;
  size_t len = load_le16(p), off = load_le32(p + 4);
  if (off > msg.size() || len > msg.size() - off || len > 512) return {};
  std::string_view raw = msg.substr(off, len);
  if (!unicode) return std::string(raw);
  std::string out;
  for (size_t k = 0; k + 1 < raw.size(); k += 2) {
    unsigned c = uint8_t(raw[k]) | uint8_t(raw[k + 1]) << 8;
    if (c < 0x80) {
      out += char(c);
    } else if (c < 0x800) {
      out += char(0xc0 | c >> 6);
      out += char(0x80 | (c & 0x3f));
    } else {
      out += char(0xe0 | c >> 12);
      out += char(0x80 | ((c >> 6) & 0x3f));
      out += char(0x80 | (c & 0x3f));
    }
  }
  return out;
}

}  // namespace

std::optional<HttpCredentials> parse_authorization(std::string_view value) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  size_t sp = value.find_first_of(" \t");
  std::string_view scheme = value.substr(0, sp);
  std::string_view rest =
      sp == std::string_view::npos ? std::string_view() : trim(value.substr(sp));
  HttpCredentials c;
  c.scheme.assign(scheme.substr(0, 32));
  if (iequals(scheme, "Basic")) {
    c.scheme = "Basic";
    std::string decoded;
    if (!base64_decode(rest, decoded)) {
      c.valid = false;
      return c;
    }
    size_t colon = decoded.find(':');  // the password may itself hold colons
    if (colon == std::string::npos) {
      c.valid = false;
      c.user = decoded;
      return c;
    }
    c.user = decoded.substr(0, colon);
    c.password = decoded.substr(colon + 1);
    return c;
  }
  if (iequals(scheme, "Digest")) {
    c.scheme = "Digest";
    for (auto& [k, v] : auth_params(rest)) {
      if (k == "username") {
        c.user = v;
      } else if (k == "realm" || k == "nonce" || k == "uri" || k == "response" ||
                 k == "algorithm" || k == "qop" || k == "nc" || k == "cnonce" || k == "opaque") {
        c.credential.emplace_back(k, v);
      }
    }
    return c;
  }
  if (iequals(scheme, "NTLM") || iequals(scheme, "Negotiate")) {
    std::string msg;
    if (!base64_decode(rest, msg) || msg.size() < 12 ||
        msg.compare(0, 8, std::string("NTLMSSP\0", 8)) != 0) {
      // Negotiate may carry Kerberos: no user visible.
      if (iequals(scheme, "Negotiate")) return c;
      c.valid = false;
      return c;
    }
    c.scheme = iequals(scheme, "NTLM") ? "NTLM" : "Negotiate";
    uint32_t type = load_le32(reinterpret_cast<const uint8_t*>(msg.data()) + 8);
    if (type != 3) return std::nullopt;  // NEGOTIATE: the login is the later AUTHENTICATE
    uint32_t flags =
        msg.size() >= 64 ? load_le32(reinterpret_cast<const uint8_t*>(msg.data()) + 60) : 0;
    bool unicode = flags & 1;
    std::string domain = ntlm_field(msg, 28, unicode);
    c.user = ntlm_field(msg, 36, unicode);
    if (!domain.empty()) c.credential.emplace_back("domain", domain);
    std::string host = ntlm_field(msg, 44, unicode);
    if (!host.empty()) c.credential.emplace_back("workstation", host);
    return c;
  }
  return c;  // Bearer and others: the scheme is all that is visible
}

}  // namespace netsift::http
