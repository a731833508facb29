// An event (tcp_session, udp, ssh, ...): an ordered JSON-like object that owns its data.
// Sinks (JSON Lines, text, per-protocol files, SQLite) all read the same object, so a
// new event kind needs no sink changes. Events are made per session or per message,
// not per packet, so the small pool allocation per event is off the hot path.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/ip_address.h"
#include "core/timestamp.h"

namespace netsift {

class Event {
 public:
  // `kind` must be a string literal (or otherwise outlive the event).
  Event(const char* kind, TimestampNs ts);
  Event(Event&&) = default;
  Event& operator=(Event&&) = default;

  const char* kind() const { return kind_; }
  TimestampNs ts() const { return ts_; }
  rapidjson::Document& doc() { return doc_; }
  const rapidjson::Document& doc() const { return doc_; }
  rapidjson::Document::AllocatorType& alloc() { return doc_.GetAllocator(); }

  // Keys must be string literals. Values are copied.
  Event& set(const char* key, std::string_view value);
  Event& set(const char* key, const char* value) { return set(key, std::string_view(value)); }
  Event& set(const char* key, uint64_t value);
  Event& set(const char* key, bool value);
  Event& set_time(const char* key, TimestampNs ts);  // seconds, microsecond precision
  Event& set(const char* key, const IpAddress& a);
  // Bytes as text: printable ASCII as is, others as \xNN (see docs/events.md).
  Event& set_escaped(const char* key, ByteView bytes);
  Event& set_base64(const char* key, ByteView bytes);
  Event& set(const char* key, rapidjson::Value&& value);

 private:
  const char* kind_;
  TimestampNs ts_;
  rapidjson::Document doc_;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const Event& event) = 0;
  virtual void flush() {}
};

// Escapes bytes as described for set_escaped into `out` (replaced).
void escape_bytes(ByteView bytes, std::string& out);

}  // namespace netsift
