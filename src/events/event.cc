#include "events/event.h"

#include "core/base64.h"
#include "output/line_writer.h"

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
  return set(key, base64_encode(bytes));
}

Event& Event::set(const char* key, rapidjson::Value&& value) {
  doc_.AddMember(key_of(key), value, alloc());
  return *this;
}

void escape_bytes(ByteView bytes, std::string& out) {
  out.resize(bytes.size() * 5 + 8);
  out.resize(escape_to(bytes, out.data(), false));
}

}  // namespace netsift
