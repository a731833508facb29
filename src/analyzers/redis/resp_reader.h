// Streaming reader of RESP2/RESP3 (https://redis.io/docs/reference/protocol-spec/) and of
// Redis inline commands, one direction of a connection. It delivers one top-level value
// at a time and keeps only what the Redis analyzer needs: the type, the text of a scalar
// or error, and the first few string elements of an aggregate, each capped. Bulk bodies
// are consumed as they arrive and never buffered, so a bulk string claiming 2 GB costs
// nothing but the bytes that pass; nesting is tracked with a fixed-size stack.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace netsift::redis {

inline constexpr size_t kMaxItems = 8;         // string elements kept per top-level aggregate
inline constexpr size_t kMaxItemBytes = 512;   // bytes kept per string (the rest is skipped)
inline constexpr size_t kMaxLine = 16 * 1024;  // a header, simple string or inline command
inline constexpr size_t kMaxDepth = 32;        // nested aggregates

// One top-level value: a command (client) or a reply (server).
struct RespMessage {
  char type = 0;       // RESP type byte ('*', '+', '-', '$', '%', '>', ...), 'i' for inline
  std::string text;    // scalar / error / top-level bulk string (capped)
  uint64_t count = 0;  // elements a top-level aggregate declared (inline: words)
  size_t items = 0;    // how many of `item` are set
  std::array<std::string, kMaxItems> item;  // first string/number elements at depth 1 (capped)
  // For each kept item: its RESP type byte and its position among all the elements at
  // depth 1 (aggregates there take a position but no item: EXEC results need both).
  std::array<char, kMaxItems> item_type{};
  std::array<uint64_t, kMaxItems> item_element{};
};

class RespReader {
 public:
  enum class Status : uint8_t { Message, NeedMore, Error };
  enum class Problem : uint8_t { None, BadMessage, LineTooLong, TooDeep };
  struct Result {
    Status status;
    size_t consumed;  // bytes of `data` used; NeedMore: the rest must be offered again
  };

  // `inline_commands`: a top-level line not starting with '*' is an inline command (the
  // client side, as redis-server reads it).
  explicit RespReader(bool inline_commands) : inline_(inline_commands) {}

  // Reads until one top-level value is complete (Message: see message()), the data runs
  // out (NeedMore) or the bytes cannot be RESP (Error: see problem()/error()).
  Result next(ByteView data);
  const RespMessage& message() const { return msg_; }
  // A top-level value is under way (message() holds what was read of it so far).
  bool in_message() const { return started_ && !complete_; }
  Problem problem() const { return problem_; }
  std::string_view error() const { return error_; }

 private:
  struct Frame {
    uint64_t left;   // elements still to come (kStreamed: until '.')
    bool attribute;  // an attribute map: does not count as an element of its parent
  };
  static constexpr uint64_t kStreamed = ~uint64_t(0);

  Result fail(Problem p, std::string_view why, size_t consumed);
  bool line(std::string_view l);  // false: problem_ set
  bool start_string(uint64_t length);
  void scalar(std::string_view text);
  void value_done();
  bool split_inline(std::string_view l);
  std::string* capture_target();

  bool inline_;
  RespMessage msg_;
  bool started_ = false;   // a top-level value is being read
  bool complete_ = false;  // the top-level value just completed
  std::array<Frame, kMaxDepth> stack_{};
  size_t depth_ = 0;
  uint64_t body_left_ = 0;          // bulk bytes still to come
  uint8_t crlf_left_ = 0;           // CR LF still expected after a bulk body
  bool streamed_string_ = false;    // inside a RESP3 "$?" string: ';' chunks until ";0"
  std::string* capture_ = nullptr;  // where the current bulk body goes (capped), or nowhere
  char type_ = 0;                   // type byte of the value being started
  uint64_t element_ = 0;            // depth-1 elements started in this message
  Problem problem_ = Problem::None;
  std::string error_;
};

}  // namespace netsift::redis
