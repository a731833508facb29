#include "detect/auth_monitor.h"

#include <cstring>

namespace netsift {
namespace {

std::string_view string_field(const rapidjson::Document& d, const char* key) {
  auto it = d.FindMember(key);
  if (it == d.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace

bool read_auth_observation(const Event& e, AuthObservation& out) {
  const auto& d = e.doc();
  std::string_view src = string_field(d, "src_ip"), dst = string_field(d, "dst_ip");
  if (src.empty() || !parse_address(std::string(src), out.src)) return false;
  if (dst.empty() || !parse_address(std::string(dst), out.dst)) out.dst = IpAddress{};
  out.ts = e.ts();
  out.service = string_field(d, "service");
  out.user = string_field(d, "user");
  std::string_view result = string_field(d, "result");
  out.result = result == "success"   ? AuthResult::Success
               : result == "failure" ? AuthResult::Failure
                                     : AuthResult::Unknown;
  auto accepted = d.FindMember("credential_accepted");
  out.credential_accepted =
      accepted != d.MemberEnd() && accepted->value.IsBool() && accepted->value.GetBool();
  return true;
}

AuthMonitor::AuthMonitor(const AuthDetectConfig& config, EventSink& downstream, HashFile* hashes)
    : config_(config),
      downstream_(downstream),
      hashes_(hashes),
      detector_(config),
      summary_(config.summary_max_rows) {}

void AuthMonitor::emit(const Event& e) {
  downstream_.emit(e);
  watch(e);
}

void AuthMonitor::watch(const Event& e) {
  if (std::strcmp(e.kind(), "auth") != 0) return;
  if (hashes_) {
    std::string_view hash = string_field(e.doc(), "hash");
    // Under --redact the analyzers already wrote the mask; it is no hash.
    if (!hash.empty() && hash != kRedacted) hashes_->add(hash);
  }
  AuthObservation a;
  if (!read_auth_observation(e, a)) {
    ++unreadable_;
    return;
  }
  if (config_.summary) summary_.add(a);
  detector_.observe(a, downstream_);
}

void AuthMonitor::finish(EventSink* events, std::string* table, bool utc) const {
  if (!config_.summary || summary_.empty()) return;
  if (events) summary_.emit(*events);
  if (table) *table += summary_.table(utc);
}

void AuthMonitor::print_summary(FILE* out) const {
  const AuthDetectStats& s = detector_.stats();
  if (s.attempts == 0 && unreadable_ == 0 && !hashes_) return;
  std::fprintf(out,
               "netsift: %lu login attempts, alerts: %lu brute_force, %lu password_spray, %lu "
               "login_after_failures\n",
               (unsigned long)s.attempts, (unsigned long)s.brute_force,
               (unsigned long)s.password_spray, (unsigned long)s.login_after_failures);
  if (s.sources_evicted) {
    std::fprintf(out,
                 "netsift: %lu login sources forgotten at the detectors' cap of %u "
                 "(detect.auth.max_sources)\n",
                 (unsigned long)s.sources_evicted, config_.max_sources);
  }
  if (unreadable_) {
    std::fprintf(out, "netsift: %lu auth events without a source address (not counted)\n",
                 (unsigned long)unreadable_);
  }
  if (hashes_) {
    std::fprintf(out, "netsift: %lu hash lines written (%lu duplicates, %lu refused)\n",
                 (unsigned long)hashes_->written(), (unsigned long)hashes_->duplicates(),
                 (unsigned long)hashes_->refused());
  }
}

}  // namespace netsift
