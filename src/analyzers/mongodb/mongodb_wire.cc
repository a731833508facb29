#include "analyzers/mongodb/mongodb_wire.h"

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <array>
#include <cstring>

namespace netsift::mongodb {
namespace {

constexpr uint32_t kChecksumPresent = 1u << 0;
constexpr uint32_t kMoreToCome = 1u << 1;

constexpr std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrc32cTable = make_crc32c_table();

// The body (after the header) of a message of `opcode`.
WireError parse_body(int32_t opcode, ByteView body, ByteView whole, Message& out) {
  Cursor c(body);
  switch (opcode) {
    case kOpMsg: {
      uint32_t flags = c.le32();
      // Bits 0-15 are required: one this reader does not know makes the message unreadable
      // (mongod refuses it too). Bits 16-31 are optional (exhaustAllowed...).
      if (!c.ok() || (flags & 0xFFFFu & ~(kChecksumPresent | kMoreToCome)) != 0) {
        return WireError::Malformed;
      }
      out.more_to_come = flags & kMoreToCome;
      ByteView sections = c.rest();
      WireError result = WireError::None;
      if (flags & kChecksumPresent) {
        if (sections.size() < 4) return WireError::Malformed;
        sections = sections.first(sections.size() - 4);
        // The checksum covers the header and everything before it, as sent (a compressed
        // message's inner checksum cannot be checked against the wire bytes: skipped).
        if (!whole.empty()) {
          uint32_t want = load_le32(whole.data() + whole.size() - 4);
          if (crc32c(whole.first(whole.size() - 4)) != want) result = WireError::BadChecksum;
        }
      }
      Cursor s(sections);
      bool body_seen = false;
      while (s.remaining() > 0) {
        uint8_t kind = s.u8();
        if (kind == 0) {
          if (s.remaining() < 4) return WireError::Malformed;
          uint32_t n = load_le32(s.rest().data());
          if (n < 5 || n > s.remaining()) return WireError::Malformed;
          ByteView doc = s.bytes(n);
          if (body_seen || !bson::Document::view(doc, out.document)) return WireError::Malformed;
          body_seen = true;
        } else if (kind == 1) {
          // int32 size (itself included), cstring identifier, documents.
          if (s.remaining() < 4) return WireError::Malformed;
          uint32_t n = load_le32(s.rest().data());
          if (n < 5 || n > s.remaining()) return WireError::Malformed;
          ByteView seq = s.bytes(n).subspan(4);
          const void* nul = std::memchr(seq.data(), 0, seq.size());
          if (!nul) return WireError::Malformed;
          seq = seq.subspan(size_t(static_cast<const uint8_t*>(nul) - seq.data()) + 1);
          while (!seq.empty()) {
            if (seq.size() < 5) return WireError::Malformed;
            uint32_t d = load_le32(seq.data());
            bson::Document doc;
            if (d > seq.size() || !bson::Document::view(seq.first(d), doc)) {
              return WireError::Malformed;
            }
            seq = seq.subspan(d);
          }
        } else {
          return WireError::Malformed;  // kind 2 is internal to mongod
        }
      }
      if (!body_seen) return WireError::Malformed;
      out.has_document = true;
      return result;
    }
    case kOpQuery: {
      c.le32();  // flags
      ByteView rest = c.rest();
      const void* nul = rest.empty() ? nullptr : std::memchr(rest.data(), 0, rest.size());
      if (!c.ok() || !nul) return WireError::Malformed;
      size_t n = size_t(static_cast<const uint8_t*>(nul) - rest.data());
      out.collection = as_chars(rest.first(n));
      c.skip(n + 1);
      c.le32();  // numberToSkip
      c.le32();  // numberToReturn
      if (!c.ok() || c.remaining() < 4) return WireError::Malformed;
      uint32_t d = load_le32(c.rest().data());
      if (d > c.remaining() || !bson::Document::view(c.bytes(d), out.document)) {
        return WireError::Malformed;
      }
      out.has_document = true;
      return WireError::None;  // an optional returnFieldsSelector may follow
    }
    case kOpReply: {
      c.le32();  // responseFlags
      c.le64();  // cursorID
      c.le32();  // startingFrom
      uint32_t returned = c.le32();
      if (!c.ok()) return WireError::Malformed;
      if (returned == 0) return WireError::None;
      if (c.remaining() < 4) return WireError::Malformed;
      uint32_t d = load_le32(c.rest().data());
      if (d > c.remaining() || !bson::Document::view(c.bytes(d), out.document)) {
        return WireError::Malformed;
      }
      out.has_document = true;
      return WireError::None;
    }
    default:
      return WireError::None;  // legacy writes, getMore, killCursors: nothing of interest
  }
}

}  // namespace

Header read_header(const uint8_t* p) {
  return {load_le32(p), load_le32(p + 4), load_le32(p + 8), int32_t(load_le32(p + 12))};
}

bool known_opcode(int32_t op) {
  return op == kOpReply || op == kOpMsg || op == kOpCompressed || (op >= 2001 && op <= 2007);
}

std::string_view wire_error_text(WireError e) {
  switch (e) {
    case WireError::None:
      return "";
    case WireError::Malformed:
      return "message sections inconsistent with its length";
    case WireError::BadChecksum:
      return "OP_MSG checksum mismatch";
    case WireError::Decompression:
      return "compressed body does not expand to its declared size";
    case WireError::TooLarge:
      return "compressed body declares more than 1 MiB";
    case WireError::Unsupported:
      return "unknown compressor";
  }
  return "";
}

uint32_t crc32c(ByteView data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : data) c = kCrc32cTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

WireError parse_message(ByteView msg, Message& out, std::vector<uint8_t>& scratch) {
  out = Message{};
  if (msg.size() < kHeaderSize) return WireError::Malformed;
  out.header = read_header(msg.data());
  if (out.header.length != msg.size()) return WireError::Malformed;
  out.opcode = out.header.opcode;
  ByteView body = msg.subspan(kHeaderSize);
  if (out.opcode != kOpCompressed) return parse_body(out.opcode, body, msg, out);

  // OP_COMPRESSED: originalOpcode, uncompressedSize, compressorId, compressedMessage.
  Cursor c(body);
  int32_t original = int32_t(c.le32());
  uint32_t size = c.le32();
  out.compressor = c.u8();
  if (!c.ok() || original == kOpCompressed) return WireError::Malformed;
  if (size > kMaxUncompressed) return WireError::TooLarge;
  ByteView packed = c.rest();
  scratch.resize(size);
  switch (out.compressor) {
    case 0:  // noop
      if (packed.size() != size) return WireError::Decompression;
      if (size) std::memcpy(scratch.data(), packed.data(), size);
      break;
    case 1: {  // snappy
      size_t n = 0;
      if (snappy_uncompressed_length(reinterpret_cast<const char*>(packed.data()), packed.size(),
                                     &n) != SNAPPY_OK ||
          n != size) {
        return WireError::Decompression;
      }
      if (snappy_uncompress(reinterpret_cast<const char*>(packed.data()), packed.size(),
                            reinterpret_cast<char*>(scratch.data()), &n) != SNAPPY_OK ||
          n != size) {
        return WireError::Decompression;
      }
      break;
    }
    case 2: {  // zlib
      uLongf n = size;
      if (uncompress(scratch.data(), &n, packed.data(), uLong(packed.size())) != Z_OK ||
          n != size) {
        return WireError::Decompression;
      }
      break;
    }
    case 3: {  // zstd
      size_t n = ZSTD_decompress(scratch.data(), size, packed.data(), packed.size());
      if (ZSTD_isError(n) || n != size) return WireError::Decompression;
      break;
    }
    default:
      return WireError::Unsupported;
  }
  out.opcode = original;
  // The inner message has no header of its own: a checksum in it is not checked.
  return parse_body(original, ByteView(scratch.data(), size), {}, out);
}

}  // namespace netsift::mongodb
