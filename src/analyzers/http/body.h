// One HTTP message body on its way from the wire to the event: content decoding
// (gzip/x-gzip and deflate with zlib, br with libbrotli, zstd with libzstd, its window
// held to 8 MiB as RFC 9659 allows), bounded in output size and in
// expansion ratio so a decompression bomb is stopped and reported, a SHA-256 of the
// whole decoded body, the first `keep` bytes for the event, and every decoded byte
// handed on to an optional consumer (file extraction).
#pragma once

#include <nettle/sha2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/buffer_budget.h"
#include "core/bytes.h"

namespace netsift::http {

struct BodyLimits {
  size_t keep = 4096;                  // decoded bytes kept for the event
  uint64_t max_decoded = 64ull << 20;  // decoded bytes past which decoding stops
  uint64_t max_ratio = 1000;           // decoded/encoded past which decoding stops...
  uint64_t ratio_floor = 1ull << 20;   // ...once this much has been decoded
  // Where the decoders' state (zlib's, brotli's and zstd's windows: up to 16 MiB a body)
  // is charged; a decoder refused memory stops (Problem::Memory). Null: not charged.
  BudgetShare* memory = nullptr;
};

// Receives decoded bytes (extraction, multipart splitting).
class BodyConsumer {
 public:
  virtual ~BodyConsumer() = default;
  virtual void data(ByteView decoded) = 0;
  // The body ended; `complete` is false when bytes were lost or decoding stopped.
  virtual void end(bool complete, std::string_view sha256_hex) = 0;
};

class Body {
 public:
  enum class Problem : uint8_t { None, Bomb, DecodeError, Unsupported, Gap, Memory };

  Body();
  ~Body();
  Body(const Body&) = delete;
  Body& operator=(const Body&) = delete;

  // `content_encoding` as the header gave it ("gzip", "x-gzip", "deflate", "br", "zstd",
  // "identity", a list...). Call once, before add.
  void start(std::string_view content_encoding, const BodyLimits& limits,
             std::unique_ptr<BodyConsumer> consumer = nullptr);
  // Entity bytes as they came (de-chunked); `gap`: stands for lost bytes.
  void add(ByteView raw, bool gap = false);
  // No more bytes: flushes the decoder and the consumer.
  void finish(bool message_complete);

  bool started() const { return started_; }
  uint64_t raw_length() const { return raw_len_; }
  uint64_t decoded_length() const { return decoded_len_; }
  const std::string& kept() const { return kept_; }
  bool truncated() const { return truncated_; }
  // The hash covers the whole decoded body only when nothing was lost or cut.
  bool hash_valid() const { return finished_ && problem_ == Problem::None && !incomplete_; }
  std::string sha256_hex() const { return sha_hex_; }
  const std::string& encoding() const { return encoding_; }  // "gzip", "br"... ("" identity)
  Problem problem() const { return problem_; }
  // Each problem is reported once: true the first time it is asked after it happened.
  bool take_problem_report() {
    bool r = problem_ != Problem::None && !problem_reported_;
    problem_reported_ = true;
    return r;
  }

 private:
  struct Decoder;
  void output(ByteView decoded);
  void stop(Problem p);

  bool started_ = false, finished_ = false;
  BodyLimits limits_;
  std::string encoding_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<BodyConsumer> consumer_;
  sha256_ctx sha_;
  std::string sha_hex_;
  std::string kept_;
  uint64_t raw_len_ = 0, decoded_len_ = 0;
  bool truncated_ = false;
  bool incomplete_ = false;
  Problem problem_ = Problem::None;
  bool problem_reported_ = false;
};

}  // namespace netsift::http
