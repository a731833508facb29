// MongoDB wire protocol messages (www.mongodb.com/docs/manual/reference/mongodb-wire-protocol):
// the 16-byte header, OP_MSG (flag bits, kind-0 body and kind-1 document sequences,
// optional CRC-32C), OP_QUERY, OP_REPLY and OP_COMPRESSED (snappy, zlib, zstd through
// their Debian libraries, the output capped). What the analyzer needs of a message is its
// ids and its command or reply document.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "analyzers/mongodb/bson.h"
#include "core/bytes.h"

namespace netsift::mongodb {

enum Opcode : int32_t {
  kOpReply = 1,
  kOpUpdate = 2001,
  kOpInsert = 2002,
  kOpQuery = 2004,
  kOpGetMore = 2005,
  kOpDelete = 2006,
  kOpKillCursors = 2007,
  kOpCompressed = 2012,
  kOpMsg = 2013,
};

inline constexpr size_t kHeaderSize = 16;
inline constexpr uint32_t kMaxMessage = 48 * 1000 * 1000;  // mongod's maxMessageSizeBytes
inline constexpr uint32_t kMaxUncompressed = 1 << 20;      // what OP_COMPRESSED may expand to

struct Header {
  uint32_t length = 0;
  uint32_t request_id = 0;
  uint32_t response_to = 0;
  int32_t opcode = 0;
};
Header read_header(const uint8_t* p);  // 16 bytes
bool known_opcode(int32_t opcode);

struct Message {
  Header header;
  int32_t opcode = 0;         // the effective opcode (OP_COMPRESSED: the original one)
  uint8_t compressor = 0;     // OP_COMPRESSED's compressor id, 0 otherwise
  bool more_to_come = false;  // OP_MSG flag bit 1: no reply follows
  bool has_document = false;
  bson::Document document;      // OP_MSG body, OP_QUERY query, OP_REPLY first document
  std::string_view collection;  // OP_QUERY fullCollectionName ("admin.$cmd")
};

enum class WireError : uint8_t {
  None,
  Malformed,      // lengths or sections inconsistent with the message
  BadChecksum,    // OP_MSG CRC-32C differs (the message is still read)
  Decompression,  // a compressed body that does not expand to its declared size
  TooLarge,       // OP_COMPRESSED declaring more than kMaxUncompressed
  Unsupported,    // unknown compressor
};
std::string_view wire_error_text(WireError e);

// Parses one whole message (header included). Decompressed bytes go to `scratch`, which
// `out` may point into until the next call. Returns None or the first problem; with
// BadChecksum `out` is still filled.
WireError parse_message(ByteView msg, Message& out, std::vector<uint8_t>& scratch);

// CRC-32C (Castagnoli), as OP_MSG's checksum.
uint32_t crc32c(ByteView data);

}  // namespace netsift::mongodb
