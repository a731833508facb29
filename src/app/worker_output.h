// The output side of a session worker thread (--workers, --fanout), shared by both kinds
// of worker: the session filters, session records and protocol events rendered for
// standard output (JSON Lines, or the text form and indented JSON) into a memory
// buffer, and copies of the events the writer thread still needs (file sinks, login
// detectors), gathered into chunks that the worker hands over to the writer.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "app/session_filter.h"
#include "app/session_options.h"
#include "app/session_output.h"
#include "core/buffer_budget.h"
#include "detect/auth_monitor.h"
#include "events/event.h"
#include "output/output_buffer.h"

namespace netsift {

// Where the workers' output goes (all owned by the caller, used from the writer thread).
struct ShardedOutputs {
  OutputBuffer* out = nullptr;  // standard output (JSON Lines, or text + indented JSON)
  EventSink* files = nullptr;   // directory and SQLite sinks, or null when none
  AuthMonitor* auth = nullptr;  // login detectors; their alerts go to its downstream
};

// One worker's options out of the run's: the flow cap is shared out evenly (flows hash
// evenly over the workers; one flow is one flow, however heavy). The byte caps are
// global (SharedBudget): one worker's elephant flows may use what the others do not.
SessionOptions worker_options(const SessionOptions& run, uint32_t workers);

// A worker hands its output over in chunks of about this much, so that memory stays
// bounded by chunks, not by what a stretch of the capture emits.
constexpr size_t kChunkBytes = 1 << 20;
constexpr size_t kChunkEvents = 4096;

// A piece of one worker's output: rendered bytes for standard output, and copies of
// the events the writer still needs, in the worker's order.
struct OutputChunk {
  struct Copy {
    Event event;
    bool to_files;
    bool auth;
  };
  OutputBuffer text{OutputBuffer::kMemory};
  rapidjson::MemoryPoolAllocator<> alloc;
  std::vector<Copy> events;
  size_t auth = 0;    // events for the detectors
  bool last = false;  // the last chunk (of a round, or of the worker)
  void clear() {
    auth = 0;
    last = false;
    text.clear();
    events.clear();  // before the memory they live in
    alloc.Clear();
  }
};

// Writes a chunk's bytes and file events, and with `watch_auth` its login attempts, in
// the worker's order.
void write_chunk(const OutputChunk& c, const ShardedOutputs& outputs, bool watch_auth);

class WorkerOutput {
 public:
  // The worker sees every event first (to mark or cut its chunk there) and passes it to
  // take(); `analyzer`: a protocol event, not a session record.
  struct Listener {
    virtual void on_event(const Event& e, bool analyzer) = 0;

   protected:
    ~Listener() = default;
  };

  // `options` (the worker's) outlive this; `transcripts` is the run's global budget.
  WorkerOutput(const SessionOptions& options, const ShardedOutputs& outputs,
               SharedBudget& transcripts, Listener& listener);
  WorkerOutput(const WorkerOutput&) = delete;
  WorkerOutput& operator=(const WorkerOutput&) = delete;

  // What the worker's flow engine reports to: flow notifications, protocol events.
  FlowObserver& sessions() { return session_output_; }
  EventSink& analyzer_events() { return filtered_; }

  // Renders `e` for standard output and copies it into `chunk` when the writer needs
  // it: returns the copy's index in chunk.events, or -1.
  int32_t take(const Event& e, bool analyzer, OutputChunk& chunk);
  // Bytes rendered since the last move_to().
  size_t rendered() const { return render_.size(); }
  bool chunk_full(const OutputChunk& chunk) const {
    return render_.size() >= kChunkBytes || chunk.events.size() >= kChunkEvents;
  }
  // Moves the rendered bytes into `chunk` (whose buffer, empty, comes back for reuse).
  void move_to(OutputChunk& chunk) { chunk.text.swap_bytes(render_); }

 private:
  struct Sink final : EventSink {
    Sink(Listener& l, bool analyzer) : listener(l), analyzer(analyzer) {}
    void emit(const Event& e) override { listener.on_event(e, analyzer); }
    Listener& listener;
    bool analyzer;
  };

  SessionFilter filter_;
  Sink records_, analyzer_events_;
  FilteringSink filtered_;
  bool stdout_events_, stdout_records_, to_files_, watch_auth_;
  OutputBuffer render_{OutputBuffer::kMemory};
  std::unique_ptr<EventSink> stdout_sink_;
  SessionOutput session_output_;
};

}  // namespace netsift
