// MySQL/MariaDB client/server protocol messages of the connection phase (MySQL's
// "Client/Server Protocol" documentation, MariaDB's "Connection" pages): the server
// greeting (Handshake v10 and v9), the client's HandshakeResponse41/320 and SSLRequest,
// COM_CHANGE_USER, and the server's OK, ERR, AuthSwitchRequest and AuthMoreData.
// Parsers take one packet's payload (after the 4-byte header) and return views into it;
// every length is checked against the payload.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"

namespace netsift::mysql {

// Capability flags that change the layout of the messages parsed here.
inline constexpr uint32_t kConnectWithDb = 0x8;
inline constexpr uint32_t kCompress = 0x20;
inline constexpr uint32_t kProtocol41 = 0x200;
inline constexpr uint32_t kSsl = 0x800;
inline constexpr uint32_t kSecureConnection = 0x8000;
inline constexpr uint32_t kPluginAuth = 1u << 19;
inline constexpr uint32_t kConnectAttrs = 1u << 20;
inline constexpr uint32_t kPluginAuthLenencData = 1u << 21;
inline constexpr uint32_t kZstdCompression = 1u << 26;

inline constexpr uint8_t kComQuit = 0x01;
inline constexpr uint8_t kComChangeUser = 0x11;
inline constexpr uint32_t kMaxPayload = 0xffffff;  // a packet this long is continued

struct Greeting {
  uint8_t protocol = 0;     // 10, or 9 for servers before 3.22
  ByteView server_version;  // "8.0.36", "5.5.5-10.11.6-MariaDB-0+deb12u1"
  uint32_t connection_id = 0;
  std::string scramble;  // the nonce the client's response is computed over (bytes)
  uint32_t capabilities = 0;
  ByteView plugin;  // default authentication plugin, when the server names one
};
bool parse_greeting(ByteView payload, Greeting& out);

// HandshakeResponse41 or HandshakeResponse320, or the SSLRequest that precedes TLS.
struct LoginRequest {
  uint32_t capabilities = 0;
  bool ssl_request = false;  // only the fixed part with CLIENT_SSL: TLS follows
  ByteView user, auth_response, database, plugin;
  std::vector<std::pair<ByteView, ByteView>> attributes;  // connect attributes, in order
  // CLIENT_ZSTD_COMPRESSION_ALGORITHM (MySQL 8.0.18+): the zstd level the client asks
  // for, the response's last byte; -1 when absent.
  int zstd_level = -1;
};
bool parse_login_request(ByteView payload, LoginRequest& out);
// COM_CHANGE_USER; `capabilities` are the client's from its login request.
bool parse_change_user(ByteView payload, uint32_t capabilities, LoginRequest& out);

struct ServerError {
  uint16_t code = 0;
  ByteView sql_state;  // 5 characters, when the server sent the '#' marker
  ByteView message;
};
bool parse_error(ByteView payload, ServerError& out);

// 0xFE + plugin name + plugin data; a lone 0xFE is the pre-4.1 "old password" switch.
struct AuthSwitch {
  ByteView plugin;  // empty for the old-password switch
  ByteView data;
};
bool parse_auth_switch(ByteView payload, AuthSwitch& out);

// Length-encoded integer (1, 3, 4 or 9 bytes); false on 0xFB (NULL), 0xFF or truncation.
bool read_lenenc(Cursor& c, uint64_t& value);

// The most a connect-attribute list yields (the rest is skipped).
inline constexpr size_t kMaxAttributes = 64;

}  // namespace netsift::mysql
