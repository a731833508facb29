// --extract-files: each decoded body (and each part of a multipart upload) written once
// under DIR/<sha256>, with DIR/<sha256>.json naming the flow, URI and content type.
// Files are created through output/safe_file.h (O_CREAT|O_EXCL|O_NOFOLLOW relative to
// the directory, which is opened once and never through another user's link), mode 0644,
// as a temporary name first and linked to the hash name when complete: a planted
// symlink is never followed, an existing file is never overwritten, a partial body
// (lost bytes, decoding stopped, size cap) leaves nothing behind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "analyzers/http/body.h"

namespace netsift::http {

struct FileMeta {
  std::string flow;  // "tcp 192.0.2.1:40000 -> 192.0.2.2:80"
  std::string community_id;
  std::string uri, method, host;
  std::string direction;  // "request" | "response"
  std::string content_type;
  std::string filename;   // multipart part's filename, when given
  std::string part_name;  // multipart part's field name
  double ts = 0;
  uint64_t* failures = nullptr;  // also counted here when the file fails (outlives it)
};

// One per engine (worker), shared by its HTTP flows: the directory is opened once.
class FileStore {
 public:
  // `dir` is created (0755) when missing. ok() false when it cannot be used (error()).
  FileStore(std::string dir, uint64_t max_size);
  ~FileStore();
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  bool ok() const { return dir_fd_ >= 0; }
  const std::string& error() const { return error_; }
  // A consumer that writes one file; null when the store is unusable.
  std::unique_ptr<BodyConsumer> open(FileMeta meta);
  uint64_t failures() const { return failures_; }
  uint64_t written() const { return written_; }

 private:
  friend class FileWriter;
  int dir_fd_ = -1;
  std::string dir_;
  std::string error_;
  uint64_t max_size_;
  uint64_t counter_ = 0;
  uint64_t failures_ = 0, written_ = 0;
};

}  // namespace netsift::http
