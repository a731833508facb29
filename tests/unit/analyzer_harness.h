// Test harness for protocol analyzers: plays a recorded conversation through the real
// app-layer engine (port map or probing, replay, NeedMore tails, close), with the bytes
// of each turn cut into pieces, and returns the events as JSON text. Analyzer tests use
// it to prove that the events do not depend on how TCP happened to segment the stream,
// nor on how the two directions' packets interleaved.
#pragma once

#include <rapidjson/document.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "analyzers/analyzer.h"
#include "analyzers/app_layer.h"
#include "analyzers/registry.h"
#include "core/base64.h"
#include "core/buffer_budget.h"
#include "output/json_text.h"

namespace netsift::test {

// One direction's bytes, in conversation order (a TCP direction's next bytes or, for
// UDP, one datagram), and how many bytes of that direction the capture lost right after
// them (a hole: the engine's gap notice).
struct Turn {
  Dir dir;
  std::string bytes;
  uint64_t gap_after = 0;
};

class EventLog final : public EventSink {
 public:
  void emit(const Event& e) override {
    TextBuffer text;
    append_json(e.doc(), text);
    lines.emplace_back(text.view());
    kinds.emplace_back(e.kind());
  }
  std::vector<std::string> lines;  // compact JSON, one per event
  std::vector<std::string> kinds;
};

// Base64 of text, as SASL exchanges carry it.
inline std::string b64(std::string_view s) {
  return base64_encode(as_bytes(s));
}

// An analyzer's content probe called with text: probe(dir, "the first bytes").
struct Prober {
  const AnalyzerSpec& spec;
  Confidence operator()(Dir dir, std::string_view first) const {
    return spec.probe(dir, as_bytes(first));
  }
};

// One event's JSON text parsed, with its length: RapidJSON's SSE2 scan reads past the
// end of an unpadded string otherwise (ASan reports it).
inline rapidjson::Document parse_event(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.data(), line.size());
  return d;
}

inline std::vector<rapidjson::Document> parse_events(const EventLog& log) {
  std::vector<rapidjson::Document> out;
  for (const auto& line : log.lines) out.push_back(parse_event(line));
  return out;
}

// A string field of an event, or "<absent>" when missing or not a string.
inline std::string str(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "<absent>";
}

inline bool has(const rapidjson::Value& v, const char* key) {
  return v.FindMember(key) != v.MemberEnd();
}

inline FlowInfo test_flow(uint16_t server_port, uint8_t proto = 6) {
  FlowInfo flow;
  parse_address("192.0.2.1", flow.client_ip);
  parse_address("192.0.2.2", flow.server_ip);
  flow.client_port = 40000;
  flow.server_port = server_port;
  flow.proto = proto;
  return flow;
}

// Where to cut turn `index` (of `size` bytes): piece boundaries, ascending, each in
// (0, size). Empty: the turn arrives whole.
using CutPlan = std::function<std::vector<size_t>(size_t index, size_t size)>;

// One delivery to the engine: bytes [from, to) of turn `turn`.
struct Piece {
  size_t turn, from, to;
};

// Delivers `pieces` in order (each piece a little later, as packets would be), then
// closes the flow; returns the events.
inline EventLog play_pieces(std::span<const AnalyzerSpec> analyzers, FlowInfo flow,
                            const std::vector<Turn>& turns, const std::vector<Piece>& pieces,
                            AppLayerConfig config = {}) {
  EventLog log;
  BufferBudget budget;
  AppLayer engine(analyzers, std::move(config), log, budget);
  AppFlow state;
  engine.start(state, flow, flow.proto == 17 ? Transport::Udp : Transport::Tcp);
  for (const Piece& p : pieces) {
    const std::string& b = turns[p.turn].bytes;
    flow.now += 1000;
    if (p.to > p.from)
      engine.data(state, turns[p.turn].dir,
                  ByteView(reinterpret_cast<const uint8_t*>(b.data()) + p.from, p.to - p.from));
    if (p.to == b.size() && turns[p.turn].gap_after > 0)
      engine.gap(state, turns[p.turn].dir, turns[p.turn].gap_after);
  }
  engine.close(state);
  return log;
}

// The turns in order, each cut as `cuts` says (UDP datagrams are never cut).
inline std::vector<Piece> pieces_of(const FlowInfo& flow, const std::vector<Turn>& turns,
                                    const CutPlan& cuts) {
  std::vector<Piece> out;
  for (size_t i = 0; i < turns.size(); ++i) {
    size_t size = turns[i].bytes.size();
    if (size == 0) {
      out.push_back({i, 0, 0});  // a hole alone
      continue;
    }
    std::vector<size_t> at = cuts && flow.proto != 17 ? cuts(i, size) : std::vector<size_t>{};
    at.push_back(size);
    size_t from = 0;
    for (size_t to : at) {
      if (to <= from || to > size) continue;
      out.push_back({i, from, to});
      from = to;
    }
  }
  return out;
}

inline EventLog play(std::span<const AnalyzerSpec> analyzers, FlowInfo flow,
                     const std::vector<Turn>& turns, const CutPlan& cuts = {},
                     AppLayerConfig config = {}) {
  return play_pieces(analyzers, flow, turns, pieces_of(flow, turns, cuts), std::move(config));
}

