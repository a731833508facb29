// A large append-only buffer in front of a file descriptor: the hot path appends, and
// a write(2) happens only when the buffer is full or on flush(), never per event.
// Without a descriptor (kMemory) it only gathers: a sharded session worker renders its
// output into one and hands the bytes to the writer thread (take_bytes()).
#pragma once

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace netsift {

class OutputBuffer {
 public:
  static constexpr size_t kFlushAt = 128 << 10;

  static constexpr int kMemory = -1;

  explicit OutputBuffer(int fd) : fd_(fd), cap_(kFlushAt * 2), buf_(new char[cap_]) {}
  ~OutputBuffer() { flush(); }
  OutputBuffer(const OutputBuffer&) = delete;
  OutputBuffer& operator=(const OutputBuffer&) = delete;

  void append(const char* p, size_t n) { std::memcpy(reserve(n), p, n); }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void push(char c) {
    if (len_ == cap_) grow(1);
    buf_[len_++] = c;
  }
  // Makes room for `n` characters, counts them as written and returns where they go;
  // give back what was not used with shrink_by().
  char* reserve(size_t n) {
    if (cap_ - len_ < n) grow(n);
    char* p = buf_.get() + len_;
    len_ += n;
    return p;
  }
  void shrink_by(size_t n) { len_ -= n; }
  // Ends one record: flushes when enough has gathered.
  void end_record() {
    if (len_ >= kFlushAt && fd_ != kMemory) flush();
  }
  bool flush() {
    if (fd_ == kMemory) return true;
    // A LineWriter still holding reserved space would be corrupted by a flush.
    if (open_writers_ != 0) std::abort();
    write_all(buf_.get(), len_);
    len_ = 0;
    return !failed_;
  }
  // Appends whole records gathered elsewhere (a sharded worker's output chunk): a piece
  // of kDirectAt or more goes out from where it lies, in one writev(2) with what is
  // buffered, not through a copy into this buffer. (With 16 workers most chunks are
  // tens of KiB: copying them was 8 % of the reader thread's time.)
  static constexpr size_t kDirectAt = 16 << 10;
  void append_records(std::string_view s) {
    if (fd_ == kMemory || s.size() < kDirectAt) {
      append(s);
      end_record();
      return;
    }
    if (open_writers_ != 0) std::abort();  // as in flush()
    iovec iov[2] = {{buf_.get(), len_}, {const_cast<char*>(s.data()), s.size()}};
    writev_all(iov);
    len_ = 0;
  }
  // After a failed write everything appended is dropped (memory stays bounded) and
  // error() keeps the errno of the first failure (EPIPE: the reader went away).
  bool failed() const { return failed_; }
  int error() const { return error_; }
  // Memory mode: what was gathered, and handing it over by swapping storage with
  // another memory buffer (which comes back empty, its storage kept).
  std::string_view view() const { return {buf_.get(), len_}; }
  size_t size() const { return len_; }
  void swap_bytes(OutputBuffer& other) {
    std::swap(buf_, other.buf_);
    std::swap(cap_, other.cap_);
    std::swap(len_, other.len_);
  }
  void clear() { len_ = 0; }
  // Bookkeeping for LineWriter (see flush()).
  void writer_opened() { ++open_writers_; }
  void writer_closed() { --open_writers_; }

 private:
  void write_all(const char* p, size_t len) {
    size_t done = 0;
    while (done < len && !failed_) {
      ssize_t n = ::write(fd_, p + done, len - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        failed_ = true;
        error_ = errno;
        break;
      }
      done += size_t(n);
    }
  }
  void writev_all(iovec (&iov)[2]) {
    int i = iov[0].iov_len ? 0 : 1;
    while (i < 2 && !failed_) {
      ssize_t n = ::writev(fd_, iov + i, 2 - i);
      if (n < 0) {
        if (errno == EINTR) continue;
        failed_ = true;
        error_ = errno;
        break;
      }
      // A short write (a pipe): on from where it stopped.
      size_t done = size_t(n);
      while (i < 2 && done >= iov[i].iov_len) done -= iov[i++].iov_len;
      if (i < 2) {
        iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + done;
        iov[i].iov_len -= done;
      }
    }
  }
  void grow(size_t n) {
    size_t cap = cap_ * 2;
    while (cap - len_ < n) cap *= 2;
    std::unique_ptr<char[]> bigger(new char[cap]);
    std::memcpy(bigger.get(), buf_.get(), len_);
    buf_ = std::move(bigger);
    cap_ = cap;
  }

  int fd_;
  size_t cap_;
  std::unique_ptr<char[]> buf_;
  size_t len_ = 0;
  bool failed_ = false;
  int error_ = 0;
  int open_writers_ = 0;
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
