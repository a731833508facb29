#include "output/event.h"

#include <fmt/format.h>

namespace netsift {

namespace {
rapidjson::Value key_of(const char* key) {
  return rapidjson::Value(rapidjson::StringRef(key));
}
}  // namespace

Event::Event(const char* kind, TimestampNs ts) : kind_(kind), ts_(ts) {
  doc_.SetObject();
  set("event", kind);
  set_time("ts", ts);
}

Event& Event::set(const char* key, std::string_view value) {
  doc_.AddMember(key_of(key),
                 rapidjson::Value(value.data(), rapidjson::SizeType(value.size()), alloc()),
                 alloc());
  return *this;
}

Event& Event::set(const char* key, uint64_t value) {
  doc_.AddMember(key_of(key), rapidjson::Value(value), alloc());
  return *this;
}

Event& Event::set_int(const char* key, int64_t value) {
  doc_.AddMember(key_of(key), rapidjson::Value(value), alloc());
  return *this;
}

Event& Event::set(const char* key, bool value) {
  doc_.AddMember(key_of(key), rapidjson::Value(value), alloc());
  return *this;
}

Event& Event::set_time(const char* key, TimestampNs ts) {
  // Rounded to microseconds so the JSON writer prints at most six decimals.
  int64_t micros = ts >= 0 ? (ts + 500) / 1000 : (ts - 500) / 1000;
  doc_.AddMember(key_of(key), rapidjson::Value(double(micros) / 1e6), alloc());
  return *this;
}

Event& Event::set(const char* key, const IpAddress& a) {
  char buf[kMaxAddressText];
  return set(key, std::string_view(buf, format_address(a, buf)));
}

Event& Event::set_escaped(const char* key, ByteView bytes) {
  std::string s;
  escape_bytes(bytes, s);
  return set(key, s);
}

Event& Event::set_base64(const char* key, ByteView bytes) {
  std::string s;
  base64_encode(bytes, s);
  return set(key, s);
}

Event& Event::set(const char* key, rapidjson::Value&& value) {
  doc_.AddMember(key_of(key), value, alloc());
  return *this;
}

void escape_bytes(ByteView bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.clear();
  out.reserve(bytes.size() + bytes.size() / 4);
  size_t i = 0;
  while (i < bytes.size()) {
    // Copy a run of plain printable characters in one go.
    size_t run = i;
    while (run < bytes.size() && bytes[run] >= 0x20 && bytes[run] < 0x7f && bytes[run] != '\\')
      ++run;
    out.append(reinterpret_cast<const char*>(bytes.data()) + i, run - i);
    if (run == bytes.size()) break;
    uint8_t c = bytes[run];
    i = run + 1;
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

void base64_encode(ByteView in, std::string& out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.clear();
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = uint32_t(in[i]) << 16 | uint32_t(in[i + 1]) << 8 | in[i + 2];
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (in.size() - i == 1) {
    uint32_t v = uint32_t(in[i]) << 16;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out += "==";
  } else if (in.size() - i == 2) {
    uint32_t v = uint32_t(in[i]) << 16 | uint32_t(in[i + 1]) << 8;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
}

}  // namespace netsift
