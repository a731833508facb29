// Credentials in an HTTP Authorization / Proxy-Authorization value (RFC 7235): Basic
// (RFC 7617: user and password), Digest (RFC 7616: user and the response fields an
// offline check needs), NTLM (the user and domain of the AUTHENTICATE message; the
// NEGOTIATE message carries none) and Bearer or any other scheme (the scheme only).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netsift::http {

struct HttpCredentials {
  std::string scheme;  // "Basic", "Digest", "NTLM", "Bearer", or as sent
  std::string user;
  std::optional<std::string> password;
  std::vector<std::pair<std::string, std::string>> credential;  // Digest fields, NTLM domain
  bool valid = true;  // false: the scheme's data could not be decoded
};

// nullopt when the value carries no login attempt (empty, or an NTLM NEGOTIATE).
std::optional<HttpCredentials> parse_authorization(std::string_view value);

}  // namespace netsift::http
