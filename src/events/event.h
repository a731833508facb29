// An event (tcp_session, udp, ssh, ...): an ordered JSON-like object that owns its data.
// Sinks (JSON Lines, text, per-protocol files, SQLite) all read the same object, so a
// new event kind needs no sink changes.
//
// Memory: an event made with an EventPool builds its document in one of the pool's
// arenas (a RapidJSON MemoryPoolAllocator over a buffer the pool keeps) and hands the
// arena back, cleared, when it is destroyed: a steady stream of events allocates
// nothing. Without a pool (tests, rare events) the event owns a fresh allocator.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/ip_address.h"
#include "core/timestamp.h"

namespace netsift {

// Arenas for events, reused. One per thread of event production (the flow table owns
// one); it must outlive every Event made from it. Not thread-safe.
class EventPool {
 public:
  EventPool();
  ~EventPool();
  EventPool(const EventPool&) = delete;
  EventPool& operator=(const EventPool&) = delete;

  struct Arena;
  // Arenas made so far (reuse keeps this at the most events alive at once).
  size_t arenas_made() const { return made_; }

 private:
  friend class Event;
  Arena* acquire();
  void give_back(Arena* arena);

  std::vector<std::unique_ptr<Arena>> free_;
  size_t made_ = 0;
};

class Event {
 public:
  // `kind` must be a string literal (or otherwise outlive the event). With `pool`, the
  // event's memory comes from it (see above).
  Event(const char* kind, TimestampNs ts, EventPool* pool = nullptr);
  ~Event();
  Event(Event&& other) noexcept;
  Event& operator=(Event&& other) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  // A deep copy of `other` whose memory comes from `alloc` (which must outlive it and
  // frees it all at once): how an event crosses from a worker thread to the writer.
  Event(const Event& other, rapidjson::MemoryPoolAllocator<>& alloc);

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
  // `n` bytes of the event's memory (plus a NUL after them), for a string value.
  char* string_space(size_t n);
  Event& set_owned(const char* key, const char* text, size_t n);

  const char* kind_;
  TimestampNs ts_;
  EventPool* pool_;
  EventPool::Arena* arena_;
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
// Names and values read off the wire as event text: as they are when clean UTF-8, else
// escaped.
std::string wire_text(ByteView bytes);

}  // namespace netsift
