#include "analyzers/textproto/sasl.h"

#include "analyzers/textproto/text.h"
#include "core/base64.h"

namespace netsift::textproto {

namespace {
constexpr size_t kMaxField = 256;

ByteView bytes_of(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// SCRAM and GS2 escape ',' and '=' in names as "=2C" and "=3D" (RFC 5802 5.1).
std::string unescape_saslname(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 3) == "=2C") {
      out += ',', i += 2;
    } else if (s.substr(i, 3) == "=3D") {
      out += '=', i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The value of `key=` in a GS2 header / SCRAM message ("n,a=user,..." / "n=user,r=...").
std::optional<std::string_view> attribute(std::string_view msg, std::string_view key) {
  size_t pos = 0;
  while (pos <= msg.size()) {
    size_t end = msg.find_first_of(",\x01", pos);
    std::string_view part = msg.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (part.size() > key.size() && part.starts_with(key) && part[key.size()] == '=')
      return part.substr(key.size() + 1);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}
}  // namespace

void SaslExchange::start(std::string_view mechanism, std::optional<std::string_view> initial) {
  *this = SaslExchange();
  mechanism_ = wire_text(mechanism, 40);
  for (char& c : mechanism_) {
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  }
  std::string_view m = mechanism_;
  if (m == "PLAIN") {
    mech_ = Mech::Plain;
  } else if (m == "LOGIN") {
    mech_ = Mech::Login;
  } else if (m == "CRAM-MD5") {
    mech_ = Mech::CramMd5;
  } else if (m == "DIGEST-MD5") {
    mech_ = Mech::DigestMd5;
  } else if (m == "XOAUTH2") {
    mech_ = Mech::XOauth2;
  } else if (m == "OAUTHBEARER") {
    mech_ = Mech::OauthBearer;
  } else if (m.starts_with("SCRAM-")) {
    mech_ = Mech::Scram;
  }
  if (initial) response(*initial);
}

void SaslExchange::challenge(std::string_view text) {
  challenged_ = true;
  if (mech_ != Mech::CramMd5 || responses_ > 0) return;
  auto decoded = base64_decode(text);
  if (!decoded) {
    malformed_ = true;
    return;
  }
  challenge_ = decoded->substr(0, 1024);
}

void SaslExchange::response(std::string_view text) {
  text = trim(text);
  if (text == "*") {
    cancelled_ = true;
    return;
  }
  ++responses_;
  if (text == "=") {  // an empty initial response
    client_message({});
    return;
  }
  auto decoded = base64_decode(text);
  if (!decoded) {
    malformed_ = true;
    return;
  }
  client_message(*decoded);
}

void SaslExchange::client_message(const std::string& msg) {
  switch (mech_) {
    case Mech::Plain: {
      // authzid NUL authcid NUL passwd (RFC 4616)
      if (msg.empty()) return;  // the server will ask (empty initial response)
      size_t a = msg.find('\0');
      size_t b = a == std::string::npos ? a : msg.find('\0', a + 1);
      if (b == std::string::npos) {
        malformed_ = true;
        return;
      }
      authzid_ = wire_text(std::string_view(msg).substr(0, a), kMaxField);
      user_ = wire_text(std::string_view(msg).substr(a + 1, b - a - 1), kMaxField);
      password_ = wire_text(std::string_view(msg).substr(b + 1), kMaxField);
      break;
    }
    case Mech::Login:
      // First the user name, then the password (draft-murchison-sasl-login).
      if (responses_ == 1) {
        user_ = wire_text(msg, kMaxField);
      } else if (responses_ == 2) {
        password_ = wire_text(msg, kMaxField);
      }
      break;
    case Mech::CramMd5: {
      // "user SP 32 lower-case hex digits" (RFC 2195)
      size_t sp = msg.rfind(' ');
      if (sp == std::string::npos) {
        malformed_ = true;
        return;
      }
      response_ = msg.substr(0, 1024);
      user_ = wire_text(std::string_view(msg).substr(0, sp), kMaxField);
      digest_ = wire_text(std::string_view(msg).substr(sp + 1), 64);
      break;
    }
    case Mech::DigestMd5: {
      // The client's digest-response carries username="..." (RFC 2831 2.1.2).
      size_t p = msg.find("username=\"");
      if (p == std::string::npos) return;
      p += 10;
      size_t q = msg.find('"', p);
      if (q != std::string::npos)
        user_ = wire_text(std::string_view(msg).substr(p, q - p), kMaxField);
      break;
    }
    case Mech::XOauth2:
      // "user=" user ^A "auth=Bearer " token ^A ^A
      if (auto u = attribute(msg, "user")) user_ = wire_text(*u, kMaxField);
      break;
    case Mech::OauthBearer:
    case Mech::Scram:
      // GS2 header "n,a=authzid," (OAUTHBEARER) / client-first "n,,n=user,r=..." (SCRAM)
      if (responses_ == 1) {
        if (auto u = attribute(msg, mech_ == Mech::Scram ? "n" : "a"))
          user_ = wire_text(unescape_saslname(*u), kMaxField);
      }
      break;
    case Mech::Other:
      break;
  }
}

void SaslExchange::fill(AuthAttempt& a) const {
  a.mechanism = mechanism_;
  a.user = user_;
  a.password = password_;
  a.credential.clear();
  a.hash.clear();
  a.hash_mode = 0;
  if (!authzid_.empty() && authzid_ != user_) a.credential.emplace_back("authzid", authzid_);
  if (mech_ == Mech::CramMd5 && !challenge_.empty() && !response_.empty()) {
    a.credential.emplace_back("challenge", wire_text(challenge_, 1024));
    a.credential.emplace_back("response", digest_);
    // hashcat -m 10200: $cram_md5$<base64 challenge>$<base64 "user digest">
    a.hash = "$cram_md5$" + base64_encode(bytes_of(challenge_)) + "$" +
             base64_encode(bytes_of(response_));
    a.hash_mode = 10200;
  }
}

}  // namespace netsift::textproto
