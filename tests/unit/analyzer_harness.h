// Test harness for protocol analyzers: plays a recorded conversation through the real
// app-layer engine (port map or probing, replay, NeedMore tails, close), with the bytes
// of each turn cut into pieces, and returns the events as JSON text. Analyzer tests use
// it to prove that the events do not depend on how TCP happened to segment the stream.
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <string>
#include <vector>

#include "analyzers/analyzer.h"
#include "analyzers/app_layer.h"
#include "core/buffer_budget.h"
#include "output/json_text.h"

namespace netsift::test {

// One direction's bytes, in conversation order (a TCP direction's next bytes or, for
// UDP, one datagram).
struct Turn {
  Dir dir;
  std::string bytes;
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

inline EventLog play(std::span<const AnalyzerSpec> analyzers, FlowInfo flow,
                     const std::vector<Turn>& turns, const CutPlan& cuts = {},
                     AppLayerConfig config = {}) {
  EventLog log;
  BufferBudget budget;
  AppLayer engine(analyzers, std::move(config), log, budget);
  AppFlow state;
  Transport transport = flow.proto == 17 ? Transport::Udp : Transport::Tcp;
  engine.start(state, flow, transport);
  for (size_t i = 0; i < turns.size(); ++i) {
    ByteView all(reinterpret_cast<const uint8_t*>(turns[i].bytes.data()), turns[i].bytes.size());
    std::vector<size_t> at =
        cuts && transport == Transport::Tcp ? cuts(i, all.size()) : std::vector<size_t>{};
    size_t from = 0;
    at.push_back(all.size());
    for (size_t to : at) {
      if (to <= from || to > all.size()) continue;
      flow.now += 1000;  // each piece a little later, as packets would be
      engine.data(state, turns[i].dir, all.subspan(from, to - from));
      from = to;
    }
  }
  engine.close(state);
  return log;
}

// Plays the conversation whole, then once per cut position of every turn (each turn cut
// at one offset) and once with every turn cut into single bytes. Returns "" when all
// runs yield the same events, else a description of the first difference. Timestamps
// differ between runs and are not compared.
inline std::string check_every_split(std::span<const AnalyzerSpec> analyzers, const FlowInfo& flow,
                                     const std::vector<Turn>& turns, AppLayerConfig config = {}) {
  auto strip_ts = [](std::vector<std::string> lines) {
    for (auto& l : lines) {
      // "ts":N and "ts_*":N values vary with the cut: blank the numbers.
      for (size_t p = l.find("\"ts"); p != std::string::npos; p = l.find("\"ts", p + 1)) {
        size_t colon = l.find(':', p);
        size_t end = l.find_first_of(",}", colon);
        if (colon != std::string::npos && end != std::string::npos)
          l.replace(colon + 1, end - colon - 1, "0");
      }
    }
    return lines;
  };
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

}  // namespace netsift::test
