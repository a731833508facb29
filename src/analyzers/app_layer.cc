#include "analyzers/app_layer.h"

#include <algorithm>

namespace netsift {

namespace {
// Entries of a flow's probe log (held chunks and stretches not held) before the flow is
// given up on: alternating one-byte segments must not grow it without bound.
constexpr size_t kMaxProbeLog = 256;
// A tail buffer that emptied keeps up to this much capacity for the next message.
constexpr size_t kKeptTailCapacity = 4096;
}  // namespace

AppLayer::AppLayer(std::span<const AnalyzerSpec> registry, AppLayerConfig config, EventSink& events,
                   BufferBudget& budget)
    : registry_(registry), config_(std::move(config)), events_(events), budget_(budget) {
  // Configured ports first, so that they win over any analyzer's defaults.
  for (const auto& spec : registry_) {
    auto& map = spec.transport == Transport::Tcp ? tcp_ports_ : udp_ports_;
    auto configured = config_.ports.find(std::string(spec.name));
    if (configured != config_.ports.end()) {
      for (uint16_t p : configured->second) map[p] = &spec;
    }
  }
  for (const auto& spec : registry_) {
    auto& map = spec.transport == Transport::Tcp ? tcp_ports_ : udp_ports_;
    if (!config_.ports.contains(std::string(spec.name))) {
      for (uint16_t p : spec.ports) map.emplace(p, &spec);
    }
    auto given = config_.options.find(std::string(spec.name));
    options_.push_back(given != config_.options.end() ? given->second
                                                      : AnalyzerOptions(spec.options));
    counters_.push_back({0, 0, 0, std::vector<uint64_t>(spec.anomalies.size())});
  }
}

AppLayer::~AppLayer() = default;

AppLayer::Counters& AppLayer::counters(const AnalyzerSpec& spec) {
  return counters_[size_t(&spec - registry_.data())];
}

std::shared_ptr<void>* AppLayer::shared_state(const AnalyzerSpec& spec) {
  size_t i = size_t(&spec - registry_.data());
  if (i >= registry_.size()) return nullptr;
  if (shared_.empty()) shared_.resize(registry_.size());
  return &shared_[i];
}

void AppLayer::start(AppFlow& state, const FlowInfo& flow, Transport transport) {
  state.flow_ = &flow;
  if (!config_.enabled) {
    state.finished_ = true;
    return;
  }
  if (transport == Transport::Tcp && !expected_.empty()) {
    if (const AnalyzerSpec* spec = take_expected(flow)) {
      state.by_port_ = spec;  // announced by another flow: neither port nor content decides
      return;
    }
  }
  const auto& map = transport == Transport::Tcp ? tcp_ports_ : udp_ports_;
  auto it = map.find(flow.server_port);
  if (it == map.end()) it = map.find(flow.client_port);
  // Chosen by port, but made only when the first byte arrives: a SYN flood or scan
  // against an analyzer's port must not cost an analyzer (a parser context) per flow.
  if (it != map.end()) state.by_port_ = it->second;
}

void AppLayer::expect(std::string_view service, const IpAddress& orig, const IpAddress& resp,
                      const IpAddress& resp_alt, uint16_t resp_port, TimestampNs now) {
  const AnalyzerSpec* spec = nullptr;
  for (const auto& s : registry_) {
    if (s.name == service && s.transport == Transport::Tcp) spec = &s;
  }
  if (!spec || resp_port == 0 || config_.max_expected == 0) return;
  ++stats_.expected;
  // The same announcement again (a client repeating PASV) replaces the older one.
  std::erase_if(expected_, [&](const Expected& e) {
    return e.resp_port == resp_port && e.resp == resp && e.orig == orig;
  });
  if (expected_.size() >= config_.max_expected) {
    expected_.erase(expected_.begin());
    ++stats_.expected_dropped;
  }
  expected_.push_back({spec, orig, resp, resp_alt, resp_port, now + config_.expect_timeout});
}

const AnalyzerSpec* AppLayer::take_expected(const FlowInfo& flow) {
  // Those past their time go first (they are oldest first, but a capture's clock may
  // step back: every entry is looked at).
  std::erase_if(expected_, [&](const Expected& e) { return e.expires < flow.now; });
  for (auto it = expected_.begin(); it != expected_.end(); ++it) {
    bool to =
        it->resp_port == flow.server_port &&
        (it->resp == flow.server_ip || (!it->resp_alt.empty() && it->resp_alt == flow.server_ip));
    if (!to || (!it->orig.empty() && !(it->orig == flow.client_ip))) continue;
    const AnalyzerSpec* spec = it->spec;
    expected_.erase(it);
    ++stats_.expected_seen;
    return spec;
  }
  return nullptr;
}

bool AppLayer::make_chosen(AppFlow& state) {
  const AnalyzerSpec* spec = state.by_port_;
  state.by_port_ = nullptr;
  claim(state, *spec, true);
  return state.analyzer_ != nullptr;
}

void AppLayer::claim(AppFlow& state, const AnalyzerSpec& spec, bool by_port) {
  state.spec_ = &spec;
  ++counters(spec).flows;
  // Analyzers keep the context by value; everything it points to outlives them.
  AnalyzerContext context{state.flow_, &spec,          &options_[size_t(&spec - registry_.data())],
                          this,        config_.redact, by_port};
  state.analyzer_ = spec.make(context);
  if (!state.analyzer_) finish(state);
}

bool AppLayer::take_budget(uint64_t bytes) {
  if (!budget_.can_take(bytes)) {
    ++stats_.budget_refusals;
    return false;
  }
  budget_.held += bytes;
  return true;
}

void AppLayer::release(std::vector<uint8_t>& buffer, bool keep_capacity) {
  budget_.release(buffer.size());
  buffer.clear();
  if (!keep_capacity || buffer.capacity() > kKeptTailCapacity) buffer.shrink_to_fit();
}

void AppLayer::data(AppFlow& state, Dir dir, ByteView bytes) {
  if (state.finished_ || bytes.empty()) return;
  if (state.by_port_ && !make_chosen(state)) return;
  if (!state.spec_) {
    probe(state, dir, bytes, state.flow_->proto == 17 ? Transport::Udp : Transport::Tcp);
    return;
  }
  if (state.analyzer_) feed(state, dir, bytes);
}

// Probing: every analyzer of the transport looks at all bytes seen so far in this
// direction (TCP, up to probe_depth) or at this datagram (UDP). What probing saw is held
// (bounded, in the global budget) and replayed in arrival order, holes included, when an
// analyzer claims the flow, so the analyzer sees both directions from their first byte.
void AppLayer::probe(AppFlow& state, Dir dir, ByteView bytes, Transport transport) {
  size_t d = size_t(dir);
  bool udp = transport == Transport::Udp;
  AppFlow::Buffers& buffers = state.buffers();
  std::vector<uint8_t>& held = buffers.probe[d];
  auto& log = buffers.probe_log;
  // Held even after this direction gave up probing: the other one may still claim the
  // flow (a server banner no analyzer knows, then a client request one does).
  size_t room = config_.probe_depth > held.size() ? config_.probe_depth - held.size() : 0;
  size_t take = std::min(room, bytes.size());
  if (udp && take < bytes.size()) take = 0;  // whole datagrams only
  bool merge = !udp && !log.empty() && log.back().dir == dir && !log.back().gap;
  if (take && !merge && log.size() >= kMaxProbeLog) take = 0;
  if (take) {
    // (Workers: a quarter of their share; probing flows are many and spread evenly.)
    if (probe_held_ + take > budget_.cap() / 4 / budget_.engines) {
      ++stats_.budget_refusals;  // probing may never starve reassembly
      take = 0;
    } else if (take_budget(take)) {
      probe_held_ += take;
      held.insert(held.end(), bytes.begin(), bytes.begin() + long(take));
      if (merge) {
        log.back().length += take;
      } else {
        log.push_back({dir, false, take});
      }
    } else {
      take = 0;
    }
  }
  if (!state.probe_given_up_[d]) {
    ByteView view = udp || held.empty() ? bytes : ByteView(held);
    bool maybe = false;
    for (const auto& spec : registry_) {
      if (spec.transport != transport) continue;
      Confidence c = spec.probe(dir, view);
      if (c == Confidence::Yes) {
        claim(state, spec, false);
        replay(state);
        // Bytes of this call that were not held (a datagram: all of it) follow the replay.
        if (state.analyzer_ && take < bytes.size()) feed(state, dir, bytes.subspan(take));
        return;
      }
      maybe |= c == Confidence::Maybe;
    }
    if (!maybe || take < bytes.size() || (!udp && held.size() >= config_.probe_depth))
      state.probe_given_up_[d] = true;
  }
  // TCP bytes not held: the analyzer, if one claims the flow later, hears of them as a gap.
  if (!udp && take < bytes.size()) hold_gap(state, dir, bytes.size() - take);
  if (state.probe_given_up_[0] && state.probe_given_up_[1]) finish(state);
}

// A stretch of one direction that probing did not keep. Probing that direction ends
// there (what follows no longer starts the stream).
void AppLayer::hold_gap(AppFlow& state, Dir dir, uint64_t length) {
  auto& log = state.buffers().probe_log;
  state.probe_given_up_[size_t(dir)] = true;
  if (!log.empty() && log.back().dir == dir && log.back().gap) {
    log.back().length += length;
  } else if (log.size() < kMaxProbeLog) {
    log.push_back({dir, true, length});
  } else {
    finish(state);  // cannot keep the order any more: no analyzer for this flow
  }
}

// Feeds the claiming analyzer what probing held, chunk by chunk in arrival order.
void AppLayer::replay(AppFlow& state) {
  AppFlow::Buffers& buffers = state.buffers();
  std::array<std::vector<uint8_t>, 2> held = {std::move(buffers.probe[0]),
                                              std::move(buffers.probe[1])};
  std::vector<AppFlow::Held> log = std::move(buffers.probe_log);
  buffers.probe[0].clear();
  buffers.probe[1].clear();
  buffers.probe_log.clear();
  std::array<size_t, 2> pos{};
  for (const auto& h : log) {
    if (!state.analyzer_) break;
    size_t d = size_t(h.dir);
    if (h.gap) {
      gap(state, h.dir, h.length);
    } else {
      feed(state, h.dir, ByteView(held[d]).subspan(pos[d], size_t(h.length)));
      pos[d] += size_t(h.length);
    }
  }
  for (auto& b : held) {
    probe_held_ -= std::min<uint64_t>(probe_held_, b.size());
    release(b);
  }
}

void AppLayer::feed(AppFlow& state, Dir dir, ByteView data) {
  size_t d = size_t(dir);
  if (config_.redact) state.analyzed_[d] += data.size();
  ByteView input = data;
  if (state.buffers_ && !state.buffers_->tail[d].empty()) {
    std::vector<uint8_t>& tail = state.buffers_->tail[d];
    if (!take_budget(data.size())) return overflow(state);
    tail.insert(tail.end(), data.begin(), data.end());
    // The analyzer said how many bytes it needs: no point in asking before they are here.
    if (tail.size() < state.wanted_[d]) return;
    input = tail;
  }
  current_ = &state;
  current_dir_ = dir;
  current_input_ = input;
  ParseResult r = state.analyzer_->on_data(dir, input, events_);
  current_ = nullptr;
  current_input_ = {};
  switch (r.kind) {
    case ParseResult::Ok:
    case ParseResult::Done:
      state.consumed_[d] = state.analyzed_[d];
      break;
    case ParseResult::NeedMore:
      state.consumed_[d] =
          state.analyzed_[d] - (input.size() - std::min<size_t>(r.consumed, input.size()));
      break;
    case ParseResult::Error:
      break;  // not understood: what it was given counts as unread (masked at finish)
  }
  switch (r.kind) {
    case ParseResult::Ok:
      if (state.buffers_) release(state.buffers_->tail[d], true);
      state.wanted_[d] = 0;
      break;
    case ParseResult::NeedMore: {
      size_t keep = input.size() - std::min<size_t>(r.consumed, input.size());
      uint64_t wanted = r.needed ? keep + uint64_t(r.needed) : 0;
      if (keep > config_.max_tail || wanted > config_.max_tail) return overflow(state);
      state.wanted_[d] = uint32_t(wanted);
      if (keep == 0 && !state.buffers_) break;
      std::vector<uint8_t>& tail = state.buffers().tail[d];
      if (tail.empty()) {
        if (!take_budget(keep)) return overflow(state);
        tail.assign(input.end() - long(keep), input.end());
      } else {
        size_t drop = tail.size() - keep;
        tail.erase(tail.begin(), tail.begin() + long(drop));
        budget_.release(drop);
      }
      break;
    }
    case ParseResult::Error:
      ++stats_.analyzer_errors;
      ++counters(*state.spec_).errors;
      finish(state);
      break;
    case ParseResult::Done:
      finish(state);
      break;
  }
}

void AppLayer::overflow(AppFlow& state) {
  ++stats_.analyzer_tail_overflows;
  ++counters(*state.spec_).tail_overflows;
  finish(state);
}

// The same clean-up whatever ended the analyzer: on_close once, buffers released.
void AppLayer::finish(AppFlow& state) {
  state.finished_ = true;
  if (state.analyzer_) {
    // Moved out first: an analyzer's on_close cannot reach itself through the engine.
    std::unique_ptr<Analyzer> analyzer = std::move(state.analyzer_);
    current_ = &state;
    analyzer->on_close(events_);
    current_ = nullptr;
    mask_unread(state, Dir::ToServer);
    mask_unread(state, Dir::ToClient);
  }
  state.wanted_ = {};
  if (!state.buffers_) return;
  for (auto& t : state.buffers_->tail) release(t);
  for (auto& p : state.buffers_->probe) {
    probe_held_ -= std::min<uint64_t>(probe_held_, p.size());
    release(p);
  }
  state.buffers_.reset();
}

void AppLayer::gap(AppFlow& state, Dir dir, uint64_t length) {
  if (state.finished_) return;
  size_t d = size_t(dir);
  if (state.by_port_ && !make_chosen(state)) return;
  if (!state.spec_) {
    // Probing needs the first bytes in order: after a hole this direction cannot be
    // told; if the other one claims the flow, the analyzer hears of the hole in order.
    hold_gap(state, dir, length);
    if (state.probe_given_up_[0] && state.probe_given_up_[1]) finish(state);
    return;
  }
  if (!state.analyzer_) return;
  if (state.buffers_) release(state.buffers_->tail[d]);
  state.wanted_[d] = 0;
  if (config_.redact) {
    mask_unread(state, dir);  // an unfinished message the analyzer will never read
    state.analyzed_[d] += length;
    state.consumed_[d] = state.analyzed_[d];
  }
  current_ = &state;
  state.analyzer_->on_gap(dir, length, events_);
  current_ = nullptr;
}

Redaction& AppLayer::redaction(AppFlow& state) {
  if (!state.redaction_) state.redaction_ = std::make_unique<Redaction>();
  return *state.redaction_;
}

// Bytes given to the analyzer that it never judged (a message cut by a hole, the flow's
// end or an error, or consumed under a hold) may hold a secret: masked, to be safe.
void AppLayer::mask_unread(AppFlow& state, Dir dir) {
  if (!config_.redact) return;
  size_t d = size_t(dir);
  uint64_t from = std::min(state.consumed_[d], state.hold_[d]);
  if (from < state.analyzed_[d]) redaction(state).add_range(dir, from, state.analyzed_[d] - from);
  state.consumed_[d] = state.analyzed_[d];
  state.hold_[d] = UINT64_MAX;
}

void AppLayer::secret(Dir dir, ByteView span) {
  if (!config_.redact || current_ == nullptr || span.empty()) return;
  AppFlow& state = *current_;
  const uint8_t* begin = current_input_.data();
  if (dir == current_dir_ && begin != nullptr && span.data() >= begin &&
      span.data() + span.size() <= begin + current_input_.size()) {
    redaction(state).add_range(dir, state.consumed_[size_t(dir)] + uint64_t(span.data() - begin),
                               span.size());
  } else {
    redaction(state).add_value(dir, 0, span);
  }
}

void AppLayer::hold(Dir dir, bool on) {
  if (!config_.redact || current_ == nullptr) return;
  size_t d = size_t(dir);
  current_->hold_[d] = on ? std::min(current_->hold_[d], current_->consumed_[d]) : UINT64_MAX;
}

uint64_t AppFlow::settled(Dir dir) const {
  size_t d = size_t(dir);
  if (finished_) return UINT64_MAX;
  // Probing: held bytes may yet be replayed to an analyzer, unless this direction gave up.
  if (!analyzer_) return probe_given_up_[d] ? UINT64_MAX : 0;
  return std::min(consumed_[d], hold_[d]);
}

void AppLayer::close(AppFlow& state) {
  finish(state);
}

void AppLayer::anomaly(const AnalyzerSpec& spec, size_t index, const FlowInfo& flow,
                       std::string_view detail, EventSink& out) {
  if (&spec < registry_.data() || &spec >= registry_.data() + registry_.size()) return;
  if (index >= spec.anomalies.size()) return;
  ++stats_.anomalies;
  ++counters(spec).anomalies[index];
  if (!config_.weird_events) return;
  Event e = make_flow_event("weird", flow);
  e.set("name", spec.anomalies[index]);
  e.set("analyzer", spec.name);
  if (!detail.empty()) e.set("detail", detail);
  out.emit(e);
}

std::vector<AnalyzerSummary> AppLayer::summaries() const {
  const AppLayer* self = this;
  return summaries(std::span(&self, 1));
}

std::vector<AnalyzerSummary> AppLayer::summaries(std::span<const AppLayer* const> layers) {
  std::vector<AnalyzerSummary> out;
  if (layers.empty()) return out;
  std::span<const AnalyzerSpec> registry = layers[0]->registry_;
  for (size_t i = 0; i < registry.size(); ++i) {
    const AnalyzerSpec& spec = registry[i];
    Counters c;
    c.anomalies.assign(spec.anomalies.size(), 0);
    for (const AppLayer* layer : layers) {
      const Counters& l = layer->counters_[i];
      c.flows += l.flows;
      c.errors += l.errors;
      c.tail_overflows += l.tail_overflows;
      for (size_t a = 0; a < l.anomalies.size() && a < c.anomalies.size(); ++a)
        c.anomalies[a] += l.anomalies[a];
    }
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& s) { return s.name == spec.name; });
    if (it == out.end()) it = out.insert(out.end(), AnalyzerSummary{spec.name, 0, 0, 0, {}});
    it->flows += c.flows;
    it->errors += c.errors;
    it->tail_overflows += c.tail_overflows;
    for (size_t a = 0; a < c.anomalies.size(); ++a) {
      if (!c.anomalies[a]) continue;
      auto same = std::find_if(it->anomalies.begin(), it->anomalies.end(),
                               [&](const auto& p) { return p.first == spec.anomalies[a]; });
      if (same == it->anomalies.end()) {
        it->anomalies.emplace_back(spec.anomalies[a], c.anomalies[a]);
      } else {
        same->second += c.anomalies[a];
      }
    }
  }
  return out;
}

std::vector<std::pair<std::string_view, uint64_t>> AppLayer::anomaly_counts() const {
  std::vector<std::pair<std::string_view, uint64_t>> out;
  for (const auto& s : summaries()) out.insert(out.end(), s.anomalies.begin(), s.anomalies.end());
  return out;
}

}  // namespace netsift
