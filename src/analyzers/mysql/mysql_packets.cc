#include "analyzers/mysql/mysql_packets.h"

#include <algorithm>

namespace netsift::mysql {

bool read_lenenc(Cursor& c, uint64_t& value) {
  uint8_t first = c.u8();
  if (!c.ok()) return false;
  if (first < 0xfb) {
    value = first;
  } else if (first == 0xfc) {
    value = c.le16();
  } else if (first == 0xfd) {
    ByteView b = c.bytes(3);
    value = c.ok() ? uint64_t(b[0]) | uint64_t(b[1]) << 8 | uint64_t(b[2]) << 16 : 0;
  } else if (first == 0xfe) {
    value = c.le64();
  } else {
    return false;  // 0xfb is NULL, 0xff is not an integer
  }
  return c.ok();
}

namespace {

// A string that may end at the end of the packet instead of a NUL (several fields are
// the last in their packet and some clients and servers leave the terminator out).
ByteView read_string_eof(Cursor& c) {
  ByteView rest = c.rest();
  auto nul = std::find(rest.begin(), rest.end(), uint8_t(0));
  ByteView s = c.bytes(size_t(nul - rest.begin()));
  if (c.remaining()) c.skip(1);
  return s;
}

bool read_lenenc_bytes(Cursor& c, ByteView& out) {
  uint64_t n;
  if (!read_lenenc(c, n) || n > c.remaining()) return false;
  out = c.bytes(size_t(n));
  return c.ok();
}

bool read_attributes(Cursor& c, LoginRequest& out) {
  ByteView block;
  if (!read_lenenc_bytes(c, block)) return false;
  Cursor a(block);
  while (a.remaining()) {
    ByteView key, value;
    if (!read_lenenc_bytes(a, key) || !read_lenenc_bytes(a, value)) return false;
    if (out.attributes.size() < kMaxAttributes) out.attributes.emplace_back(key, value);
  }
  return true;
}

}  // namespace

bool parse_greeting(ByteView payload, Greeting& out) {
  Cursor c(payload);
  out = {};
  out.protocol = c.u8();
  if (!c.ok() || (out.protocol != 10 && out.protocol != 9)) return false;
  if (!c.cstring(out.server_version) || out.server_version.empty()) return false;
  out.connection_id = c.le32();
  if (out.protocol == 9) {
    ByteView scramble;
    if (!c.cstring(scramble)) return false;
    out.scramble.assign(as_chars(scramble));
    return true;
  }
  ByteView part1 = c.bytes(8);
  c.skip(1);  // filler
  out.capabilities = c.le16();
  if (!c.ok()) return false;
  out.scramble.assign(as_chars(part1));
  if (!c.remaining()) return true;  // servers before 4.1 end here
  c.skip(1 + 2);                    // character set, status flags
  out.capabilities |= uint32_t(c.le16()) << 16;
  uint8_t data_len = c.u8();
  c.skip(10);  // reserved (MariaDB keeps its extended capabilities here)
  if (!c.ok()) return false;
  if (out.capabilities & kSecureConnection) {
    size_t len = std::min<size_t>(std::max<int>(13, int(data_len) - 8), c.remaining());
    ByteView part2 = c.bytes(len);
    // The second part ends with a NUL that is not part of the nonce.
    if (!part2.empty() && part2.back() == 0) part2 = part2.first(part2.size() - 1);
    out.scramble.append(as_chars(part2));
  }
  if (out.capabilities & kPluginAuth) out.plugin = read_string_eof(c);
  return c.ok();
}

bool parse_login_request(ByteView payload, LoginRequest& out) {
  Cursor c(payload);
  out = {};
  if (payload.size() < 2) return false;
  if (load_le16(payload.data()) & kProtocol41) {
    out.capabilities = c.le32();
    c.skip(4 + 1 + 23);  // max packet size, character set, filler
    if (!c.ok()) return false;
    if (!c.remaining()) return out.ssl_request = (out.capabilities & kSsl) != 0;
    if (!c.cstring(out.user)) return false;
    if (out.capabilities & kPluginAuthLenencData) {
      if (!read_lenenc_bytes(c, out.auth_response)) return false;
    } else if (out.capabilities & kSecureConnection) {
      uint8_t n = c.u8();
      out.auth_response = c.bytes(n);
    } else {
      out.auth_response = read_string_eof(c);
    }
    if (!c.ok()) return false;
    if ((out.capabilities & kConnectWithDb) && c.remaining()) out.database = read_string_eof(c);
    if ((out.capabilities & kPluginAuth) && c.remaining()) out.plugin = read_string_eof(c);
    if ((out.capabilities & kConnectAttrs) && c.remaining() && !read_attributes(c, out))
      return false;
    if ((out.capabilities & kZstdCompression) && c.remaining()) out.zstd_level = c.u8();
    return c.ok();
  }
  // HandshakeResponse320: 2-byte capabilities, 3-byte max packet size.
  out.capabilities = c.le16();
  c.skip(3);
  if (!c.ok()) return false;
  if (!c.remaining()) return out.ssl_request = (out.capabilities & kSsl) != 0;
  if (!c.cstring(out.user)) return false;
  out.auth_response = read_string_eof(c);
  if ((out.capabilities & kConnectWithDb) && c.remaining()) out.database = read_string_eof(c);
  return c.ok();
}

bool parse_change_user(ByteView payload, uint32_t capabilities, LoginRequest& out) {
  Cursor c(payload);
  out = {};
  out.capabilities = capabilities;
  if (c.u8() != kComChangeUser || !c.cstring(out.user)) return false;
  if (capabilities & kSecureConnection) {
    uint8_t n = c.u8();
    out.auth_response = c.bytes(n);
  } else {
    out.auth_response = read_string_eof(c);
  }
  if (!c.ok()) return false;
  if (c.remaining()) out.database = read_string_eof(c);
  if (c.remaining() >= 2) c.skip(2);  // character set
  if ((capabilities & kPluginAuth) && c.remaining()) out.plugin = read_string_eof(c);
  if ((capabilities & kConnectAttrs) && c.remaining() && !read_attributes(c, out)) return false;
  return c.ok();
}

bool parse_error(ByteView payload, ServerError& out) {
  Cursor c(payload);
  out = {};
  if (c.u8() != 0xff) return false;
  out.code = c.le16();
  if (!c.ok()) return false;
  if (c.remaining() >= 6 && c.rest()[0] == '#') {
    c.skip(1);
    out.sql_state = c.bytes(5);
  }
  out.message = c.rest();
  return c.ok();
}

bool parse_auth_switch(ByteView payload, AuthSwitch& out) {
  Cursor c(payload);
  out = {};
  if (c.u8() != 0xfe) return false;
  if (!c.remaining()) return true;  // old-password switch
  if (!c.cstring(out.plugin) || out.plugin.empty()) return false;
  out.data = c.rest();
  return true;
}

}  // namespace netsift::mysql
