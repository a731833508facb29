#include "flow/flow_table.h"

#include <algorithm>

#include "enrich/community_id.h"

namespace netsift {

std::string_view close_reason_name(CloseReason r) {
  switch (r) {
    case CloseReason::Open:
      return "open";
    case CloseReason::Fin:
      return "fin";
    case CloseReason::Rst:
      return "rst";
    case CloseReason::Timeout:
      return "timeout";
    case CloseReason::EndOfInput:
      return "end_of_input";
    case CloseReason::Evicted:
      return "evicted";
    case CloseReason::PortReuse:
      return "port_reuse";
  }
  return "open";
}

void Flow::on_stream_data(int dir, uint64_t offset, ByteView data) {
  table_->deliver(*this, Dir(dir), offset, data);
}

void Flow::on_stream_gap(int dir, uint64_t offset, uint64_t length) {
  table_->gap(*this, Dir(dir), offset, length);
}

FlowTable::FlowTable(FlowConfig config, std::span<const AnalyzerSpec> analyzers,
                     FlowObserver& observer, EventSink& events)
    : config_(std::move(config)),
      observer_(observer),
      budget_{0, config_.max_buffer_total},
      app_(analyzers, config_.app, events, budget_) {}

FlowTable::~FlowTable() {
  for (auto& [key, flow] : flows_) {
    delete flow->twin_;
    delete flow;
  }
}

TimestampNs FlowTable::timeout_of(int list) const {
  switch (list) {
    case kTcpOpen:
      return config_.tcp_timeout;
    case kTcpClosed:
      return config_.tcp_closed_linger;
    default:
      return config_.udp_timeout;
  }
}

void FlowTable::unlink(Flow& f) {
  if (f.lru_ < 0) return;
  (f.prev_ ? f.prev_->next_ : lru_head_[f.lru_]) = f.next_;
  (f.next_ ? f.next_->prev_ : lru_tail_[f.lru_]) = f.prev_;
  f.prev_ = f.next_ = nullptr;
  f.lru_ = -1;
}

// Moves the flow to the young end of its idle list: lists stay ordered by last packet.
void FlowTable::touch(Flow& f, int list) {
  unlink(f);
  f.lru_ = list;
  f.prev_ = lru_tail_[list];
  f.next_ = nullptr;
  (lru_tail_[list] ? lru_tail_[list]->next_ : lru_head_[list]) = &f;
  lru_tail_[list] = &f;
  f.touch_pos = pos_;
}

void FlowTable::advance_time(TimestampNs now) {
  now_ = stamp_ = now;
  for (int list = 0; list < kLruCount; ++list) {
    TimestampNs timeout = timeout_of(list);
    // Stamped ahead of the clock by a jump it did not confirm (CaptureClock::stamp):
    // pulled back to now, at the young end, so that the list stays in idle order.
    while (lru_head_[list] && lru_head_[list]->idle_since > now) {
      Flow* f = lru_head_[list];
      f->idle_since = now;
      uint64_t pos = f->touch_pos;
      touch(*f, list);
      f->touch_pos = pos;
      if (lru_head_[list] == f) break;  // alone in its list
    }
    while (lru_head_[list] && lru_head_[list]->idle_since + timeout < now) {
      Flow* f = lru_head_[list];
      if (end_hook_) end_hook_->on_flow_ending(list, f->touch_pos);
      end_flow(f, f->state == CloseReason::Open ? CloseReason::Timeout : f->state);
    }
  }
}

void FlowTable::flush_all(bool idle_order) {
  if (idle_order) {
    for (int list = 0; list < kLruCount; ++list) {
      while (Flow* f = lru_head_[list]) {
        if (end_hook_) end_hook_->on_flow_ending(list, f->touch_pos);
        end_flow(f, f->state == CloseReason::Open ? CloseReason::EndOfInput : f->state);
      }
    }
  }
  // Table order, taken once: begin() after each erase rescans the emptied buckets,
  // quadratic in the flows (a million-SYN flood took minutes to end).
  std::vector<Flow*> all;
  all.reserve(flows_.size());
  for (const auto& [key, f] : flows_) {
    all.push_back(f);
    if (f->twin_) all.push_back(f->twin_);
  }
  for (Flow* f : all) {
    end_flow(f, f->state == CloseReason::Open ? CloseReason::EndOfInput : f->state);
  }
}

Flow* FlowTable::create(const FlowKey& key, const PacketView& v, bool from_lo, Flow* twin) {
  if (size() >= config_.max_flows) {
    // Full: the flow idle the longest ends now (reported as evicted), never silently.
    Flow* oldest = nullptr;
    for (Flow* head : lru_head_) {
      if (head && (!oldest || head->idle_since < oldest->idle_since)) oldest = head;
    }
    if (oldest) {
      stats_.flows_evicted += !oldest->reported;  // a tombstone's session was reported
      if (oldest == twin) twin = nullptr;
      end_flow(oldest, CloseReason::Evicted);
    }
  }
  auto owned = std::make_unique<Flow>();
  Flow* f = owned.release();
  f->table_ = this;
  f->key = key;
  // The client is the SYN's sender; on a SYN/ACK the receiver; otherwise the sender of
  // the first packet we saw (a mid-stream pickup).
  bool sender_is_client = true;
  if (key.proto == 6) {
    bool syn = v.tcp_flags & tcp_flag::kSyn, ack = v.tcp_flags & tcp_flag::kAck;
    if (syn && ack) sender_is_client = false;
  }
  f->client_is_lo = sender_is_client ? from_lo : !from_lo;
  FlowInfo& info = f->info;
  info.proto = key.proto;
  info.client_ip = f->client_is_lo ? key.lo_ip : key.hi_ip;
  info.server_ip = f->client_is_lo ? key.hi_ip : key.lo_ip;
  info.client_port = f->client_is_lo ? key.lo_port : key.hi_port;
  info.server_port = f->client_is_lo ? key.hi_port : key.lo_port;
  community_id(info.client_ip, info.server_ip, key.proto, info.client_port, info.server_port,
               info.community_id);
  info.start = info.now = v.raw->ts;
  info.event_pool = &event_pool_;
  f->first_ts = f->last_ts = v.raw->ts;
  f->idle_since = stamp_;
  if (key.proto == 6) {
    for (int d = 0; d < 2; ++d) {
      f->streams[d] = std::make_unique<TcpStream>(d, *f, budget_, config_.max_buffer_per_direction);
    }
    ++stats_.tcp_flows;
  } else {
    ++stats_.udp_flows;
  }
  if (twin) {
    // The replayed connection stays open beside it, out of the map.
    f->twin_ = twin;
    twin->twin_ = f;
    flows_[key] = f;
    ++twins_;
  } else if (auto [it, inserted] = flows_.emplace(key, f); !inserted) {
    // The callers end whatever held the key first; should one not, the holder ends
    // here rather than the new flow being lost from the table (and never reported).
    Flow* holder = it->second;
    if (holder->twin_) end_replaced(holder->twin_);
    end_replaced(holder);
    flows_.emplace(key, f);
  }
  app_.start(f->app, f->info, key.proto == 6 ? Transport::Tcp : Transport::Udp);
  observer_.on_flow_start(*f);
  return f;
}

void FlowTable::report(Flow& f) {
  for (auto& s : f.streams) {
    if (s) s->flush();
  }
  for (auto& s : f.streams) {
    if (s) {
      stats_.tcp_gap_bytes += s->stats().gap_bytes;
      stats_.tcp_cap_dropped_bytes += s->stats().cap_dropped_bytes;
      stats_.tcp_overlaps += s->stats().overlaps;
      stats_.tcp_conflicting_overlaps += s->stats().conflicting_overlaps;
    }
  }
  app_.close(f.app);
  observer_.on_flow_end(f);
  f.reported = true;
  if (config_.report_at_close) {
    // A tombstone keeps only its key and idle-list place.
    for (auto& s : f.streams) s.reset();
    f.user.reset();
  }
}

void FlowTable::end_replaced(Flow* f) {
  end_flow(f, f->state == CloseReason::Open ? CloseReason::PortReuse : f->state);
}

void FlowTable::end_flow(Flow* f, CloseReason reason) {
  if (!f->reported) {
    f->state = reason;
    report(*f);
  }
  unlink(*f);
  Flow* twin = f->twin_;
  auto it = flows_.find(f->key);
  if (twin) {
    twin->twin_ = nullptr;
    --twins_;
  }
  if (it != flows_.end() && it->second == f) {
    if (twin) {
      it.value() = twin;  // the other one stays
    } else {
      flows_.erase(it);
    }
  }
  delete f;
}

// Port reuse, after Zeek's rules: on a closed connection any SYN is a new one, except
// the same SYN retried after a refusal (never answered by a SYN/ACK, no data: one
// attempt); on an open one a SYN whose sequence number is not the connection's (a
// client that crashed and reconnects, a copy of another capture) is a new one, while
// the same SYN again is a retransmission. Merged captures rely on it: a copy of a
// capture replays every connection on the same 4-tuples with the same ISNs.
bool FlowTable::starts_new_connection(const Flow& f, const PacketView& v, bool from_lo) const {
  bool same_client = from_lo == f.client_is_lo;
  if (f.state != CloseReason::Open) {
    if (f.reported || !same_client || !f.has_client_isn || v.tcp_seq != f.client_isn) return true;
    // A retry comes after the refusal; a SYN stamped before it is a copy (time steps
    // back where captures are concatenated).
    bool answered = f.syn[size_t(Dir::ToClient)] || f.payload_bytes[0] || f.payload_bytes[1];
    return answered || v.raw->ts < f.last_ts;
  }
  if (f.has_client_isn) return same_client && v.tcp_seq != f.client_isn;
  // Picked up mid-stream (or from its SYN/ACK): the SYN belongs to this connection only
  // if its first byte is where the sender's bytes were (a handshake captured out of
  // order).
  const TcpStream& s = *f.streams[same_client ? size_t(Dir::ToServer) : size_t(Dir::ToClient)];
  return s.started() && !s.covers(v.tcp_seq + 1);
}

// The client's very SYN again on a connection whose handshake completed (the client
// acknowledged the SYN/ACK) or that carried data: no TCP retransmits its SYN after
// that, so it is a copy of the connection (a capture merged
// with a copy of itself, shifted in time or concatenated). Before that it is
// taken for a retransmission (as tshark and Zeek take it): exact duplicates of a
// capture merged at the same instants are one connection. The original stays beside
// the copy even once closed: its last ACKs may still come after the copy's SYN.
// So is one stamped before the connection's latest packet (time stepped back: captures
// concatenated) or minutes after it (TCP gives up retrying a SYN within about two).
bool FlowTable::replays(const Flow& f, const PacketView& v, bool from_lo) const {
  return !f.reported && from_lo == f.client_is_lo && f.has_client_isn &&
         v.tcp_seq == f.client_isn &&
         (f.client_acked || f.payload_bytes[0] || f.payload_bytes[1] || v.raw->ts < f.last_ts ||
          v.raw->ts - f.last_ts > kSynRetryGap);
}

namespace {

// What a packet would be to flow `g`.
struct Fit {
  bool fresh = false;        // new bytes (or a new FIN) in order
  int64_t ahead = 0;         // > 0: its bytes start that far beyond the next expected one
  bool acks_unseen = false;  // it acknowledges bytes or a FIN `g` has not seen
  bool acks_all = false;     // it acknowledges exactly all that `g` has seen
};

Fit fit(const Flow& g, const PacketView& v, bool from_lo) {
  Fit f;
  size_t d = from_lo == g.client_is_lo ? 0 : 1;
  const TcpStream& s = *g.streams[d];
  const TcpStream& peer = *g.streams[1 - d];
  uint32_t seq = v.tcp_seq + ((v.tcp_flags & tcp_flag::kSyn) ? 1 : 0);
  bool carries = v.payload_wire_len || (v.tcp_flags & (tcp_flag::kFin | tcp_flag::kRst));
  if (s.started() && carries) {
    int64_t rel = s.ahead_of_next(seq);
    if (rel > 0) {
      f.ahead = rel;
    } else {
      f.fresh = rel + int64_t(v.payload_wire_len) > 0 ||
                (rel == 0 && (v.tcp_flags & tcp_flag::kFin) && !s.fin_seen());
    }
  }
  if (v.tcp_flags & tcp_flag::kAck) {
    f.acks_unseen = !peer.started() || peer.acks_beyond(v.tcp_ack);
    f.acks_all = peer.started() && peer.acks_all(v.tcp_ack);
  }
  return f;
}

}  // namespace

// Two twins: the newer is a copy that replays the older one later (or, concatenated,
// after it), so it lags it. A packet goes to the twin it brings new bytes in order (to
// the older when both: at the same point, the original sends first); else, once the
// older has closed and the newer has seen both sides, to the newer; else not to one
// it acknowledges unseen bytes to; else, ahead of both (a hole), to the one it is less
// ahead of; ahead of one only, to that one (bytes the other has seen: the copy's own
// after a hole); else (nothing new for either) to the newer while it has seen fewer
// packets that way, else to the older.
Flow* FlowTable::pick_twin(Flow& newer, const PacketView& v, bool from_lo) const {
  Flow& older = *newer.twin_;
  Fit n = fit(newer, v, from_lo), o = fit(older, v, from_lo);
  if (n.fresh || o.fresh) return n.fresh && !o.fresh ? &newer : &older;
  if (n.acks_unseen && !o.acks_unseen && o.acks_all) return &older;
  if (o.acks_unseen && !n.acks_unseen && n.acks_all) return &newer;
  if (n.ahead && o.ahead) return n.ahead < o.ahead ? &newer : &older;
  if (n.ahead || o.ahead) return n.ahead ? &newer : &older;
  size_t dn = from_lo == newer.client_is_lo ? 0 : 1, dold = from_lo == older.client_is_lo ? 0 : 1;
  return newer.packets[dn] < older.packets[dold] ? &newer : &older;
}

// A flow idle past its timeout when its next packet comes (the expiry tick may not
// have come yet). By the confirmed clock: a lone packet stamped far ahead ends nothing.
bool FlowTable::idle_past_timeout(const Flow& f) const {
  return f.lru_ >= 0 && f.idle_since + timeout_of(f.lru_) < now_;
}

void FlowTable::on_packet(const PacketView& v) {
  if (!accepts(v, config_.track_udp)) return;
  bool tcp = v.l4 == L4::Tcp;
  bool from_lo;
  FlowKey key = make_flow_key(v, from_lo);
  bool syn_only = tcp && (v.tcp_flags & (tcp_flag::kSyn | tcp_flag::kAck)) == tcp_flag::kSyn;
  auto it = flows_.find(key);
  Flow* f = it == flows_.end() ? nullptr : it->second;
  if (f && f->twin_ && !syn_only) f = pick_twin(*f, v, from_lo);
  if (f && idle_past_timeout(*f)) {
    // It ends as the next expiry tick would end it, and this packet starts afresh.
    // So does its twin when it is idle as long: left in the table, it would hold the
    // key the new flow needs.
    Flow* other = f->twin_;
    end_flow(f, f->state == CloseReason::Open ? CloseReason::Timeout : f->state);
    f = other;
    if (other && idle_past_timeout(*other)) {
      end_flow(other, other->state == CloseReason::Open ? CloseReason::Timeout : other->state);
      f = nullptr;
    }
  }
  Flow* twin = nullptr;
  if (f && syn_only) {
    if (replays(*f, v, from_lo)) {
      // A copy of this connection starts (merged captures): both stay open, and each
      // packet goes to the one it continues.
      if (f->twin_) end_replaced(f->twin_);
      twin = f;
      f = nullptr;
    } else if (starts_new_connection(*f, v, from_lo)) {
      if (f->twin_) end_replaced(f->twin_);
      end_replaced(f);
      f = nullptr;
    } else if (f->state != CloseReason::Open && !f->reported) {
      // The client retries the same connection attempt (same ISN) after a RST.
      f->state = CloseReason::Open;
      f->rst = false;
    }
  } else if (f && tcp &&
             (v.tcp_flags & (tcp_flag::kSyn | tcp_flag::kAck)) ==
                 (tcp_flag::kSyn | tcp_flag::kAck) &&
             (f->state == CloseReason::Fin ||
              (f->state == CloseReason::Rst && v.raw->ts < f->last_ts))) {
    // A SYN/ACK after both FINs (or stamped before a RST: time stepped back) answers
    // a new connection whose SYN the capture missed (a copy of a capture that starts
    // with the SYN/ACK); nothing retransmits a SYN/ACK once the connection closed.
    if (f->twin_) end_replaced(f->twin_);
    end_replaced(f);
    f = nullptr;
  }
  if (f && f->reported) {
    // A late ACK or retransmission of a session already reported: absorbed.
    f->idle_since = stamp_;
    touch(*f, kTcpClosed);
    return;
  }
  if (!f) f = create(key, v, from_lo, twin);
  Dir dir = from_lo == f->client_is_lo ? Dir::ToServer : Dir::ToClient;
  f->last_ts = std::max(f->last_ts, v.raw->ts);  // time may step back in a merged file
  f->idle_since = stamp_;
  f->info.now = v.raw->ts;
  ++f->packets[size_t(dir)];
  f->payload_bytes[size_t(dir)] += v.payload_wire_len;
  if (tcp) {
    tcp_packet(*f, v, dir);
  } else {
    udp_packet(*f, v, dir);
  }
}

void FlowTable::tcp_packet(Flow& f, const PacketView& v, Dir dir) {
  size_t d = size_t(dir);
  TcpStream& stream = *f.streams[d];
  uint16_t flags = v.tcp_flags;
  uint32_t seq = v.tcp_seq;
  if (flags & tcp_flag::kSyn) {
    if (dir == Dir::ToServer && !(flags & tcp_flag::kAck) && !f.has_client_isn) {
      f.has_client_isn = true;
      f.client_isn = seq;
    }
    f.syn[d] = true;
    stream.on_syn(seq);
    ++seq;  // data on a SYN starts after it
  }
  if (flags & tcp_flag::kRst) f.rst = true;
  if (flags & tcp_flag::kFin) f.fin[d] = true;
  if (!(flags & tcp_flag::kRst)) {
    stream.on_segment(seq, v.payload(), flags & tcp_flag::kFin);
    if (v.payload_wire_len > v.payload_len) {
      // Snaplen cut the segment: the rest of it is missing for good.
      stream.on_lost(seq + v.payload_len, v.payload_wire_len - v.payload_len);
    }
  }
  if (flags & tcp_flag::kAck) {
    f.streams[1 - d]->on_peer_ack(v.tcp_ack);
    if (dir == Dir::ToServer && !(flags & tcp_flag::kSyn) && f.syn[size_t(Dir::ToClient)]) {
      f.client_acked = true;
    }
  }
  if (f.state == CloseReason::Open) {
    if (f.rst) {
      f.state = CloseReason::Rst;
      for (auto& s : f.streams) s->flush();
    } else if (f.fin[0] && f.fin[1] && f.streams[0]->fin_reached() && f.streams[1]->fin_reached()) {
      f.state = CloseReason::Fin;
    }
  }
  touch(f, f.state == CloseReason::Open ? kTcpOpen : kTcpClosed);
  if (f.state != CloseReason::Open && config_.report_at_close) report(f);
}

void FlowTable::udp_packet(Flow& f, const PacketView& v, Dir dir) {
  touch(f, kUdp);
  ByteView data = v.payload();
  observer_.on_udp_datagram(f, dir, data);
  app_.data(f.app, dir, data);
}

void FlowTable::deliver(Flow& f, Dir dir, uint64_t offset, ByteView data) {
  observer_.on_tcp_data(f, dir, offset, data);
  app_.data(f.app, dir, data);
  observer_.on_analyzed(f);
}

void FlowTable::gap(Flow& f, Dir dir, uint64_t offset, uint64_t length) {
  observer_.on_tcp_gap(f, dir, offset, length);
  app_.gap(f.app, dir, length);
  observer_.on_analyzed(f);
}

}  // namespace netsift
