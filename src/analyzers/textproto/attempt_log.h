// Login attempts of one connection, oldest first, each named by a sequence number that
// stays valid while the attempt is kept: pipelined commands (CommandQueue) carry the
// number of the attempt they belong to, and the reply that settles a command finds its
// attempt by it (FTP, POP3). Attempt needs `pending` (a command of it is unanswered)
// and `resolved` (its outcome is known) members.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace netsift::textproto {

template <typename Attempt>
class AttemptLog : public std::deque<Attempt> {
 public:
  // The attempt with sequence number `id`, or nullptr when it was dropped.
  Attempt* find(uint64_t id) {
    if (id < first_id_ || id - first_id_ >= this->size()) return nullptr;
    return &(*this)[size_t(id - first_id_)];
  }
  // Sequence number of the newest attempt (the log must not be empty).
  uint64_t newest_id() const { return first_id_ + (this->size() - 1); }
  // A command of the newest attempt is sent: the attempt waits for one more answer.
  // Returns the number the command carries.
  uint64_t tie_newest() {
    ++this->back().pending;
    return newest_id();
  }
  // The answer to a command of attempt `id` came (or was lost): the attempt, waiting for
  // one answer less, or nullptr when it was dropped.
  Attempt* answered(uint64_t id) {
    Attempt* a = find(id);
    if (a) --a->pending;
    return a;
  }

  // Drops answered attempts from the front, and abandoned ones: nothing pending and a
  // newer one begun (no outcome is coming for them).
  void prune() {
    while (!this->empty()) {
      const Attempt& a = this->front();
      if (a.pending || (!a.resolved && this->size() == 1)) break;
      this->pop_front();
      ++first_id_;
    }
  }

 private:
  uint64_t first_id_ = 0;  // sequence number of front()
};

}  // namespace netsift::textproto
