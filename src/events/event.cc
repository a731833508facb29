#include "events/event.h"

#include <algorithm>
#include <cstring>

#include "core/base64.h"
#include "core/wire_text.h"
#include "output/line_writer.h"

namespace netsift {

namespace {

// The first arena buffer holds a typical event (a DNS response, a session record);
// an event that outgrew its arena leaves it with a bigger buffer next time, up to
// kMaxArena (bigger events, e.g. a 64 KiB payload escaped, allocate their extra chunk).
constexpr size_t kFirstArena = 16 * 1024;
constexpr size_t kMaxArena = 1 << 20;
constexpr size_t kMaxFreeArenas = 64;  // more alive at once than this: extras are freed

rapidjson::Value key_of(const char* key) {
  return rapidjson::Value(rapidjson::StringRef(key));
}

}  // namespace

struct EventPool::Arena {
  explicit Arena(size_t size_)
      : size(size_), buffer(new char[size_]), pool(buffer.get(), size_, kFirstArena, &base) {}
  size_t size;
  std::unique_ptr<char[]> buffer;
  rapidjson::CrtAllocator base;  // for chunks past the buffer (given, so none is new'd)
  rapidjson::MemoryPoolAllocator<> pool;
  std::unique_ptr<char[]> scratch;  // escaping's worst case, before the exact copy
  size_t scratch_size = 0;
};

EventPool::EventPool() = default;
EventPool::~EventPool() = default;

EventPool::Arena* EventPool::acquire() {
  if (free_.empty()) {
    ++made_;
    return new Arena(kFirstArena);
  }
  Arena* a = free_.back().release();
  free_.pop_back();
  return a;
}

void EventPool::give_back(Arena* arena) {
  std::unique_ptr<Arena> a(arena);
  size_t used = a->pool.Capacity();  // the buffer plus any chunk added past it
  if (used > a->size && a->size < kMaxArena) {
    size_t grown = a->size;
    while (grown < used && grown < kMaxArena) grown *= 2;
    auto bigger = std::make_unique<Arena>(std::min(grown, kMaxArena));
    bigger->scratch = std::move(a->scratch);
    bigger->scratch_size = a->scratch_size;
    a = std::move(bigger);
  } else {
    a->pool.Clear();  // frees chunks past the buffer, empties the buffer
  }
  if (a->scratch_size > kMaxArena) {
    a->scratch.reset();
    a->scratch_size = 0;
  }
  if (free_.size() < kMaxFreeArenas) free_.push_back(std::move(a));
}

Event::Event(const char* kind, TimestampNs ts, EventPool* pool)
    : kind_(kind),
      ts_(ts),
      pool_(pool),
      arena_(pool ? pool->acquire() : nullptr),
      doc_(arena_ ? &arena_->pool : nullptr) {
  doc_.SetObject();
  set("event", kind);
  set_time("ts", ts);
}

namespace {

// RapidJSON 1.1's CopyFrom keeps string references (StringRef) as references; the
// events' texts live in their arena, so every string is copied here.
void deep_copy(const rapidjson::Value& from, rapidjson::Value& to,
               rapidjson::MemoryPoolAllocator<>& alloc) {
  switch (from.GetType()) {
    case rapidjson::kStringType:
      to.SetString(from.GetString(), from.GetStringLength(), alloc);
      break;
    case rapidjson::kArrayType:
      to.SetArray();
      to.Reserve(from.Size(), alloc);
      for (const auto& v : from.GetArray()) {
        rapidjson::Value item;
        deep_copy(v, item, alloc);
        to.PushBack(item, alloc);
      }
      break;
    case rapidjson::kObjectType:
      to.SetObject();
      for (const auto& m : from.GetObject()) {
        rapidjson::Value key(m.name.GetString(), m.name.GetStringLength(), alloc), value;
        deep_copy(m.value, value, alloc);
        to.AddMember(key, value, alloc);
      }
      break;
    default:
      to.CopyFrom(from, alloc);  // numbers, booleans, null
  }
}

}  // namespace

Event::Event(const Event& other, rapidjson::MemoryPoolAllocator<>& alloc)
    : kind_(other.kind_), ts_(other.ts_), pool_(nullptr), arena_(nullptr), doc_(&alloc) {
  deep_copy(other.doc_, doc_, alloc);
}

Event::~Event() {
  // The document's values need no freeing (a memory pool), so the arena can go back
  // before the document object itself is destroyed.
  if (arena_) pool_->give_back(arena_);
}

Event::Event(Event&& other) noexcept
    : kind_(other.kind_),
      ts_(other.ts_),
      pool_(other.pool_),
      arena_(other.arena_),
      doc_(std::move(other.doc_)) {
  other.pool_ = nullptr;
  other.arena_ = nullptr;
}

Event& Event::operator=(Event&& other) noexcept {
  // Swapped: `other` gives back what this event held when it is destroyed.
  std::swap(kind_, other.kind_);
  std::swap(ts_, other.ts_);
  std::swap(pool_, other.pool_);
  std::swap(arena_, other.arena_);
  doc_.Swap(other.doc_);
  return *this;
}

char* Event::string_space(size_t n) {
  return static_cast<char*>(alloc().Malloc(n + 1));
}

// `text` already lives in the event's memory: referenced, not copied again.
Event& Event::set_owned(const char* key, const char* text, size_t n) {
  doc_.AddMember(key_of(key), rapidjson::Value(rapidjson::StringRef(text, rapidjson::SizeType(n))),
                 alloc());
  return *this;
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
  size_t worst = bytes.size() * 5 + 8;  // escape_to's bound, overshoot included
  if (!arena_) {
    std::string s;
    escape_bytes(bytes, s);
    return set(key, s);
  }
  if (arena_->scratch_size < worst) {
    arena_->scratch_size = std::max(worst, size_t(4096));
    arena_->scratch.reset(new char[arena_->scratch_size]);
  }
  size_t n = escape_to(bytes, arena_->scratch.get(), false);
  char* text = string_space(n);
  std::memcpy(text, arena_->scratch.get(), n);
  text[n] = '\0';
  return set_owned(key, text, n);
}

Event& Event::set_base64(const char* key, ByteView bytes) {
  size_t n = base64_length(bytes.size());
  char* text = string_space(n);
  base64_encode(bytes, text);
  text[n] = '\0';
  return set_owned(key, text, n);
}

Event& Event::set(const char* key, rapidjson::Value&& value) {
  doc_.AddMember(key_of(key), value, alloc());
  return *this;
}

void escape_bytes(ByteView bytes, std::string& out) {
  out.resize(bytes.size() * 5 + 8);
  out.resize(escape_to(bytes, out.data(), false));
}

std::string wire_text(ByteView bytes) {
  if (is_clean_utf8(bytes)) return std::string(as_chars(bytes));
  std::string out;
  escape_bytes(bytes, out);
  return out;
}

}  // namespace netsift
