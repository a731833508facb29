// --redact for payload output: where the secrets are in one flow's byte streams.
//
// The analyzer that owns a flow knows where passwords, credentials and hashes sit in
// the bytes it parses; it reports them (AnalyzerContext::secret) and the engine keeps
// them here, per direction, as stream-offset ranges (the span lay in the bytes the
// analyzer was given) or as values (the span was a copy, e.g. a header value libhtp
// built: every occurrence of it in that direction is masked). Payload writers
// (app/session_output.*) mask with `apply` before any encoding, so the text, escaped
// JSON, base64 and hex-dump forms are all covered, and offsets and lengths stay true.
// Bounded: past the caps, ranges merge and values give way to masking the rest of the
// direction — more is masked, never less.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "analyzers/analyzer.h"

namespace netsift {

class Redaction {
 public:
  static constexpr uint8_t kMask = '*';

  // [offset, offset + length) of `dir` is secret.
  void add_range(Dir dir, uint64_t offset, uint64_t length);
  // Every occurrence of `value` in `dir`, at or after `from`, is secret.
  void add_value(Dir dir, uint64_t from, ByteView value);
  // Masks the secret bytes of `bytes`, which are `dir`'s bytes from stream offset `offset`.
  void apply(Dir dir, uint64_t offset, std::span<uint8_t> bytes) const;
  bool empty() const;

 private:
  struct Range {
    uint64_t begin, end;
  };
  struct Value {
    uint64_t from;
    std::string bytes;
  };
  struct Side {
    std::vector<Range> ranges;  // sorted, disjoint
    std::vector<Value> values;
    uint64_t mask_from = UINT64_MAX;  // a cap was reached: everything from here is masked
  };
  static constexpr size_t kMaxRanges = 256;
  static constexpr size_t kMaxValues = 32;
  static constexpr size_t kMaxValueBytes = 4096;
  std::array<Side, 2> sides_;
};

}  // namespace netsift