// Turn `t` and the next one (of the other direction) overlapping: t's first `a` bytes,
// the next turn's first `b`, the rest of t, the rest of the next; every other turn whole.
// So the answer starts arriving before the message it answers has ended, as when the two
// directions' packets cross in the capture.
inline std::vector<Piece> interleaved(const std::vector<Turn>& turns, size_t t, size_t a,
                                      size_t b) {
  std::vector<Piece> out;
  for (size_t i = 0; i < turns.size(); ++i) {
    if (i == t) {
      out.push_back({t, 0, a});
      out.push_back({t + 1, 0, b});
      out.push_back({t, a, turns[t].bytes.size()});
      out.push_back({t + 1, b, turns[t + 1].bytes.size()});
      ++i;
      continue;
    }
    out.push_back({i, 0, turns[i].bytes.size()});
  }
  return out;
}

// "ts":N, "ts_*":N and "rtt":N values vary with the cuts (each piece arrives a little
// later): the numbers blanked.
inline std::vector<std::string> strip_timestamps(std::vector<std::string> lines) {
  for (auto& l : lines) {
    for (const char* key : {"\"ts", "\"rtt\""}) {
      for (size_t p = l.find(key); p != std::string::npos; p = l.find(key, p + 1)) {
        size_t colon = l.find(':', p);
        size_t end = l.find_first_of(",}", colon);
        if (colon == std::string::npos || end == std::string::npos) continue;
        // Rebuilt rather than replace()d: GCC 12 warns falsely (-Wrestrict) on the latter.
        std::string zeroed = l.substr(0, colon + 1);
        zeroed += '0';
        zeroed.append(l, end, std::string::npos);
        l = std::move(zeroed);
      }
    }
  }
  return lines;
}

// Plays the conversation whole, then once per cut position of every turn (each turn cut
// at one offset) and once with every turn cut into single bytes. Returns "" when all
// runs yield the same events, else a description of the first difference.
// Timestamps differ between runs and are not compared.
inline std::string check_every_split(std::span<const AnalyzerSpec> analyzers, const FlowInfo& flow,
                                     const std::vector<Turn>& turns, AppLayerConfig config = {}) {
  auto strip_ts = strip_timestamps;
  auto whole = strip_ts(play(analyzers, flow, turns, {}, config).lines);
  auto compare = [&](const std::vector<std::string>& got, const std::string& how) {
    if (got == whole) return std::string();
    std::string msg = how + ": " + std::to_string(got.size()) + " events, whole gives " +
                      std::to_string(whole.size());
    for (size_t i = 0; i < std::min(got.size(), whole.size()); ++i) {
      if (got[i] != whole[i]) return msg + "\n  got:   " + got[i] + "\n  whole: " + whole[i];
    }
    return msg;
  };
  for (size_t t = 0; t < turns.size(); ++t) {
    for (size_t cut = 1; cut < turns[t].bytes.size(); ++cut) {
      auto plan = [&](size_t index, size_t) {
        return index == t ? std::vector<size_t>{cut} : std::vector<size_t>{};
      };
      std::string diff = compare(strip_ts(play(analyzers, flow, turns, plan, config).lines),
                                 "turn " + std::to_string(t) + " cut at " + std::to_string(cut));
      if (!diff.empty()) return diff;
    }
  }
  auto bytewise = [](size_t, size_t size) {
    std::vector<size_t> at;
    for (size_t i = 1; i < size; ++i) at.push_back(i);
    return at;
  };
  return compare(strip_ts(play(analyzers, flow, turns, bytewise, config).lines),
                 "every turn in single bytes");
}

// With each pair of consecutive turns of different directions (TCP) interleaved: the
// first cut at every offset, the second's first byte delivered before the first's rest.
// Returns "" when every run yields the events of the whole conversation (in any order:
// messages of the two directions may now end in another order), else the first
// difference. Separate from check_every_split because a strict request/response parser
// (libhtp) rightly takes a response that starts before its request has ended for one
// without a request; analyzers whose directions are independent (banners, DNS, pipelined
// commands paired in order) should pass it.
inline std::string check_interleavings(std::span<const AnalyzerSpec> analyzers,
                                       const FlowInfo& flow, const std::vector<Turn>& turns,
                                       AppLayerConfig config = {}) {
  if (flow.proto == 17) return {};
  auto strip_ts = strip_timestamps;
  auto whole = strip_ts(play(analyzers, flow, turns, {}, config).lines);
  std::string diff;
  auto sorted_whole = whole;
  std::sort(sorted_whole.begin(), sorted_whole.end());
  auto compare_sorted = [&](std::vector<std::string> got, const std::string& how) {
    std::sort(got.begin(), got.end());
    if (got == sorted_whole) return std::string();
    std::string msg = how + ": " + std::to_string(got.size()) + " events, whole gives " +
                      std::to_string(whole.size());
    for (size_t i = 0; i < std::min(got.size(), sorted_whole.size()); ++i) {
      if (got[i] != sorted_whole[i])
        return msg + " (sorted)\n  got:   " + got[i] + "\n  whole: " + sorted_whole[i];
    }
    return msg;
  };
  for (size_t t = 0; t + 1 < turns.size(); ++t) {
    if (turns[t].dir == turns[t + 1].dir) continue;
    if (turns[t].bytes.size() < 2 || turns[t + 1].bytes.size() < 2) continue;
    for (size_t a = 1; a < turns[t].bytes.size(); ++a) {
      // Only the answer's first byte goes ahead: a longer piece could hold whole replies
      // to pipelined requests not yet delivered, which no capture shows.
      diff = compare_sorted(
          strip_ts(play_pieces(analyzers, flow, turns, interleaved(turns, t, a, 1), config).lines),
          "turns " + std::to_string(t) + " and " + std::to_string(t + 1) + " interleaved at " +
              std::to_string(a) + " and 1");
      if (!diff.empty()) return diff;
    }
  }
  return {};
}

}  // namespace netsift::test
