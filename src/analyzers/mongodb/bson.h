// A bounded BSON reader (bsonspec.org/spec.html) for the MongoDB analyzer: views over the
// wire bytes, nothing copied. Every length is checked against what encloses it; skipping
// a value never descends into it (embedded documents carry their own length), and the
// one walk that does descend, validate(), keeps an explicit stack of fixed size, so a
// document nested 10 000 deep is refused instead of recursing.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/bytes.h"

namespace netsift::bson {

enum Type : uint8_t {
  kDouble = 0x01,
  kString = 0x02,
  kDocument = 0x03,
  kArray = 0x04,
  kBinary = 0x05,
  kUndefined = 0x06,
  kObjectId = 0x07,
  kBool = 0x08,
  kDateTime = 0x09,
  kNull = 0x0A,
  kRegex = 0x0B,
  kDbPointer = 0x0C,
  kCode = 0x0D,
  kSymbol = 0x0E,
  kCodeWithScope = 0x0F,
  kInt32 = 0x10,
  kTimestamp = 0x11,
  kInt64 = 0x12,
  kDecimal128 = 0x13,
  kMinKey = 0xFF,
  kMaxKey = 0x7F,
};

struct Element {
  uint8_t type = 0;
  std::string_view key;
  ByteView value;  // the value's bytes as encoded (a string keeps its length prefix)

  bool string(std::string_view& out) const;  // string, symbol, code
  bool binary(ByteView& out) const;          // binary data (any subtype), without subtype
  bool number(double& out) const;            // double, int32, int64, bool
};

// The first element whose key is `key` (one level), or false.
class Document {
 public:
  Document() = default;
  // Checks the document's own length and terminator: elements are read on demand.
  static bool view(ByteView bytes, Document& out);
  ByteView bytes() const { return bytes_; }

  class Iterator {
   public:
    // Next element; false at the end or on damage (then failed() says which).
    bool next(Element& e);
    bool failed() const { return failed_; }

   private:
    friend class Document;
    ByteView bytes_;
    size_t pos_ = 4;
    bool failed_ = false;
  };
  Iterator elements() const {
    Iterator it;
    it.bytes_ = bytes_;
    return it;
  }
  bool find(std::string_view key, Element& out) const;
  bool first(Element& out) const;
  // Convenience lookups: false when absent or of another type.
  bool get_string(std::string_view key, std::string_view& out) const;
  bool get_binary(std::string_view key, ByteView& out) const;
  bool get_number(std::string_view key, double& out) const;
  bool get_document(std::string_view key, Document& out) const;

 private:
  ByteView bytes_;
};

// The size of a value of `type` starting at `at` (at most at.size()), or false.
bool value_size(uint8_t type, ByteView at, size_t& size);

enum class Check : uint8_t { Ok, Malformed, TooDeep };
// Walks every element of every nested document (code-with-scope scopes included) with
// an explicit stack: Malformed on any bad length, type or terminator, TooDeep past
// `max_depth` levels (the outer document is level 1; mongod allows 100 + a few).
Check validate(ByteView doc, size_t max_depth = 128);

}  // namespace netsift::bson
