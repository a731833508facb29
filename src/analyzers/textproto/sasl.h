// One SASL exchange (RFC 4422) as SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE carry it:
// a mechanism name, an optional initial response, then base64 server challenges and
// client responses. Turns what it saw into the auth event's user, password (PLAIN,
// LOGIN), credential and hashcat line (CRAM-MD5, mode 10200), or the user name the
// other common mechanisms reveal (XOAUTH2, OAUTHBEARER, SCRAM-*, DIGEST-MD5).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analyzers/auth_event.h"

namespace netsift::textproto {

class SaslExchange {
 public:
  // `initial` is the client's initial response as sent ("=" is an empty one).
  void start(std::string_view mechanism, std::optional<std::string_view> initial);
  // The server's challenge (base64 text after "334 " or "+ ").
  void challenge(std::string_view text);
  // The client's answer line; "*" cancels the exchange.
  void response(std::string_view text);
  // An answer line lost in a capture gap: counted, so that the next one is not taken
  // for it (a LOGIN password for the user name).
  void lost_response() { ++responses_; }

  bool cancelled() const { return cancelled_; }
  // Nothing went past the mechanism name (no initial response, no challenge, no
  // cancel): a refusal now tried no credential.
  bool nothing_sent() const { return responses_ == 0 && !challenged_ && !cancelled_; }
  // A response or challenge that is not base64, or a message of the wrong shape.
  bool malformed() const { return malformed_; }
  // user, password, mechanism, credential and hash from what was seen so far.
  void fill(AuthAttempt& attempt) const;

 private:
  enum class Mech { Plain, Login, CramMd5, DigestMd5, XOauth2, OauthBearer, Scram, Other };
  void client_message(const std::string& msg);

  Mech mech_ = Mech::Other;
  std::string mechanism_;
  std::string user_;
  std::optional<std::string> password_;
  std::string authzid_;
  std::string challenge_;  // CRAM-MD5: the decoded challenge
  std::string response_;   // CRAM-MD5: the decoded "user digest"
  std::string digest_;     // CRAM-MD5: the hex digest of the response
  int responses_ = 0;
  bool challenged_ = false;
  bool cancelled_ = false;
  bool malformed_ = false;
};

}  // namespace netsift::textproto
