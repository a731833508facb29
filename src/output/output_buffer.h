// A large append-only buffer in front of a file descriptor: the hot path appends, and
// a write(2) happens only when the buffer is full or on flush(), never per event.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace netsift {

class OutputBuffer {
 public:
  static constexpr size_t kFlushAt = 1 << 20;

  explicit OutputBuffer(int fd) : fd_(fd) { buf_.reserve(kFlushAt + 65536); }
  ~OutputBuffer() { flush(); }
  OutputBuffer(const OutputBuffer&) = delete;
  OutputBuffer& operator=(const OutputBuffer&) = delete;

  void append(std::string_view s) { buf_.insert(buf_.end(), s.begin(), s.end()); }
  void append(const char* p, size_t n) { buf_.insert(buf_.end(), p, p + n); }
  void push(char c) { buf_.push_back(c); }
  // Room for `n` more characters; returns where to write them. Call commit(n) after.
  char* reserve(size_t n) {
    size_t old = buf_.size();
    buf_.resize(old + n);
    return buf_.data() + old;
  }
  void shrink_by(size_t n) { buf_.resize(buf_.size() - n); }
  // Ends one record: flushes when enough has gathered.
  void end_record() {
    if (buf_.size() >= kFlushAt) flush();
  }
  bool flush() {
    size_t done = 0;
    while (done < buf_.size()) {
      ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        failed_ = true;
        break;
      }
      done += size_t(n);
    }
    buf_.clear();
    return !failed_;
  }
  bool failed() const { return failed_; }
  // Lets fmt::format_to and RapidJSON write here directly.
  std::vector<char>& raw() { return buf_; }

 private:
  int fd_;
  bool failed_ = false;
  std::vector<char> buf_;
};

// RapidJSON output stream adapter over an OutputBuffer.
class JsonStream {
 public:
  using Ch = char;
  explicit JsonStream(OutputBuffer& out) : out_(out) {}
  void Put(char c) { out_.push(c); }
  void Flush() {}

 private:
  OutputBuffer& out_;
};

}  // namespace netsift
