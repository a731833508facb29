// End-of-run summary of login attempts per (source, service, user, result): counted as
// `auth` events pass, then written as `auth_summary` events (JSON, directory, SQLite)
// and as a table for people. docs/events.md, `auth_summary`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "detect/auth_detector.h"

namespace netsift {

class AuthSummary {
 public:
  explicit AuthSummary(uint32_t max_rows) : max_rows_(max_rows) {}
  void add(const AuthObservation& attempt);
  bool empty() const { return rows_.empty() && untracked_ == 0; }
  // One `auth_summary` event per row, sorted by source, service, user and result; `ts`
  // is the row's last attempt.
  void emit(EventSink& out) const;
  // The same as an aligned table ("Login attempts by ...", one line per row).
  std::string table(bool utc) const;
  // Attempts not itemized because the row cap was reached.
  uint64_t untracked() const { return untracked_; }

 private:
  using Key = std::tuple<IpAddress, std::string, std::string, AuthResult>;
  struct Row {
    uint64_t count = 0;
    TimestampNs first = 0, last = 0;
    IpAddress server;        // the server of the first attempt
    bool one_server = true;  // every attempt of the row went to that server
  };
  uint32_t max_rows_;
  std::map<Key, Row> rows_;
  uint64_t untracked_ = 0;
};

}  // namespace netsift
