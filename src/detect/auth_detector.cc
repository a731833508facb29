#include "detect/auth_detector.h"

#include <fmt/format.h>

#include <algorithm>

#include "events/alert.h"

namespace netsift {

AuthDetector::AuthDetector(const AuthDetectConfig& config)
    : config_(config),
      ring_size_(std::max(config.brute_force_failures, config.compromise_failures)),
      user_cap_(std::max(config.spray_users, config.max_alert_users)) {}

size_t AuthDetector::KeyHash::operator()(const Key& k) const {
  std::string_view addr(reinterpret_cast<const char*>(k.src.bytes.data()), k.src.bytes.size());
  size_t h = std::hash<std::string_view>()(addr) ^ k.src.family;
  return h * 31 + std::hash<std::string_view>()(k.service);
}

AuthDetector::Source& AuthDetector::source_for(const AuthObservation& a) {
  Key key{a.src, std::string(a.service)};
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return *it->second;
  }
  if (index_.size() >= config_.max_sources) {
    // The source silent the longest is forgotten: a long, slow attack can be missed,
    // but memory stays bounded whatever the traffic.
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.sources_evicted;
  }
  lru_.push_front(Source{key, {}, {}});
  lru_.front().failures.reserve(ring_size_);
  index_.emplace(std::move(key), lru_.begin());
  return lru_.front();
}

void AuthDetector::add_failure(Source& s, TimestampNs ts, std::string_view user) {
  // Kept in time order even when attempts arrive slightly out of order (merged from
  // several workers); only the newest ring_size_ matter to any threshold.
  auto& f = s.failures;
  f.insert(std::upper_bound(f.begin(), f.end(), ts), ts);
  if (f.size() > ring_size_) f.erase(f.begin());

  user = user.substr(0, kMaxTrackedUserLength);
  auto& u = s.users;
  auto it = std::find_if(u.begin(), u.end(), [&](const FailedUser& x) { return x.user == user; });
  FailedUser entry{std::string(user), ts};
  if (it != u.end()) {
    entry.last = std::max(it->last, ts);
    u.erase(it);
  }
  auto pos = std::upper_bound(u.begin(), u.end(), entry.last,
                              [](TimestampNs t, const FailedUser& x) { return t < x.last; });
  u.insert(pos, std::move(entry));
  if (u.size() > user_cap_) u.erase(u.begin());
}

size_t AuthDetector::failures_since(const Source& s, TimestampNs from) const {
  return size_t(s.failures.end() - std::lower_bound(s.failures.begin(), s.failures.end(), from));
}

size_t AuthDetector::users_since(const Source& s, TimestampNs from) const {
  return size_t(std::count_if(s.users.begin(), s.users.end(),
                              [&](const FailedUser& x) { return x.last >= from; }));
}

rapidjson::Value AuthDetector::user_list(const Source& s, TimestampNs from, Event& e) const {
  rapidjson::Value list(rapidjson::kArrayType);
  uint32_t n = 0;
  for (auto it = s.users.rbegin(); it != s.users.rend() && n < config_.max_alert_users; ++it) {
    if (it->last < from) continue;
    list.PushBack(
        rapidjson::Value(it->user.data(), rapidjson::SizeType(it->user.size()), e.alloc()),
        e.alloc());
    ++n;
  }
  return list;
}

void AuthDetector::alert(const char* kind, const Source& s, const AuthObservation& a,
                         uint64_t count, TimestampNs first, TimestampNs from, EventSink& out,
                         std::string_view detail) {
  AlertInfo info;
  info.kind = kind;
  info.ts = a.ts;
  info.src = &a.src;
  info.dst = a.dst.empty() ? nullptr : &a.dst;
  info.count = count;
  info.window = config_.window;
  info.detail = detail;
  Event e = make_alert_event(info);
  e.set("service", a.service);
  if (a.result == AuthResult::Success || a.credential_accepted) e.set("user", a.user);
  e.set("users", user_list(s, from, e));
  e.set("distinct_users", uint64_t(users_since(s, from)));
  e.set_time("first", first);
  out.emit(e);
}

void AuthDetector::observe(const AuthObservation& a, EventSink& out) {
  ++stats_.attempts;
  if (!config_.alerts || a.result == AuthResult::Unknown) return;
  Source& s = source_for(a);
  if (s.newest != INT64_MIN && a.ts < s.newest - config_.window) {
    // Further back than the window: time stepped back (captures concatenated, `mergecap
    // -a`), and this source's attempts start a timeline of their own, as in that capture
    // alone; kept, they would all fall outside the window and never count.
    s.failures.clear();
    s.users.clear();
    s.newest = s.last_compromise_alert = INT64_MIN;
    s.brute_force_armed = s.spray_armed = true;
  }
  // The window ends at the newest attempt seen from this source: an attempt merged late
  // from another worker does not move it back.
  s.newest = std::max(s.newest, a.ts);
  const TimestampNs from = s.newest - config_.window;
  const double window_s = double(config_.window) / 1e9;
  char src[kMaxAddressText];
  std::string_view src_text(src, format_address(a.src, src));

  // A failure after the credential was accepted (the database refused the session) is
  // no wrong guess: it counts as a correct password for likely compromise below.
  if (a.result == AuthResult::Failure && !a.credential_accepted) {
    add_failure(s, a.ts, a.user);
    // Brute force: >= N failures in the window. One alert per wave: it re-arms only
    // once a failure finds fewer than N in the window.
    size_t failures = failures_since(s, from);
    if (failures >= config_.brute_force_failures) {
      if (s.brute_force_armed) {
        s.brute_force_armed = false;
        ++stats_.brute_force;
        TimestampNs first = s.failures[s.failures.size() - failures];
        alert("brute_force", s, a, failures, first, first, out,
              fmt::format("{} failed {} {} logins within {:g} s", src_text, failures, a.service,
                          window_s));
      }
    } else {
      s.brute_force_armed = true;
    }
    // Spraying: failures as >= M distinct users in the window (successes do not count:
    // a client that logs in as several users is not spraying).
    size_t users = users_since(s, from);
    if (users >= config_.spray_users) {
      if (s.spray_armed) {
        s.spray_armed = false;
        ++stats_.password_spray;
        TimestampNs first = INT64_MAX;
        for (const auto& u : s.users) {
          if (u.last >= from) first = std::min(first, u.last);
        }
        alert("password_spray", s, a, users, first, from, out,
              fmt::format("{} failed {} logins as {} distinct users within {:g} s", src_text,
                          a.service, users, window_s));
      }
    } else {
      s.spray_armed = true;
    }
    return;
  }

  // Likely compromise: a success after >= C failures in the window, counting only
  // failures after the previous such alert (a tool that keeps logging in with the
  // password it found raises one alert, not one per login).
  TimestampNs since = std::max(
      from, s.last_compromise_alert == INT64_MIN ? INT64_MIN : s.last_compromise_alert + 1);
  size_t failures = failures_since(s, since);
  if (failures >= config_.compromise_failures && failures > 0) {
    s.last_compromise_alert = s.newest;
    ++stats_.login_after_failures;
    TimestampNs first = s.failures[s.failures.size() - failures];
    std::string detail =
        a.result == AuthResult::Success
            ? fmt::format("{} logged in to {} as {} after {} failed logins within {:g} s", src_text,
                          a.service, a.user, failures, window_s)
            : fmt::format(
                  "{} gave {} the right password for {} (accepted, then the session was "
                  "refused) after {} failed logins within {:g} s",
                  src_text, a.service, a.user, failures, window_s);
    alert("login_after_failures", s, a, failures, first, first, out, detail);
  }
}

}  // namespace netsift
