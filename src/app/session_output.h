// Turns flow engine notifications into session records: tcp_session at close, tcp_data
// chunks when streaming, udp per datagram, in the ancestor's text form or as events.
#pragma once

#include <memory>

#include "app/session_filter.h"
#include "app/session_options.h"
#include "core/buffer_budget.h"
#include "events/event.h"
#include "flow/flow_table.h"
#include "output/output_buffer.h"
#include "output/time_format.h"

namespace netsift {

class SessionOutput final : public FlowObserver {
 public:
  // `events` (may be null) receives session records as events (JSON Lines, directory,
  // SQLite); `text` (may be null) gets the ancestor's text form.
  SessionOutput(const SessionOptions& options, EventSink* events, OutputBuffer* text);
  void on_flow_start(Flow& flow) override;
  void on_tcp_data(Flow& flow, Dir dir, uint64_t offset, ByteView data) override;
  void on_tcp_gap(Flow& flow, Dir dir, uint64_t offset, uint64_t length) override;
  void on_udp_datagram(Flow& flow, Dir dir, ByteView data) override;
  void on_analyzed(Flow& flow) override;
  void on_flow_end(Flow& flow) override;
  // Sharded workers: max_session_data_total holds for all of them together, this
  // output drawing its allowance from `pool`.
  void share_transcript_budget(SharedBudget* pool) {
    transcripts_.shared = pool;
    transcripts_.limit = 0;
  }

 private:
  struct Transcript;
  struct Pending;
  // --redact: `data` with the flow's known secrets masked (a view of scratch_), or
  // entirely masked.
  ByteView masked(const Flow& flow, Dir dir, uint64_t offset, ByteView data, bool all = false);
  void write_chunk(Flow& flow, Dir dir, uint64_t offset, TimestampNs ts, ByteView data);
  void write_gap(Flow& flow, Dir dir, uint64_t offset, uint64_t length);
  // --redact, --stream: writes what the flow's analyzer has settled (all: everything).
  void flush(Flow& flow, bool all);
  bool wanted(const Flow& flow) const;
  void put_data(ByteView data);
  void put_endpoints(const Flow& flow, Dir dir);
  void put_time(TimestampNs ts);
  void put_data_field(Event& e, const char* key, ByteView data);

  struct NullSink final : EventSink {
    void emit(const Event&) override {}
  };
  const SessionOptions& options_;
  NullSink null_sink_;
  EventSink& events_;
  bool events_enabled_;
  OutputBuffer* text_;
  TimeFormatter time_;
  SessionFilter filter_;
  BufferBudget transcripts_;      // held by all open whole-session transcripts
  uint64_t pending_bytes_ = 0;    // --redact --stream: held by all flows until settled
  std::vector<uint8_t> scratch_;  // --redact: masked copy of the bytes being written
};

}  // namespace netsift
