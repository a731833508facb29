// One HTTP/1.x request/response exchange as the parser wrapper (htp_parser.h) fills it:
// plain data, no libhtp types, so the analyzer and its tests never see the library.
#pragma once

#include <cstdint>
#include <string>

#include "core/timestamp.h"

namespace netsift::http {

// Protocol anomalies the parser found, as bits (names in http_analyzer.cc).
enum ParserFlag : uint32_t {
  kFlagSmuggling = 1u << 0,       // conflicting Content-Length / Transfer-Encoding
  kFlagInvalidFolding = 1u << 1,  // a continuation line with nothing to continue
  kFlagInvalidTransferEncoding = 1u << 2,
  kFlagInvalidContentLength = 1u << 3,
  kFlagHostMissing = 1u << 4,
  kFlagHostAmbiguous = 1u << 5,
  kFlagInvalidRequestLine = 1u << 6,
  kFlagInvalidStatusLine = 1u << 7,
  kFlagTooManyHeaders = 1u << 8,
  kFlagInvalidHeader = 1u << 9,  // unparseable or invalid header field
  kFlagLongHeader = 1u << 10,
  kFlagRawNul = 1u << 11,  // NUL byte in a header or the path
  kFlagInvalidPathEncoding = 1u << 12,
  kFlagInvalidHost = 1u << 13,
  kFlagInvalidAuth = 1u << 14,
};

struct Transaction {
  uint64_t index = 0;         // order on the connection, from 0
  bool has_request = false;   // a request line was seen (false: response without request)
  bool has_response = false;  // a response line (or an HTTP/0.9 reply) was seen
  bool request_complete = false;
  bool response_complete = false;
  // The connection ended before a Content-Length body was all there (libhtp then calls
  // the message complete): the body is a fragment, its hash is no object's hash.
  bool request_cut = false, response_cut = false;
  std::string method, uri, req_version;      // req_version "1.1", "1.0", "0.9"
  std::string resp_version, status, reason;  // status as sent ("301")
  int status_number = 0;
  std::string req_header_block, resp_header_block;  // raw header lines (capped)
  bool req_headers_cut = false, resp_headers_cut = false;
  // Copied at the end of each header block, for decoding and extraction.
  std::string req_content_encoding, resp_content_encoding;
  std::string req_content_type, resp_content_type;
  uint32_t flags = 0;      // ParserFlag bits
  bool tunnel = false;     // CONNECT accepted or 101 Switching Protocols
  bool continued = false;  // the server sent 100 Continue first
  TimestampNs ts_start = 0, ts_end = 0;
  void* user = nullptr;  // the analyzer's per-transaction state
};

}  // namespace netsift::http
