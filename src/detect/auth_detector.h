// Brute force, password spraying and likely compromise over login attempts (`auth`
// events), never over packets: the detectors see one attempt at a time, keyed by
// (source address, service), so they give the same alerts wherever the attempts come
// from (one thread today, flow-sharded workers later). docs/events.md, `alert`.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analyzers/auth_event.h"
#include "core/ip_address.h"
#include "core/timestamp.h"
#include "events/event.h"

namespace netsift {

// Defaults and their reasons: docs/config.md (`detect.auth`).
struct AuthDetectConfig {
  bool alerts = true;   // brute_force, password_spray, login_after_failures
  bool summary = true;  // end-of-run attempts per (source, service, user, result)
  TimestampNs window = TimestampNs(600) * 1'000'000'000;  // sliding window
  uint32_t brute_force_failures = 10;  // N: failures by one source against one service
  uint32_t spray_users = 5;            // M: distinct users that source failed as
  uint32_t compromise_failures = 10;   // a success after this many failures
  uint32_t max_sources = 10'000;       // (source, service) pairs tracked; LRU beyond
  uint32_t max_alert_users = 10;       // users listed in one alert
  uint32_t summary_max_rows = 100'000;
};

// Largest settings accepted (memory grows with them).
inline constexpr uint32_t kMaxAuthThreshold = 1000;
inline constexpr uint32_t kMaxAuthSources = 10'000'000;
inline constexpr uint32_t kMaxAuthSummaryRows = 10'000'000;
// User names longer than this are cut in the detectors' memory and alerts.
inline constexpr size_t kMaxTrackedUserLength = 128;

// What the detectors read from one `auth` event.
struct AuthObservation {
  TimestampNs ts = 0;
  IpAddress src, dst;
  std::string_view service, user;
  AuthResult result = AuthResult::Unknown;
  // A failure after the server accepted the credential: a right password, not a guess.
  bool credential_accepted = false;
};

struct AuthDetectStats {
  uint64_t attempts = 0;
  uint64_t brute_force = 0, password_spray = 0, login_after_failures = 0;
  uint64_t sources_evicted = 0;  // (source, service) state forgotten at max_sources
};

class AuthDetector {
 public:
  explicit AuthDetector(const AuthDetectConfig& config);
  // Feeds one attempt; alerts it causes go to `out` (at most one of each kind).
  void observe(const AuthObservation& attempt, EventSink& out);
  const AuthDetectStats& stats() const { return stats_; }
  size_t tracked_sources() const { return index_.size(); }

 private:
  struct Key {
    IpAddress src;
    std::string service;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct FailedUser {
    std::string user;
    TimestampNs last = 0;  // its newest failure
  };
  struct Source {
    Key key;
    // Newest failures, oldest first: at most max(N, compromise) timestamps, which is all
    // a threshold test over the window needs.
    std::vector<TimestampNs> failures;
    // Distinct users with a failure, least recent first; at most max(M, max_alert_users).
    std::vector<FailedUser> users;
    TimestampNs newest = INT64_MIN;
    TimestampNs last_compromise_alert = INT64_MIN;
    bool brute_force_armed = true, spray_armed = true;
  };

  Source& source_for(const AuthObservation& a);
  void add_failure(Source& s, TimestampNs ts, std::string_view user);
  size_t failures_since(const Source& s, TimestampNs from) const;
  size_t users_since(const Source& s, TimestampNs from) const;
  // Users with a failure since `from`, newest first, at most max_alert_users.
  rapidjson::Value user_list(const Source& s, TimestampNs from, Event& e) const;
  void alert(const char* kind, const Source& s, const AuthObservation& a, uint64_t count,
             TimestampNs first, TimestampNs from, EventSink& out, std::string_view detail);

  AuthDetectConfig config_;
  size_t ring_size_;
  size_t user_cap_;
  std::list<Source> lru_;  // most recently used first
  std::unordered_map<Key, std::list<Source>::iterator, KeyHash> index_;
  AuthDetectStats stats_;
};

}  // namespace netsift
