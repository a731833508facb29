#include "app/worker_output.h"

#include <algorithm>
#include <cstring>

#include "output/event_sinks.h"

namespace netsift {

SessionOptions worker_options(const SessionOptions& run, uint32_t workers) {
  SessionOptions o = run;
  o.flow.max_flows = std::max<size_t>(1, (run.flow.max_flows + workers - 1) / workers);
  return o;
}

void write_chunk(const OutputChunk& c, const ShardedOutputs& outputs, bool watch_auth) {
  if (outputs.out && c.text.size()) outputs.out->append_records(c.text.view());
  for (const auto& e : c.events) {
    if (e.to_files && outputs.files) outputs.files->emit(e.event);
    if (watch_auth && e.auth && outputs.auth) outputs.auth->watch(e.event);
  }
}

WorkerOutput::WorkerOutput(const SessionOptions& options, const ShardedOutputs& outputs,
                           SharedBudget& transcripts, Listener& listener)
    : filter_(options.filters),
      records_(listener, false),
      analyzer_events_(listener, true),
      filtered_(filter_, analyzer_events_),
      stdout_events_(outputs.out != nullptr),
      stdout_records_(outputs.out != nullptr && options.json),
      to_files_(outputs.files != nullptr),
      watch_auth_(outputs.auth != nullptr),
      session_output_(options,
                      stdout_records_ || to_files_ ? static_cast<EventSink*>(&records_) : nullptr,
                      outputs.out != nullptr && !options.json ? &render_ : nullptr) {
  if (stdout_events_) {
    stdout_sink_ = options.json ? make_jsonl_sink(render_) : make_pretty_json_sink(render_);
  }
  session_output_.share_transcript_budget(&transcripts);
}

int32_t WorkerOutput::take(const Event& e, bool analyzer, OutputChunk& chunk) {
  if (analyzer ? stdout_events_ : stdout_records_) stdout_sink_->emit(e);
  bool auth = analyzer && watch_auth_ && std::strcmp(e.kind(), "auth") == 0;
  if (!to_files_ && !auth) return -1;
  chunk.events.push_back({Event(e, chunk.alloc), to_files_, auth});
  chunk.auth += auth;
  return int32_t(chunk.events.size() - 1);
}

}  // namespace netsift
