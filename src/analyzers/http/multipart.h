// multipart/form-data (RFC 7578, RFC 2046 §5.1) split as the body streams by: each part's
// content goes to its own consumer (a file of --extract-files), with the part's name,
// filename and content type from its headers. Bounded: part headers up to 8 KiB, and
// only a delimiter's length of data held back between calls.
#pragma once

#include <nettle/sha2.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "analyzers/http/body.h"

namespace netsift::http {

struct PartInfo {
  std::string name, filename, content_type;
};

// The boundary parameter of a multipart Content-Type, or "" when it is not one.
std::string multipart_boundary(std::string_view content_type);

class MultipartSplitter final : public BodyConsumer {
 public:
  using OpenPart = std::function<std::unique_ptr<BodyConsumer>(const PartInfo&)>;
  // `whole` (may be null) still receives the entire body.
  MultipartSplitter(std::string boundary, OpenPart open, std::unique_ptr<BodyConsumer> whole);
  ~MultipartSplitter() override;

  void data(ByteView decoded) override;
  void end(bool complete, std::string_view sha256_hex) override;
  size_t parts() const { return parts_; }

 private:
  enum class State : uint8_t { Preamble, AfterDelimiter, Headers, Data, Epilogue, Broken };
  void process();
  void start_part(std::string_view headers);
  void part_data(std::string_view bytes);
  void end_part(bool complete);

  std::string delimiter_;  // "\r\n--" + boundary
  OpenPart open_;
  std::unique_ptr<BodyConsumer> whole_;
  std::unique_ptr<BodyConsumer> part_;
  sha256_ctx part_sha_;
  State state_ = State::Preamble;
  std::string buf_;
  bool first_ = true;  // the first delimiter may start the body without a CRLF
  size_t parts_ = 0;
};

}  // namespace netsift::http
