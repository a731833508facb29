// Event sinks: JSON Lines on a stream, indented JSON for text mode (as the ancestor
// printed protocol records), one JSON Lines file per event kind in a directory
// (the ancestor's file_output_path), and SQLite. All read the same Event object.
//
// Sinks that own an output (directory, database) report write errors as values: the
// first one is kept as "OUTPUT: cause" in error(), later events are dropped, and the
// caller ends the run (events are never lost silently). What was written or committed
// before the error stays readable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "events/event.h"
#include "output/output_buffer.h"
#include "output/safe_file.h"

namespace netsift {

std::unique_ptr<EventSink> make_jsonl_sink(OutputBuffer& out);
std::unique_ptr<EventSink> make_pretty_json_sink(OutputBuffer& out);

class OutputSink : public EventSink {
 public:
  // Empty while every write succeeded.
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }
  // Writes out what is pending and releases the output; false with error() set.
  virtual bool close() = 0;

 protected:
  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

 private:
  std::string error_;
};

// What to do when the output already holds events from an earlier run.
enum class ExistingOutput { Refuse, Append };

// Creates the directory if needed. Refuse: a directory already holding *.jsonl files is
// an error (and so is one appearing there later). Files are created through
// safe_file.h with `secrecy`. nullptr with `error` set when the directory cannot be used.
std::unique_ptr<OutputSink> open_directory_sink(const std::string& dir, ExistingOutput existing,
                                                FileSecrecy secrecy, std::string& error);
// One table `events` (ts, event, src_ip, src_port, dst_ip, dst_port, proto,
// community_id, json), committed every 10,000 events and on flush(). Refuse: a database
// whose `events` table holds rows is an error. nullptr with `error` set when the file
// cannot be opened or is not a SQLite database. The file (and its -wal/-shm) is made
// and checked by safe_file.h with `secrecy`.
std::unique_ptr<OutputSink> open_sqlite_sink(const std::string& path, ExistingOutput existing,
                                             FileSecrecy secrecy, std::string& error);

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
