// PostgreSQL frontend/backend protocol messages of the startup phase (PostgreSQL
// documentation, "Frontend/Backend Protocol", chapters "Message Flow" and "Message
// Formats"): the untyped first messages (StartupMessage v3 and v2, SSLRequest,
// GSSENCRequest, CancelRequest), and the bodies of the typed messages that carry
// authentication (Authentication*, PasswordMessage, SASLInitialResponse, ErrorResponse).
// Parsers return views into the bytes they are given; every length is checked.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/bytes.h"

namespace netsift::pgsql {

inline constexpr uint32_t kSslRequest = 80877103;     // 1234 << 16 | 5679
inline constexpr uint32_t kGssEncRequest = 80877104;  // 1234 << 16 | 5680
inline constexpr uint32_t kCancelRequest = 80877102;  // 1234 << 16 | 5678
inline constexpr uint32_t kProtocol2 = 0x00020000;
inline constexpr uint32_t kMaxStartupLength = 10000;  // the server's own limit
inline constexpr uint32_t kProtocol2StartupLength = 296;

// Authentication request codes (the Int32 after 'R').
enum AuthCode : uint32_t {
  kAuthOk = 0,
  kAuthKerberosV5 = 2,
  kAuthCleartext = 3,
  kAuthMd5 = 5,
  kAuthScm = 6,
  kAuthGss = 7,
  kAuthGssContinue = 8,
  kAuthSspi = 9,
  kAuthSasl = 10,
  kAuthSaslContinue = 11,
  kAuthSaslFinal = 12,
};

// What the first 8 bytes of a client's untyped message say it is.
enum class FirstMessage : uint8_t { Invalid, Startup, Ssl, GssEnc, Cancel };
// `length` and `code` are the message's two leading Int32s.
FirstMessage classify_first(uint32_t length, uint32_t code);

struct Startup {
  uint32_t version = 0;  // 0x00030000 for 3.0
  ByteView user, database, application_name;
  std::vector<std::pair<ByteView, ByteView>> parameters;  // all of them, in order
};
// The whole StartupMessage, its length word included.
bool parse_startup(ByteView message, Startup& out);

struct ErrorFields {
  ByteView severity;  // 'V' (never localized) or else 'S'
  ByteView code;      // 'C', the SQLSTATE
  ByteView message;   // 'M'
};
// An ErrorResponse or NoticeResponse body (after type and length).
bool parse_error_fields(ByteView body, ErrorFields& out);

// SASLInitialResponse body: mechanism name, then the client-first message (length -1:
// none).
bool parse_sasl_initial(ByteView body, ByteView& mechanism, ByteView& data);

// An OAUTHBEARER client initial response (RFC 7628 section 3.1: a GS2 header, then
// key=value pairs each ended by 0x01, and a final 0x01), as PostgreSQL 18 carries it in
// the SASLInitialResponse: "n,,\x01auth=Bearer TOKEN\x01\x01".
struct OAuthBearer {
  ByteView authzid;  // the GS2 header's a= (escapes left as sent), usually empty
  bool has_auth = false;
  ByteView scheme;  // "Bearer" (any case)
  ByteView token;   // empty when the client asks for discovery (auth= with no token)
};
bool parse_oauthbearer(ByteView data, OAuthBearer& out);

// The most parameters a StartupMessage yields (the rest are ignored).
inline constexpr size_t kMaxParameters = 64;

}  // namespace netsift::pgsql
