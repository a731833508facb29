// Event sinks: JSON Lines on a stream, indented JSON for text mode (as the ancestor
// printed protocol records), one JSON Lines file per event kind in a directory
// (the ancestor's file_output_path), and SQLite. All read the same Event object.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "events/event.h"
#include "output/output_buffer.h"

namespace netsift {

std::unique_ptr<EventSink> make_jsonl_sink(OutputBuffer& out);
std::unique_ptr<EventSink> make_pretty_json_sink(OutputBuffer& out);
// Creates the directory if needed; throws std::runtime_error if it cannot.
std::unique_ptr<EventSink> make_directory_sink(const std::string& dir);
// One table `events` (ts, event, src_ip, src_port, dst_ip, dst_port, proto,
// community_id, json); throws std::runtime_error if the database cannot be opened.
std::unique_ptr<EventSink> make_sqlite_sink(const std::string& path);

// Sends every event to several sinks.
class FanoutSink final : public EventSink {
 public:
  void add(EventSink* sink) { sinks_.push_back(sink); }
  void emit(const Event& e) override {
    for (auto* s : sinks_) s->emit(e);
  }
  void flush() override {
    for (auto* s : sinks_) s->flush();
  }
  bool empty() const { return sinks_.empty(); }

 private:
  std::vector<EventSink*> sinks_;
};

}  // namespace netsift
