// `--hashes FILE`: the `hash` field of every `auth` event, one line each, deduplicated,
// ready for `hashcat -m MODE FILE wordlist` (hashcat skips lines of other modes).
// The file holds secrets an attacker could crack, so it is created 0600 and never
// through a symlink or over an existing file (unless appending to a regular file of
// ours). Lines with control characters (a line break in a user name would forge a
// second line) are refused and counted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

namespace netsift {

class HashFile {
 public:
  // Lines remembered for deduplication; past this, lines are still written (hashcat
  // removes duplicates itself) but only checked against the ones remembered.
  static constexpr size_t kMaxRemembered = 100'000;

  // nullptr with `error` set when the file cannot be created (or exists and `append` is
  // false, or is not a regular file owned by this user).
  static std::unique_ptr<HashFile> open(const std::string& path, bool append, std::string& error);
  ~HashFile();
  HashFile(const HashFile&) = delete;
  HashFile& operator=(const HashFile&) = delete;

  void add(std::string_view line);
  // Empty while every write succeeded; else "PATH: cause" of the first failure.
  const std::string& error() const { return error_; }
  bool close();

  uint64_t written() const { return written_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t refused() const { return refused_; }

 private:
  HashFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void load_existing();

  std::string path_;
  int fd_;
  std::unordered_set<std::string> seen_;
  std::string error_;
  uint64_t written_ = 0, duplicates_ = 0, refused_ = 0;
};

}  // namespace netsift
