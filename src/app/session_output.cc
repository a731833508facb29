#include "app/session_output.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "output/byte_format.h"

namespace netsift {

// Whole-session text mode: the conversation in arrival order, bounded per direction.
struct SessionOutput::Transcript final : FlowUserData {
  struct Chunk {
    Dir dir;
    bool gap;
    uint64_t gap_length;
    std::vector<uint8_t> data;
    uint64_t offset = 0;  // stream offset of data[0] (--redact masks by it)
  };
  std::vector<Chunk> chunks;
  std::array<uint64_t, 2> kept{};
  std::array<uint64_t, 2> cut{};
};

// --redact with --stream: bytes (and holes) of a flow whose analyzer has not judged them
// yet, in arrival order. Bounded per flow (kMaxPending) and over all flows
// (kMaxPendingTotal): past either, the oldest go out entirely masked.
struct SessionOutput::Pending final : FlowUserData {
  struct Item {
    Dir dir;
    bool gap;
    uint64_t offset;
    uint64_t gap_length;
    TimestampNs ts;
    std::vector<uint8_t> data;
  };
  std::deque<Item> items;
  uint64_t bytes = 0;
};

namespace {

constexpr uint64_t kMaxPending = 256 * 1024;
constexpr uint64_t kMaxPendingTotal = 64ull << 20;

const char* dir_name(Dir d) {
  return d == Dir::ToServer ? "to_server" : "to_client";
}

}  // namespace

SessionOutput::SessionOutput(const SessionOptions& options, EventSink* events, OutputBuffer* text)
    : options_(options),
      events_(events ? *events : null_sink_),
      events_enabled_(events != nullptr),
      text_(text),
      time_(options.utc),
      filter_(options.filters),
      transcripts_{0, options.max_session_data_total} {}

bool SessionOutput::wanted(const Flow& f) const {
  return (f.is_tcp() ? options_.tcp : options_.udp) && filter_.wanted(f.info);
}

void SessionOutput::on_flow_start(Flow& f) {
  if (text_ && !options_.stream && options_.data_level > 0 && f.is_tcp() && wanted(f)) {
    f.user = std::make_unique<Transcript>();
  }
}

void SessionOutput::put_data(ByteView data) {
  if (options_.data_level >= 2) {
    append_hexdump(*text_, data);
  } else {
    append_text_block(*text_, data);
  }
}

// "[1469135972.460123\t2016-07-21 21:19:32]"
void SessionOutput::put_time(TimestampNs ts) {
  char num[32];
  text_->push('[');
  text_->append(num, TimeFormatter::epoch_micros(ts, num));
  text_->push('\t');
  text_->append(time_.calendar(ts));
  text_->push(']');
}

void SessionOutput::put_endpoints(const Flow& f, Dir dir) {
  const FlowInfo& i = f.info;
  bool to_server = dir == Dir::ToServer;
  char a[kMaxAddressText], b[kMaxAddressText];
  size_t an = format_address(to_server ? i.client_ip : i.server_ip, a);
  size_t bn = format_address(to_server ? i.server_ip : i.client_ip, b);
  bool v6 = i.client_ip.family == 6;
  text_->append(fmt::format(fmt::runtime(v6 ? "[{}]:{} ----->[{}]:{}" : "{}:{} ----->{}:{}"),
                            std::string_view(a, an), to_server ? i.client_port : i.server_port,
                            std::string_view(b, bn), to_server ? i.server_port : i.client_port));
}

void SessionOutput::put_data_field(Event& e, const char* key, ByteView data) {
  if (options_.base64) {
    e.set_base64(key, data);
  } else {
    e.set_escaped(key, data);
  }
}

ByteView SessionOutput::masked(const Flow& f, Dir dir, uint64_t offset, ByteView data, bool all) {
  const Redaction* r = f.app.redaction();
  if (!all && (r == nullptr || r->empty())) return data;
  scratch_.assign(data.begin(), data.end());
  if (all) {
    std::fill(scratch_.begin(), scratch_.end(), Redaction::kMask);
  } else {
    r->apply(dir, offset, scratch_);
  }
  return ByteView(scratch_);
}

void SessionOutput::write_chunk(Flow& f, Dir dir, uint64_t offset, TimestampNs ts, ByteView data) {
  if (text_) {
    text_->append("[TCP DATA One-Direct]\t");
    put_time(ts);
    text_->push('\t');
    put_endpoints(f, dir);
    text_->append(fmt::format("\toffset={}\tLEN={}\n", offset, data.size()));
    if (options_.data_level > 0) put_data(data);
    text_->end_record();
  }
  if (events_enabled_) {
    Event e = make_flow_event("tcp_data", f.info, ts);
    e.set("direction", dir_name(dir));
    e.set("offset", offset);
    e.set("length", uint64_t(data.size()));
    if (options_.data_level > 0) put_data_field(e, "data", data);
    events_.emit(e);
  }
}

void SessionOutput::write_gap(Flow& f, Dir dir, uint64_t offset, uint64_t length) {
  if (text_) {
    text_->append(fmt::format("[TCP GAP]\t"));
    put_endpoints(f, dir);
    text_->append(fmt::format("\toffset={}\tmissing={}\n", offset, length));
  }
  if (events_enabled_) {
    Event e = make_flow_event("tcp_gap", f.info);
    e.set("direction", dir_name(dir));
    e.set("offset", offset);
    e.set("length", length);
    events_.emit(e);
  }
}

void SessionOutput::on_tcp_data(Flow& f, Dir dir, uint64_t offset, ByteView data) {
  if (!wanted(f)) return;
  bool redact = options_.flow.app.redact;
  if (options_.stream) {
    auto* p = static_cast<Pending*>(f.user.get());
    if (!redact || (!p && f.app.settled(dir) == UINT64_MAX)) {
      // Nothing waits and no analyzer reads this direction: out now (masked by what
      // was found before, e.g. a password repeated later).
      write_chunk(f, dir, offset, f.info.now, redact ? masked(f, dir, offset, data) : data);
      return;
    }
    if (!p) {
      f.user = std::make_unique<Pending>();
      p = static_cast<Pending*>(f.user.get());
    }
    auto& items = p->items;
    if (!items.empty() && items.back().dir == dir && !items.back().gap &&
        items.back().offset + items.back().data.size() == offset) {
      items.back().data.insert(items.back().data.end(), data.begin(), data.end());
    } else {
      items.push_back({dir, false, offset, 0, f.info.now, {data.begin(), data.end()}});
    }
    p->bytes += data.size();
    pending_bytes_ += data.size();
    return;  // written by on_analyzed, once the analyzer has read it
  }
  auto* t = static_cast<Transcript*>(f.user.get());
  if (!t) return;
  size_t d = size_t(dir);
  uint64_t room =
      options_.max_session_data > t->kept[d] ? options_.max_session_data - t->kept[d] : 0;
  // All open transcripts together stay under a global cap too (many long sessions).
  room = transcripts_.room(std::min<uint64_t>(room, data.size()));
  ByteView keep = data.first(room);
  t->cut[d] += data.size() - keep.size();
  if (keep.empty()) return;
  t->kept[d] += keep.size();
  transcripts_.held += keep.size();
  if (!t->chunks.empty() && t->chunks.back().dir == dir && !t->chunks.back().gap &&
      t->chunks.back().offset + t->chunks.back().data.size() == offset) {
    t->chunks.back().data.insert(t->chunks.back().data.end(), keep.begin(), keep.end());
  } else {
    t->chunks.push_back({dir, false, 0, std::vector<uint8_t>(keep.begin(), keep.end()), offset});
  }
}

void SessionOutput::on_tcp_gap(Flow& f, Dir dir, uint64_t offset, uint64_t length) {
  if (!wanted(f)) return;
  if (options_.stream) {
    auto* p = static_cast<Pending*>(f.user.get());
    if (p && !p->items.empty()) {
      p->items.push_back({dir, true, offset, length, f.info.now, {}});
    } else {
      write_gap(f, dir, offset, length);
    }
    return;
  }
  if (auto* t = static_cast<Transcript*>(f.user.get()))
    t->chunks.push_back({dir, true, length, {}});
}

void SessionOutput::flush(Flow& f, bool all) {
  auto* p = static_cast<Pending*>(f.user.get());
  if (!p) return;
  auto& items = p->items;
  while (!items.empty()) {
    Pending::Item& it = items.front();
    if (it.gap) {
      write_gap(f, it.dir, it.offset, it.gap_length);
      items.pop_front();
      continue;
    }
    uint64_t settled = all ? UINT64_MAX : f.app.settled(it.dir);
    // Held too long: out, but masked whole.
    bool forced = p->bytes > kMaxPending || pending_bytes_ > kMaxPendingTotal;
    uint64_t n =
        forced ? it.data.size()
               : std::min<uint64_t>(it.data.size(), settled > it.offset ? settled - it.offset : 0);
    if (n == 0) break;
    ByteView part = ByteView(it.data).first(size_t(n));
    write_chunk(f, it.dir, it.offset, it.ts, masked(f, it.dir, it.offset, part, forced));
    p->bytes -= n;
    pending_bytes_ -= n;
    if (n < it.data.size()) {
      it.data.erase(it.data.begin(), it.data.begin() + long(n));
      it.offset += n;
      break;
    }
    items.pop_front();
  }
}

void SessionOutput::on_analyzed(Flow& f) {
  if (options_.stream && options_.flow.app.redact && wanted(f)) flush(f, false);
}

void SessionOutput::on_udp_datagram(Flow& f, Dir dir, ByteView data) {
  if (!wanted(f)) return;
  // No UDP analyzer reads logins; a secret known for the flow is still masked.
  if (options_.flow.app.redact) data = masked(f, dir, 0, data);
  if (text_) {
    text_->append("[UDP DATA One-Direct]\t");
    put_time(f.info.now);
    text_->push('\t');
    put_endpoints(f, dir);
    text_->append(fmt::format("\tLEN={}\n", data.size()));
    if (options_.data_level > 0) put_data(data);
    text_->end_record();
  }
  if (!events_enabled_) return;
  const FlowInfo& i = f.info;
  bool to_server = dir == Dir::ToServer;
  Event e("udp", i.now, i.event_pool);
  e.set("src_ip", to_server ? i.client_ip : i.server_ip);
  e.set("src_port", uint64_t(to_server ? i.client_port : i.server_port));
  e.set("dst_ip", to_server ? i.server_ip : i.client_ip);
  e.set("dst_port", uint64_t(to_server ? i.server_port : i.client_port));
  e.set("proto", "udp");
  e.set("community_id", std::string_view(i.community_id));
  e.set("length", uint64_t(data.size()));
  if (options_.data_level > 0) put_data_field(e, "data", data);
  events_.emit(e);
}

void SessionOutput::on_flow_end(Flow& f) {
  if (options_.stream) {
    if (options_.flow.app.redact && wanted(f)) flush(f, true);
  } else if (auto* t = static_cast<Transcript*>(f.user.get())) {
    transcripts_.release(t->kept[0] + t->kept[1]);
  }
  if (!f.is_tcp() || !wanted(f)) return;
  StreamStats s[2];
  for (int d = 0; d < 2; ++d) s[d] = f.streams[d]->stats();
  std::string_view app = f.app.spec() ? f.app.spec()->name : std::string_view();
  if (text_) {
    text_->append("[TCP DATA Bi-Direct]\t");
    put_time(f.first_ts);
    text_->push('\t');
    put_time(f.last_ts);
    text_->push('\t');
    put_endpoints(f, Dir::ToServer);
    text_->append(
        fmt::format("\tstate={}\tpackets={}/{}\tbytes={}/{}{}{}{}\n", close_reason_name(f.state),
                    f.packets[0], f.packets[1], s[0].bytes_delivered, s[1].bytes_delivered,
                    f.midstream() ? "\tmidstream" : "", app.empty() ? "" : "\tapp=", app));
    if (s[0].gaps + s[1].gaps) {
      text_->append(fmt::format("\tgaps={}\tmissing_bytes={}\n", s[0].gaps + s[1].gaps,
                                s[0].gap_bytes + s[1].gap_bytes));
    }
    if (auto* t = options_.stream ? nullptr : static_cast<Transcript*>(f.user.get())) {
      for (const auto& c : t->chunks) {
        if (c.gap) {
          text_->append(fmt::format("{} [gap: {} bytes missing]\n",
                                    c.dir == Dir::ToServer ? ">>>" : "<<<", c.gap_length));
          continue;
        }
        text_->append(
            fmt::format("{} {} ({} bytes)\n",
                        c.dir == Dir::ToServer ? ">>> client to server" : "<<< server to client",
                        "data", c.data.size()));
        put_data(options_.flow.app.redact ? masked(f, c.dir, c.offset, c.data) : ByteView(c.data));
      }
      for (int d = 0; d < 2; ++d) {
        if (t->cut[d])
          text_->append(
              fmt::format("[{} bytes {} not shown: --max-session-data or the total cap]\n",
                          t->cut[d], dir_name(Dir(d))));
      }
    }
    text_->end_record();
  }
  if (!events_enabled_) return;
  Event e = make_flow_event("tcp_session", f.info, f.first_ts);
  e.set_time("ts_start", f.first_ts);
  e.set_time("ts_end", f.last_ts);
  e.set("packets_to_server", f.packets[0]);
  e.set("packets_to_client", f.packets[1]);
  e.set("bytes_to_server", s[0].bytes_delivered);
  e.set("bytes_to_client", s[1].bytes_delivered);
  e.set("state", close_reason_name(f.state));
  e.set("midstream", f.midstream());
  e.set("gaps", s[0].gaps + s[1].gaps);
  e.set("gap_bytes", s[0].gap_bytes + s[1].gap_bytes);
  e.set("retransmitted_bytes", s[0].retransmitted_bytes + s[1].retransmitted_bytes);
  e.set("overlaps", s[0].overlaps + s[1].overlaps);
  e.set("conflicting_overlaps", s[0].conflicting_overlaps + s[1].conflicting_overlaps);
  if (s[0].cap_dropped_bytes + s[1].cap_dropped_bytes) {
    e.set("cap_dropped_bytes", s[0].cap_dropped_bytes + s[1].cap_dropped_bytes);
  }
  if (app.empty()) {
    e.set("app", rapidjson::Value());
  } else {
    e.set("app", app);
  }
  events_.emit(e);
}

}  // namespace netsift
