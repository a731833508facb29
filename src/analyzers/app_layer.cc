#include "analyzers/app_layer.h"

#include <algorithm>

namespace netsift {

AppLayer::AppLayer(std::span<const AnalyzerSpec> registry, AppLayerConfig config, EventSink& events,
                   BufferBudget& budget)
    : registry_(registry), config_(std::move(config)), events_(events), budget_(budget) {
  for (const auto& spec : registry_) {
    auto& map = spec.transport == Transport::Tcp ? tcp_ports_ : udp_ports_;
    auto configured = config_.ports.find(std::string(spec.name));
    if (configured != config_.ports.end()) {
      for (uint16_t p : configured->second) map[p] = &spec;
    } else {
      for (uint16_t p : spec.ports) map.emplace(p, &spec);
    }
    auto given = config_.options.find(std::string(spec.name));
    options_.emplace(
        &spec, given != config_.options.end() ? given->second : AnalyzerOptions(spec.options));
    anomaly_counts_[&spec].assign(spec.anomalies.size(), 0);
  }
}

AppLayer::~AppLayer() = default;

const AnalyzerOptions& AppLayer::options_for(const AnalyzerSpec& spec) {
  return options_.at(&spec);
}

void AppLayer::start(AppFlow& state, const FlowInfo& flow, Transport transport) {
  state.context_.flow = &flow;
  state.context_.host = this;
  state.context_.redact = config_.redact;
  if (!config_.enabled) {
    state.finished_ = true;
    return;
  }
  const auto& map = transport == Transport::Tcp ? tcp_ports_ : udp_ports_;
  auto it = map.find(flow.server_port);
  if (it == map.end()) it = map.find(flow.client_port);
  // Chosen by port, but made only when the first byte arrives: a SYN flood or scan
  // against an analyzer's port must not cost an analyzer (a parser context) per flow.
  if (it != map.end()) state.by_port_ = it->second;
}

bool AppLayer::make_chosen(AppFlow& state) {
  const AnalyzerSpec* spec = state.by_port_;
  state.by_port_ = nullptr;
  claim(state, *spec, *state.context_.flow);
  return state.analyzer_ != nullptr;
}

void AppLayer::claim(AppFlow& state, const AnalyzerSpec& spec, const FlowInfo& flow) {
  state.spec_ = &spec;
  state.context_.spec = &spec;
  state.context_.options = &options_for(spec);
  state.analyzer_ = spec.make(state.context_);
  if (!state.analyzer_) state.finished_ = true;
}

void AppLayer::release(std::vector<uint8_t>& buffer) {
  budget_.held -= std::min<uint64_t>(budget_.held, buffer.size());
  buffer.clear();
  buffer.shrink_to_fit();
}

void AppLayer::data(AppFlow& state, Dir dir, ByteView bytes) {
  if (state.finished_ || bytes.empty()) return;
  if (state.by_port_ && !make_chosen(state)) return;
  if (!state.spec_) {
    probe(state, dir, bytes, state.context_.flow->proto == 17 ? Transport::Udp : Transport::Tcp);
    return;
  }
  if (state.analyzer_) feed(state, dir, bytes);
}

// Probing: every analyzer of the transport looks at all bytes seen so far in this
// direction (TCP, up to probe_depth) or at this datagram (UDP). What probing saw is held
// (bounded, in the global budget) and replayed in arrival order when an analyzer claims
// the flow, so the analyzer sees it from the first byte of both directions.
void AppLayer::probe(AppFlow& state, Dir dir, ByteView bytes, Transport transport) {
  size_t d = size_t(dir);
  std::vector<uint8_t>& held = state.probe_[d];
  // Held even after this direction gave up probing: the other one may still claim the
  // flow (a server banner no analyzer knows, then a client request one does).
  size_t room = config_.probe_depth > held.size() ? config_.probe_depth - held.size() : 0;
  size_t take = std::min(room, bytes.size());
  if (transport == Transport::Udp && take < bytes.size()) take = 0;  // whole datagrams only
  if (take && !budget_.can_take(take)) {
    ++stats_.budget_refusals;
    take = 0;
  }
  if (take) {
    held.insert(held.end(), bytes.begin(), bytes.begin() + long(take));
    budget_.held += take;
    auto& order = state.probe_order_;
    if (transport == Transport::Tcp && !order.empty() && order.back().first == dir) {
      order.back().second += uint32_t(take);
    } else {
      order.emplace_back(dir, uint32_t(take));
    }
  }
  if (state.probe_given_up_[d]) {
    // Not replayable any more: the analyzer will hear of these bytes as a gap.
    if (transport == Transport::Tcp) state.gap_before_claim_[d] += bytes.size() - take;
    return;
  }
  ByteView view = transport == Transport::Tcp && !held.empty() ? ByteView(held) : bytes;
  bool maybe = false;
  for (const auto& spec : registry_) {
    if (spec.transport != transport) continue;
    Confidence c = spec.probe(dir, view);
    if (c == Confidence::Yes) {
      claim(state, spec, *state.context_.flow);
      replay(state);
      // Bytes of this call that did not fit in the probe buffer follow the replay.
      if (state.analyzer_ && take < bytes.size()) feed(state, dir, bytes.subspan(take));
      return;
    }
    maybe |= c == Confidence::Maybe;
  }
  if (!maybe || take < bytes.size() || held.size() >= config_.probe_depth) {
    state.probe_given_up_[d] = true;
    if (transport == Transport::Tcp) state.gap_before_claim_[d] += bytes.size() - take;
  }
  if (state.probe_given_up_[0] && state.probe_given_up_[1]) finish(state);
}

// Feeds the claiming analyzer what probing held, chunk by chunk in arrival order.
void AppLayer::replay(AppFlow& state) {
  std::array<std::vector<uint8_t>, 2> held = {std::move(state.probe_[0]),
                                              std::move(state.probe_[1])};
  auto order = std::move(state.probe_order_);
  state.probe_[0].clear();
  state.probe_[1].clear();
  state.probe_order_.clear();
  std::array<size_t, 2> pos{};
  for (const auto& [dir, len] : order) {
    size_t d = size_t(dir);
    if (!state.analyzer_) break;
    feed(state, dir, ByteView(held[d]).subspan(pos[d], len));
    pos[d] += len;
  }
  for (size_t d = 0; d < 2; ++d) {
    budget_.held -= std::min<uint64_t>(budget_.held, held[d].size());
    if (state.analyzer_ && state.gap_before_claim_[d])
      state.analyzer_->on_gap(Dir(d), state.gap_before_claim_[d], events_);
  }
}

void AppLayer::feed(AppFlow& state, Dir dir, ByteView data) {
  std::vector<uint8_t>& tail = state.tail_[size_t(dir)];
  ByteView input = data;
  if (!tail.empty()) {
    if (!budget_.can_take(data.size())) {
      ++stats_.budget_refusals;
      ++stats_.analyzer_tail_overflows;
      finish(state);
      return;
    }
    tail.insert(tail.end(), data.begin(), data.end());
    budget_.held += data.size();
    // The analyzer said how many bytes it needs: no point in asking before they are here.
    if (tail.size() < state.wanted_[size_t(dir)]) return;
    input = tail;
  }
  ParseResult r = state.analyzer_->on_data(dir, input, events_);
  switch (r.kind) {
    case ParseResult::Ok:
      release(tail);
      break;
    case ParseResult::NeedMore: {
      size_t keep = input.size() - std::min<size_t>(r.consumed, input.size());
      state.wanted_[size_t(dir)] = r.needed ? keep + r.needed : 0;
      if (keep > config_.max_tail || state.wanted_[size_t(dir)] > config_.max_tail) {
        ++stats_.analyzer_tail_overflows;
        finish(state);
        break;
      }
      if (tail.empty()) {
        if (!budget_.can_take(keep)) {
          ++stats_.budget_refusals;
          ++stats_.analyzer_tail_overflows;
          finish(state);
          break;
        }
        tail.assign(input.end() - long(keep), input.end());
        budget_.held += keep;
      } else {
        size_t drop = tail.size() - keep;
        tail.erase(tail.begin(), tail.begin() + long(drop));
        budget_.held -= std::min<uint64_t>(budget_.held, drop);
      }
      break;
    }
    case ParseResult::Error:
      ++stats_.analyzer_errors;
      finish(state);
      break;
    case ParseResult::Done:
      finish(state);
      break;
  }
}

// The same clean-up whatever ended the analyzer: on_close once, buffers released.
void AppLayer::finish(AppFlow& state) {
  if (state.analyzer_) {
    state.analyzer_->on_close(events_);
    state.analyzer_.reset();
  }
  for (auto& t : state.tail_) release(t);
  state.wanted_ = {};
  for (auto& p : state.probe_) release(p);
  state.probe_order_.clear();
  state.finished_ = true;
}

void AppLayer::gap(AppFlow& state, Dir dir, uint64_t length) {
  size_t d = size_t(dir);
  if (state.by_port_ && !state.finished_ && !make_chosen(state)) return;
  if (!state.spec_) {
    // Probing needs the first bytes in order: after a hole this direction cannot be
    // told; if the other one claims the flow, the analyzer hears of the hole.
    state.probe_given_up_[d] = true;
    state.gap_before_claim_[d] += length;
    if (state.probe_given_up_[0] && state.probe_given_up_[1]) finish(state);
    return;
  }
  if (!state.analyzer_) return;
  release(state.tail_[d]);
  state.wanted_[d] = 0;
  state.analyzer_->on_gap(dir, length, events_);
}

void AppLayer::close(AppFlow& state) {
  finish(state);
}

void AppLayer::anomaly(const AnalyzerSpec& spec, size_t index, const FlowInfo& flow,
                       std::string_view detail, EventSink& out) {
  ++stats_.anomalies;
  auto it = anomaly_counts_.find(&spec);
  if (it != anomaly_counts_.end() && index < it->second.size()) ++it->second[index];
  if (!config_.weird_events) return;
  Event e = make_flow_event("weird", flow);
  e.set("name", spec.anomalies[index]);
  e.set("analyzer", spec.name);
  if (!detail.empty()) e.set("detail", detail);
  out.emit(e);
}

std::vector<std::pair<std::string_view, uint64_t>> AppLayer::anomaly_counts() const {
  std::vector<std::pair<std::string_view, uint64_t>> out;
  for (const auto& spec : registry_) {
    auto it = anomaly_counts_.find(&spec);
    if (it == anomaly_counts_.end()) continue;
    for (size_t i = 0; i < it->second.size(); ++i) {
      if (it->second[i]) out.emplace_back(spec.anomalies[i], it->second[i]);
    }
  }
  return out;
}

}  // namespace netsift
