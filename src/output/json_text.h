// Compact JSON text of a RapidJSON value, as rapidjson::Writer with six decimal places
// writes it (tests/unit/json_text_test.cc holds it to that), but faster on event-shaped
// documents: no handler calls or level stack per value, strings scanned and copied 16
// bytes at a time straight into a raw buffer. Also escapes every control character,
// which RapidJSON's SSE2 path was seen to miss in a 16-byte key.
#pragma once

#include <rapidjson/document.h>

#include <cstring>
#include <memory>
#include <string_view>

namespace netsift {

// A growable character buffer written through raw pointers: reserve a worst case,
// write, commit where the text ended. No zero-filling, unlike std::string::resize.
class TextBuffer {
 public:
  char* reserve(size_t n) {
    if (cap_ - size_ < n) grow(n);
    return data_.get() + size_;
  }
  void commit(const char* end) { size_ = size_t(end - data_.get()); }
  void append(std::string_view s) {
    char* p = reserve(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    size_ += s.size();
  }
  void push(char c) {
    *reserve(1) = c;
    ++size_;
  }
  void clear() { size_ = 0; }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  void grow(size_t n);

  std::unique_ptr<char[]> data_;
  size_t size_ = 0, cap_ = 0;
};

// Writes `d` as rapidjson::Writer with six decimal places does (at most 32 characters;
// the end returned), except that a whole number of microseconds is exact: Grisu2 then
// the cut at six places printed about 1 in 1,700 such values one microsecond low
// (16.839283 as 16.839282). NaN and infinities are the caller's business.
char* write_json_double(double d, char* p);

// Appends `value` as JSON to `out`.
void append_json(const rapidjson::Value& value, TextBuffer& out);

}  // namespace netsift
