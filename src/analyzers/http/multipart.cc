#include "analyzers/http/multipart.h"

#include <cctype>

#include "analyzers/http/headers.h"

namespace netsift::http {
namespace {

constexpr size_t kMaxPartHeaders = 8192;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A parameter of a header value: `name=value` or `name="value"` after a ';'.
std::string parameter(std::string_view value, std::string_view name) {
  std::string low = lower(value);
  size_t pos = 0;
  while ((pos = low.find(name, pos)) != std::string::npos) {
    bool starts = pos > 0 && (low[pos - 1] == ';' || low[pos - 1] == ' ' || low[pos - 1] == '\t');
    size_t eq = pos + name.size();
    while (eq < low.size() && low[eq] == ' ') ++eq;
    if (!starts || eq >= low.size() || low[eq] != '=') {
      pos += name.size();
      continue;
    }
    size_t v = eq + 1;
    while (v < value.size() && value[v] == ' ') ++v;
    if (v < value.size() && value[v] == '"') {
      size_t end = value.find('"', v + 1);
      return std::string(value.substr(v + 1, end == std::string_view::npos ? end : end - v - 1));
    }
    size_t end = value.find_first_of("; \t", v);
    return std::string(value.substr(v, end == std::string_view::npos ? end : end - v));
  }
  return {};
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  if (!lower(content_type.substr(0, 10)).starts_with("multipart/")) return {};
  std::string b = parameter(content_type, "boundary");
  return b.size() <= 200 ? b : std::string();
}

MultipartSplitter::MultipartSplitter(std::string boundary, OpenPart open,
                                     std::unique_ptr<BodyConsumer> whole)
    : delimiter_("\r\n--" + boundary), open_(std::move(open)), whole_(std::move(whole)) {}

MultipartSplitter::~MultipartSplitter() = default;

void MultipartSplitter::data(ByteView decoded) {
  if (whole_) whole_->data(decoded);
  if (state_ == State::Broken || state_ == State::Epilogue) return;
  buf_.append(reinterpret_cast<const char*>(decoded.data()), decoded.size());
  process();
}

void MultipartSplitter::process() {
  for (;;) {
    switch (state_) {
      case State::Preamble: {
        // The first delimiter may open the body directly ("--b") or follow a preamble.
        if (first_) {
          std::string_view open = std::string_view(delimiter_).substr(2);
          if (buf_.size() < open.size()) return;
          first_ = false;
          if (buf_.compare(0, open.size(), open) == 0) {
            buf_.erase(0, open.size());
            state_ = State::AfterDelimiter;
            continue;
          }
        }
        size_t at = buf_.find(delimiter_);
        if (at == std::string::npos) {
          if (buf_.size() >= delimiter_.size()) buf_.erase(0, buf_.size() - delimiter_.size() + 1);
          return;
        }
        buf_.erase(0, at + delimiter_.size());
        state_ = State::AfterDelimiter;
        continue;
      }
      case State::AfterDelimiter:
        if (buf_.size() < 2) return;
        if (buf_.compare(0, 2, "--") == 0) {
          state_ = State::Epilogue;
          buf_.clear();
          return;
        }
        {
          // Transport padding (spaces) then CRLF.
          size_t eol = buf_.find('\n');
          if (eol == std::string::npos) {
            if (buf_.size() > 256) state_ = State::Broken;
            return;
          }
          buf_.erase(0, eol + 1);
        }
        state_ = State::Headers;
        continue;
      case State::Headers: {
        size_t end = buf_.find("\r\n\r\n");
        size_t skip = 4;
        if (end == std::string::npos && buf_.starts_with("\r\n")) end = 0, skip = 2;
        if (end == std::string::npos) {
          if (buf_.size() > kMaxPartHeaders) state_ = State::Broken;
          return;
        }
        start_part(std::string_view(buf_).substr(0, end));
        buf_.erase(0, end + skip);
        state_ = State::Data;
        continue;
      }
      case State::Data: {
        size_t at = buf_.find(delimiter_);
        if (at == std::string::npos) {
          if (buf_.size() >= delimiter_.size()) {
            size_t n = buf_.size() - delimiter_.size() + 1;
            part_data(std::string_view(buf_).substr(0, n));
            buf_.erase(0, n);
          }
          return;
        }
        part_data(std::string_view(buf_).substr(0, at));
        end_part(true);
        buf_.erase(0, at + delimiter_.size());
        state_ = State::AfterDelimiter;
        continue;
      }
      case State::Epilogue:
      case State::Broken:
        return;
    }
  }
}

void MultipartSplitter::start_part(std::string_view headers) {
  PartInfo info;
  auto fields = parse_header_block(headers);
  std::string_view disposition = find_header(fields, "content-disposition");
  info.name = parameter(disposition, "name");
  info.filename = parameter(disposition, "filename");
  info.content_type = std::string(find_header(fields, "content-type"));
  ++parts_;
  sha256_init(&part_sha_);
  part_ = open_ ? open_(info) : nullptr;
}

void MultipartSplitter::part_data(std::string_view bytes) {
  if (bytes.empty()) return;
  sha256_update(&part_sha_, bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
  if (part_) part_->data(ByteView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

void MultipartSplitter::end_part(bool complete) {
  if (!part_) return;
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&part_sha_, sizeof digest, digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t b : digest) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  part_->end(complete, hex);
  part_.reset();
}

void MultipartSplitter::end(bool complete, std::string_view sha256_hex) {
  if (state_ == State::Data) end_part(false);  // a part the body never closed
  if (whole_) whole_->end(complete, sha256_hex);
  whole_.reset();
}

}  // namespace netsift::http
