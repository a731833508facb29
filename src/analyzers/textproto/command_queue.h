// Commands a client has sent and the server has not answered yet, oldest first. Servers
// answer in order (SMTP PIPELINING, RFC 2920; FTP, POP3), so each final reply belongs to
// the front. Fixed capacity, no allocation: a client that runs further ahead than that
// is not one these analyzers can follow (push fails and the analyzer gives up).
#pragma once

#include <array>
#include <cstddef>

namespace netsift::textproto {

template <typename T, size_t N>
class CommandQueue {
 public:
  bool push(const T& v) {
    if (size_ == N) return false;
    items_[(head_ + size_++) % N] = v;
    return true;
  }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  T& front() { return items_[head_]; }
  void pop() {
    if (!size_) return;
    head_ = (head_ + 1) % N;
    --size_;
  }
  void clear() { head_ = size_ = 0; }

 private:
  std::array<T, N> items_{};
  size_t head_ = 0, size_ = 0;
};

}  // namespace netsift::textproto
