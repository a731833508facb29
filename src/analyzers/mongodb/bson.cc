#include "analyzers/mongodb/bson.h"

#include <array>
#include <cstring>

namespace netsift::bson {
namespace {

// A cstring at `at`: its length without the NUL, or false when no NUL is inside.
bool cstring_size(ByteView at, size_t& size) {
  const void* nul = std::memchr(at.data(), 0, at.size());
  if (!nul) return false;
  size = size_t(static_cast<const uint8_t*>(nul) - at.data());
  return true;
}

// int32 length + bytes + NUL, the length counting the bytes and the NUL.
bool string_size(ByteView at, size_t& size) {
  if (at.size() < 5) return false;
  int32_t n = int32_t(load_le32(at.data()));
  if (n < 1 || size_t(n) > at.size() - 4 || at[4 + size_t(n) - 1] != 0) return false;
  size = 4 + size_t(n);
  return true;
}

bool doc_size(ByteView at, size_t& size) {
  if (at.size() < 5) return false;
  int32_t n = int32_t(load_le32(at.data()));
  if (n < 5 || size_t(n) > at.size() || at[size_t(n) - 1] != 0) return false;
  size = size_t(n);
  return true;
}

}  // namespace

bool value_size(uint8_t type, ByteView at, size_t& size) {
  auto fixed = [&](size_t n) {
    size = n;
    return at.size() >= n;
  };
  switch (type) {
    case kDouble:
    case kDateTime:
    case kTimestamp:
    case kInt64:
      return fixed(8);
    case kInt32:
      return fixed(4);
    case kDecimal128:
      return fixed(16);
    case kObjectId:
      return fixed(12);
    case kBool:
      return fixed(1) && at[0] <= 1;
    case kUndefined:
    case kNull:
    case kMinKey:
    case kMaxKey:
      return fixed(0);
    case kString:
    case kCode:
    case kSymbol:
      return string_size(at, size);
    case kDocument:
    case kArray:
      return doc_size(at, size);
    case kBinary: {
      if (at.size() < 5) return false;
      int32_t n = int32_t(load_le32(at.data()));
      if (n < 0 || size_t(n) > at.size() - 5) return false;
      size = 5 + size_t(n);
      return true;
    }
    case kRegex: {
      size_t a = 0, b = 0;
      if (!cstring_size(at, a) || !cstring_size(at.subspan(a + 1), b)) return false;
      size = a + 1 + b + 1;
      return true;
    }
    case kDbPointer: {
      size_t s = 0;
      if (!string_size(at, s) || at.size() - s < 12) return false;
      size = s + 12;
      return true;
    }
    case kCodeWithScope: {
      // int32 total, string, document: the parts must fill the total exactly.
      if (at.size() < 4) return false;
      int32_t n = int32_t(load_le32(at.data()));
      if (n < 14 || size_t(n) > at.size()) return false;
      ByteView inner = at.subspan(4, size_t(n) - 4);
      size_t s = 0, d = 0;
      if (!string_size(inner, s) || !doc_size(inner.subspan(s), d) || 4 + s + d != size_t(n)) {
        return false;
      }
      size = size_t(n);
      return true;
    }
    default:
      return false;
  }
}

bool Element::string(std::string_view& out) const {
  if (type != kString && type != kSymbol && type != kCode) return false;
  out = std::string_view(reinterpret_cast<const char*>(value.data()) + 4, value.size() - 5);
  return true;
}

bool Element::binary(ByteView& out) const {
  if (type != kBinary) return false;
  out = value.subspan(5);
  return true;
}

bool Element::number(double& out) const {
  switch (type) {
    case kDouble: {
      uint64_t bits = load_le64(value.data());
      std::memcpy(&out, &bits, sizeof out);
      return true;
    }
    case kInt32:
      out = double(int32_t(load_le32(value.data())));
      return true;
    case kInt64:
      out = double(int64_t(load_le64(value.data())));
      return true;
    case kBool:
      out = value[0] ? 1 : 0;
      return true;
    default:
      return false;
  }
}

bool Document::view(ByteView bytes, Document& out) {
  size_t n = 0;
  if (!doc_size(bytes, n) || n != bytes.size()) return false;
  out.bytes_ = bytes;
  return true;
}

bool Document::Iterator::next(Element& e) {
  if (failed_ || pos_ >= bytes_.size()) return false;
  uint8_t type = bytes_[pos_];
  if (type == 0) {
    failed_ = pos_ + 1 != bytes_.size();
    pos_ = bytes_.size();
    return false;
  }
  // The terminator is the last byte: keys and values end before it.
  ByteView rest = bytes_.subspan(pos_ + 1, bytes_.size() - 1 - (pos_ + 1));
  size_t key = 0, size = 0;
  if (!cstring_size(rest, key) || !value_size(type, rest.subspan(key + 1), size)) {
    failed_ = true;
    return false;
  }
  e.type = type;
  e.key = std::string_view(reinterpret_cast<const char*>(rest.data()), key);
  e.value = rest.subspan(key + 1, size);
  pos_ += 1 + key + 1 + size;
  return true;
}

bool Document::find(std::string_view key, Element& out) const {
  Iterator it = elements();
  while (it.next(out)) {
    if (out.key == key) return true;
  }
  return false;
}

bool Document::first(Element& out) const {
  Iterator it = elements();
  return it.next(out);
}

bool Document::get_string(std::string_view key, std::string_view& out) const {
  Element e;
  return find(key, e) && e.string(out);
}

bool Document::get_binary(std::string_view key, ByteView& out) const {
  Element e;
  return find(key, e) && e.binary(out);
}

bool Document::get_number(std::string_view key, double& out) const {
  Element e;
  return find(key, e) && e.number(out);
}

bool Document::get_document(std::string_view key, Document& out) const {
  Element e;
  return find(key, e) && (e.type == kDocument || e.type == kArray) && view(e.value, out);
}

Check validate(ByteView doc, size_t max_depth) {
  Document top;
  if (!Document::view(doc, top)) return Check::Malformed;
  constexpr size_t kStack = 256;
  if (max_depth > kStack) max_depth = kStack;
  std::array<Document::Iterator, kStack> stack;
  size_t depth = 0;
  stack[depth++] = top.elements();
  while (depth > 0) {
    Document::Iterator& it = stack[depth - 1];
    Element e;
    if (!it.next(e)) {
      if (it.failed()) return Check::Malformed;
      --depth;
      continue;
    }
    ByteView inner;
    if (e.type == kDocument || e.type == kArray) {
      inner = e.value;
    } else if (e.type == kCodeWithScope) {
      size_t s = 0;
      string_size(e.value.subspan(4), s);  // checked by value_size
      inner = e.value.subspan(4 + s);
    } else {
      continue;
    }
    Document child;
    if (!Document::view(inner, child)) return Check::Malformed;
    if (depth == max_depth) return Check::TooDeep;
    stack[depth++] = child.elements();
  }
  return Check::Ok;
}

}  // namespace netsift::bson
