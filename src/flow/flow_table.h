// Flows: one per bidirectional 5-tuple (+VLAN ids), IPv4 and IPv6. TCP flows carry a
// reassembler per direction; every flow may carry a protocol analyzer chosen by port
// or by probing its first bytes. Flows expire on packet time (idle timeouts per
// protocol), are capped in number and buffered bytes, and are all flushed at the end.
// Whatever a cap drops or cuts short is counted and reported.
#pragma once

#include <tsl/robin_map.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analyzers/analyzer.h"
#include "analyzers/app_layer.h"
#include "core/problems.h"
#include "decode/packet_view.h"
#include "events/event.h"
#include "flow/flow_key.h"
#include "flow/tcp_stream.h"

namespace netsift {

struct FlowConfig {
  size_t max_flows = 1'000'000;
  uint64_t max_buffer_per_direction = 4u << 20;    // out-of-order bytes held per direction
  uint64_t max_buffer_total = 512u << 20;          // out-of-order bytes held in all flows
  TimestampNs tcp_timeout = 3600 * kNsPerSec;      // idle open TCP connection
  TimestampNs tcp_closed_linger = 30 * kNsPerSec;  // after FIN/RST: absorbs late packets
  // Live capture: a TCP session is reported as soon as it closes (both FINs with all
  // data before them, or a RST) and only a tombstone lingers to absorb late ACKs and
  // retransmissions; files report it when the linger ends (their output is unchanged).
  bool report_at_close = false;
  TimestampNs udp_timeout = 60 * kNsPerSec;
  bool track_udp = true;
  AppLayerConfig app;  // protocol analyzers: enabled, ports, options, limits
};

struct FlowTableStats {
  uint64_t tcp_flows = 0;
  uint64_t udp_flows = 0;
  uint64_t flows_evicted = 0;  // closed early because max_flows was reached
  uint64_t tcp_gap_bytes = 0;
  uint64_t tcp_cap_dropped_bytes = 0;
  uint64_t tcp_overlaps = 0;              // segments re-sending bytes already held or sent
  uint64_t tcp_conflicting_overlaps = 0;  // of which with other bytes (the first copy wins)
};

enum class CloseReason : uint8_t { Open, Fin, Rst, Timeout, EndOfInput, Evicted, PortReuse };
std::string_view close_reason_name(CloseReason r);

class FlowTable;

// Extra per-flow state an observer wants to keep (e.g. a transcript); owned by the flow.
struct FlowUserData {
  virtual ~FlowUserData() = default;
};

class Flow final : public StreamReceiver {
 public:
  FlowKey key;
  FlowInfo info;  // client/server view, kept current (info.now)
  bool client_is_lo = true;
  // No SYN from the client seen: the capture started after the connection did.
  bool midstream() const { return !syn[0]; }
  TimestampNs first_ts = 0, last_ts = 0;  // packet time
  TimestampNs idle_since = 0;             // capture progress (CaptureClock) at the last packet
  uint64_t touch_pos = 0;  // FlowTable::set_position at the last packet (sharded workers)
  std::array<uint64_t, 2> packets{}, payload_bytes{};  // [Dir::ToServer], [Dir::ToClient]
  std::array<bool, 2> syn{}, fin{};
  bool rst = false;
  bool has_client_isn = false;
  bool client_acked = false;  // the client acknowledged the SYN/ACK: handshake done
  uint32_t client_isn = 0;    // sequence number of the client's SYN
  CloseReason state = CloseReason::Open;
  bool reported = false;  // report_at_close: already reported, a tombstone until it expires
  std::array<std::unique_ptr<TcpStream>, 2> streams;
  AppFlow app;  // the protocol analyzer's state (analyzers/app_layer.h)
  std::unique_ptr<FlowUserData> user;
  bool is_tcp() const { return key.proto == 6; }

 private:
  friend class FlowTable;
  void on_stream_data(int dir, uint64_t offset, ByteView data) override;
  void on_stream_gap(int dir, uint64_t offset, uint64_t length) override;

