// The event sink between the analyzers and the outputs that watches `auth` events: it
// passes every event on unchanged, feeds login attempts to the detectors (alerts go
// out right behind the attempt that raised them), counts them for the end-of-run
// summary, and copies `hash` lines to the --hashes file. It reads events, never
// packets, so it can sit behind any number of analyzer threads.
#pragma once

#include <cstdio>
#include <string>

#include "detect/auth_detector.h"
#include "detect/auth_summary.h"
#include "events/event.h"
#include "output/hash_file.h"

namespace netsift {

class AuthMonitor final : public EventSink {
 public:
  // `hashes` may be null (no --hashes).
  AuthMonitor(const AuthDetectConfig& config, EventSink& downstream, HashFile* hashes);

  void emit(const Event& event) override;
  // What emit() does but passing the event on: with sharded workers the event itself
  // was already written by its worker; alerts still go downstream.
  void watch(const Event& event);
  void flush() override { downstream_.flush(); }

  // End of the run: `auth_summary` events to `events` (may be null) and the table
  // appended to `table` (may be null). Nothing when no attempt was seen or the summary
  // is off.
  void finish(EventSink* events, std::string* table, bool utc) const;
  // One line on the detectors (attempts, alerts, sources forgotten), if anything to say.
  void print_summary(FILE* out) const;

  const AuthDetector& detector() const { return detector_; }

 private:
  AuthDetectConfig config_;
  EventSink& downstream_;
  HashFile* hashes_;
  AuthDetector detector_;
  AuthSummary summary_;
  uint64_t unreadable_ = 0;  // auth events without a parsable source address
};

// Fills `out` from an `auth` event; false if the event lacks the fields or its source
// address does not parse.
bool read_auth_observation(const Event& event, AuthObservation& out);

}  // namespace netsift