  FlowTable* table_ = nullptr;
  // Merged captures: the other of two open connections on this 4-tuple with the same
  // ISN (a copy of the capture replaying it); only one of them is in the table's map.
  Flow* twin_ = nullptr;
  int lru_ = -1;
  Flow* prev_ = nullptr;
  Flow* next_ = nullptr;
};

// What the flow engine tells its user (the sessions output).
class FlowObserver {
 public:
  virtual ~FlowObserver() = default;
  virtual void on_flow_start(Flow& flow) {}
  virtual void on_tcp_data(Flow& flow, Dir dir, uint64_t offset, ByteView data) {}
  virtual void on_tcp_gap(Flow& flow, Dir dir, uint64_t offset, uint64_t length) {}
  virtual void on_udp_datagram(Flow& flow, Dir dir, ByteView data) {}
  // The analyzer has seen the bytes or hole just reported (--redact: what it settled
  // may now be written, see AppFlow::settled).
  virtual void on_analyzed(Flow& flow) {}
  virtual void on_flow_end(Flow& flow) {}
};

// Sharded workers (app/sharded_sessions.*): told which flow is about to end while the
// table expires or flushes flows, so that what the flow emits can be put where one
// table would have put it (idle list, then position of the flow's last packet).
class FlowEndHook {
 public:
  virtual ~FlowEndHook() = default;
  virtual void on_flow_ending(int idle_list, uint64_t touch_pos) = 0;
};

class FlowTable {
 public:
  // `analyzers` (usually analyzer_registry()) must outlive the table.
  FlowTable(FlowConfig config, std::span<const AnalyzerSpec> analyzers, FlowObserver& observer,
            EventSink& events);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // A decoded (and defragmented) packet. Non-TCP/UDP packets are ignored.
  void on_packet(const PacketView& v);
  // Whether on_packet would look at this packet at all (sharded workers get no other).
  static bool accepts(const PacketView& v, bool track_udp) {
    if (!v.is_ip() || v.src_ip.empty()) return false;
    if (v.fragment && v.frag_offset != 0) return false;  // defragmentation failed or pending
    return v.l4_header && (v.l4 == L4::Tcp || (v.l4 == L4::Udp && track_udp));
  }
  // The capture's progress (CaptureClock) for the packets that follow: idle timeouts
  // are measured in it, not in the packets' own stamps. `stamp`: what the flows they
  // touch are stamped with (CaptureClock::stamp: ahead of `now` for the first packet
  // after a jump not yet confirmed).
  void set_clock(TimestampNs now) { now_ = stamp_ = now; }
  void set_clock(TimestampNs now, TimestampNs stamp) {
    now_ = now;
    stamp_ = stamp;
  }
  // Sharded workers: the global position of the packets that follow (Flow::touch_pos),
  // and the hook told before each flow that advance_time/flush_all ends.
  void set_position(uint64_t pos) { pos_ = pos; }
  void set_end_hook(FlowEndHook* hook) { end_hook_ = hook; }
  // Expires flows idle longer than their timeout as of `now` (capture progress).
  void advance_time(TimestampNs now);
  // End of input: every flow ends, held data is delivered, gaps reported. In table
  // order, or with `idle_order` by idle list then last packet (the same order whatever
  // the number of workers: --ordered).
  void flush_all(bool idle_order = false);
  const FlowTableStats& stats() const { return stats_; }
  const AppLayer& app_layer() const { return app_; }
  size_t size() const { return flows_.size() + twins_; }
  uint64_t buffered_bytes() const { return budget_.held; }
  // Sharded workers: max_buffer_total holds for all `engines` together, this table
  // drawing its allowance from `pool` (core/buffer_budget.h).
  void share_buffer_budget(SharedBudget* pool, uint32_t engines) {
    budget_.shared = pool;
    budget_.limit = 0;
    budget_.engines = engines;
  }

 private:
  friend class Flow;
  enum Lru { kTcpOpen, kTcpClosed, kUdp, kLruCount };

  // `twin`: an open flow on the same key that the new one replays (it leaves the map).
  Flow* create(const FlowKey& key, const PacketView& v, bool from_lo, Flow* twin = nullptr);
  // Which of two twins the packet continues (FlowTable::on_packet).
  Flow* pick_twin(Flow& newer, const PacketView& v, bool from_lo) const;
  // A SYN (no ACK) on the 4-tuple of flow `f` opens a new connection.
  bool starts_new_connection(const Flow& f, const PacketView& v, bool from_lo) const;
  // A SYN on open flow `f` that replays it (a copy of the capture): a twin starts.
  bool replays(const Flow& f, const PacketView& v, bool from_lo) const;
  bool idle_past_timeout(const Flow& f) const;
  void tcp_packet(Flow& f, const PacketView& v, Dir dir);
  void udp_packet(Flow& f, const PacketView& v, Dir dir);
  void end_flow(Flow* f, CloseReason reason);
  // A new connection takes the 4-tuple: an open flow ends as port_reuse.
  void end_replaced(Flow* f);
  // Delivers what is held, closes the analyzer and tells the observer (once).
  void report(Flow& f);
  void touch(Flow& f, int list);
  void unlink(Flow& f);
  void deliver(Flow& f, Dir dir, uint64_t offset, ByteView data);
  void gap(Flow& f, Dir dir, uint64_t offset, uint64_t length);
  TimestampNs timeout_of(int list) const;

  FlowConfig config_;
  FlowObserver& observer_;
  tsl::robin_map<FlowKey, Flow*, FlowKeyHash> flows_;
  size_t twins_ = 0;  // flows out of the map (Flow::twin_), counted for max_flows
  std::array<Flow*, kLruCount> lru_head_{}, lru_tail_{};
  EventPool event_pool_;  // outlives the flows: analyzers may hold events until close
  BufferBudget budget_;   // out-of-order TCP bytes and analyzer buffers, all flows
  AppLayer app_;
  FlowTableStats stats_;
  TimestampNs now_ = 0, stamp_ = 0;
  uint64_t pos_ = 0;
  FlowEndHook* end_hook_ = nullptr;
};

}  // namespace netsift
