// The app-layer engine with small fake protocols, so that each rule (port map over
// probing, held bytes replayed in order, NeedMore tails and `needed`, Error/Done/close,
// gaps, UDP, budget) is checked by what an analyzer was actually given.
#include "analyzers/app_layer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "capture/raw_packet.h"
#include "decode/decoder.h"
#include "flow/flow_table.h"
#include "packet_builder.h"

namespace netsift {
namespace {

ByteView view(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
const char* side(Dir d) {
  return d == Dir::ToServer ? "c" : "s";
}

// Every fake reports what it is given as events: "data" {dir, bytes}, "gap" {dir,
// length}, "close" {seen: bytes this instance was given}.
class Recorder : public Analyzer {
 public:
  explicit Recorder(const AnalyzerContext& c) : context_(c) {}
  void on_gap(Dir dir, uint64_t missing, EventSink& out) override {
    Event e = make_flow_event("gap", *context_.flow);
    e.set("dir", side(dir)).set("length", missing);
    out.emit(e);
  }
  void on_close(EventSink& out) override {
    Event e = make_flow_event("close", *context_.flow);
    e.set("seen", seen_);
    out.emit(e);
  }

 protected:
  void record(Dir dir, ByteView data, EventSink& out, const char* kind = "data") {
    seen_ += data.size();
    Event e = make_flow_event(kind, *context_.flow);
    e.set("dir", side(dir)).set_escaped("bytes", data);
    out.emit(e);
  }
  AnalyzerContext context_;
  uint64_t seen_ = 0;
};

// "echo" (TCP 7000): takes everything. Probe: a direction starting "ECHO".
class Echo final : public Recorder {
 public:
  using Recorder::Recorder;
  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    record(dir, data, out);
    return ParseResult::ok();
  }
};
Confidence probe_prefix(ByteView first, std::string_view prefix) {
  std::string_view s = as_chars(first);
  if (s.size() >= prefix.size()) return s.starts_with(prefix) ? Confidence::Yes : Confidence::No;
  return prefix.starts_with(s) ? Confidence::Maybe : Confidence::No;
}
Confidence probe_echo(Dir, ByteView first) {
  return probe_prefix(first, "ECHO");
}

// "lines" (TCP 7001): one "line" event per LF-terminated line; "ERR" is an Error, "BYE"
// Done. Probe: a server "220 " banner is Maybe (it could be another protocol's), a
// client "HELO" decides.
class Lines final : public Recorder {
 public:
  using Recorder::Recorder;
  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    ++calls_;
    size_t pos = 0;
    for (;;) {
      std::string_view rest = as_chars(data.subspan(pos));
      size_t eol = rest.find('\n');
      if (eol == std::string_view::npos) return ParseResult::need_more(uint32_t(pos));
      std::string_view line = rest.substr(0, eol);
      record(dir, data.subspan(pos, eol), out, "line");
      pos += eol + 1;
      if (line == "ERR") return ParseResult::error();
      if (line == "BYE") return ParseResult::done();
      if (line == "WEIRD") context_.anomaly(0, out, "asked for");
    }
  }
  void on_close(EventSink& out) override {
    Event e = make_flow_event("close", *context_.flow);
    e.set("seen", seen_);
    // How often it was called depends on the cuts: left out for the split checks.
    if (context_.options->get_bool("report_calls")) e.set("calls", calls_);
    out.emit(e);
  }

 private:
  uint64_t calls_ = 0;
};
Confidence probe_lines(Dir dir, ByteView first) {
  if (dir == Dir::ToClient)
    return probe_prefix(first, "220 ") == Confidence::No ? Confidence::No : Confidence::Maybe;
  return probe_prefix(first, "HELO");
}

// "len" (TCP 7003, no probe): messages of one length byte and that many bytes; says how
// many it still needs, so the engine should not call it again before they are there.
class Len final : public Recorder {
 public:
  using Recorder::Recorder;
  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    Event call = make_flow_event("call", *context_.flow);
    call.set("size", uint64_t(data.size()));
    out.emit(call);
    size_t pos = 0;
    while (pos < data.size()) {
      size_t len = data[pos];
      if (data.size() - pos - 1 < len)
        return ParseResult::need_more(uint32_t(pos), uint32_t(len + 1 - (data.size() - pos)));
      record(dir, data.subspan(pos + 1, len), out, "message");
      pos += 1 + len;
    }
    return ParseResult::ok();
  }
};
Confidence no_probe(Dir, ByteView) {
  return Confidence::No;
}

// "udpf" (UDP 7002): one datagram each. Probe: a datagram starting "UDPF".
class Udpf final : public Recorder {
 public:
  using Recorder::Recorder;
  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    record(dir, data, out);
    return ParseResult::ok();
  }
};
Confidence probe_udpf(Dir, ByteView first) {
  return as_chars(first).starts_with("UDPF") ? Confidence::Yes : Confidence::No;
}

template <class A>
std::unique_ptr<Analyzer> make(const AnalyzerContext& c) {
  return std::make_unique<A>(c);
}

constexpr uint16_t kEchoPorts[] = {7000};
constexpr uint16_t kLinesPorts[] = {7001};
constexpr uint16_t kUdpfPorts[] = {7002};
constexpr uint16_t kLenPorts[] = {7003};
constexpr std::string_view kLinesAnomalies[] = {"lines.weird_line"};
constexpr AnalyzerOptionSpec kLinesOptions[] = {
    {"report_calls", AnalyzerOptionSpec::Kind::Bool, "true", "count on_data calls at close"}};
const AnalyzerSpec kFakes[] = {
    {"echo", Transport::Tcp, kEchoPorts, probe_echo, make<Echo>},
    {"lines", Transport::Tcp, kLinesPorts, probe_lines, make<Lines>, kLinesAnomalies,
     kLinesOptions},
    {"udpf", Transport::Udp, kUdpfPorts, probe_udpf, make<Udpf>},
    {"len", Transport::Tcp, kLenPorts, no_probe, make<Len>},
};

// One flow driven by hand, its events as compact JSON with the flow fields cut out.
struct Rig {
  explicit Rig(uint16_t port, uint8_t proto = 6, AppLayerConfig config = {},
               uint64_t limit = 1 << 20)
      : flow(test::test_flow(port, proto)),
        budget{0, limit},
        engine(kFakes, std::move(config), log, budget) {
    engine.start(state, flow, proto == 17 ? Transport::Udp : Transport::Tcp);
  }
  void data(Dir d, const std::string& s) { engine.data(state, d, view(s)); }
  // "kind dir bytes" / "gap dir length" / "close seen" per event.
  std::vector<std::string> calls() const {
    std::vector<std::string> out;
    for (const auto& l : log.lines) {
      auto field = [&](const char* k) {
        std::string key = std::string("\"") + k + "\":";
        size_t p = l.find(key);
        if (p == std::string::npos) return std::string();
        p += key.size();
        size_t end = l[p] == '"' ? l.find('"', p + 1) + 1 : l.find_first_of(",}", p);
        std::string v = l.substr(p, end - p);
        if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
        return v;
      };
      std::string kind = field("event");
      std::string s = kind;
      for (const char* k : {"dir", "bytes", "length", "seen", "calls", "size", "name"}) {
        std::string v = field(k);
        if (!v.empty()) s += " " + v;
      }
      out.push_back(s);
    }
    return out;
  }
  FlowInfo flow;
  test::EventLog log;
  BufferBudget budget;
  AppLayer engine;
  AppFlow state;
};

using Calls = std::vector<std::string>;

TEST(AppLayer, DefaultPortClaimsWithoutProbing) {
  Rig r(7000);
  ASSERT_NE(r.state.spec(), nullptr);
  EXPECT_EQ(r.state.spec()->name, "echo");
  r.data(Dir::ToServer, "not echo at all");
  r.engine.close(r.state);
  EXPECT_EQ(r.calls(), (Calls{"data c not echo at all", "close 15"}));
}

TEST(AppLayer, ConfiguredPortOverridesDefaults) {
  AppLayerConfig config;
  config.ports["lines"] = {7000};
  Rig r(7000, 6, config);
  ASSERT_NE(r.state.spec(), nullptr);
  EXPECT_EQ(r.state.spec()->name, "lines");
  // The configured list replaces the defaults: 7001 is no longer "lines" by port, and
  // a server banner alone does not decide.
  Rig other(7001, 6, config);
  EXPECT_EQ(other.state.spec(), nullptr);
  other.data(Dir::ToServer, "ECHO by content");
  ASSERT_NE(other.state.spec(), nullptr);
  EXPECT_EQ(other.state.spec()->name, "echo");
}

TEST(AppLayer, ProbeMaybeHoldsAndReplaysBothDirectionsInOrder) {
  Rig r(9999);
  r.data(Dir::ToClient, "220 ready\n");  // Maybe: held
  r.data(Dir::ToServer, "HE");           // Maybe: held
  EXPECT_EQ(r.state.spec(), nullptr);
  EXPECT_TRUE(r.log.lines.empty());
  EXPECT_GT(r.budget.held, 0u);
  r.data(Dir::ToServer, "LO me\nQUIT");  // Yes: replay, then this call's bytes
  ASSERT_NE(r.state.spec(), nullptr);
  EXPECT_EQ(r.state.spec()->name, "lines");
  r.data(Dir::ToServer, "\n");
  r.engine.close(r.state);
  EXPECT_EQ(r.calls(), (Calls{"line s 220 ready", "line c HELO me", "line c QUIT", "close 20 3"}));
  EXPECT_EQ(r.budget.held, 0u);
}

TEST(AppLayer, BytesPastTheProbeDepthArriveAsAGap) {
  AppLayerConfig config;
  config.probe_depth = 8;
  Rig r(9999, 6, config);
  r.data(Dir::ToClient, "220 a long banner\n");  // 8 held, the rest not: given up
  r.data(Dir::ToServer, "HELO x\n");
  r.engine.close(r.state);
  EXPECT_EQ(r.calls(), (Calls{"gap s 10", "line c HELO x", "close 6 2"}));
}

TEST(AppLayer, NeedMoreKeepsTheTailAndHonoursNeeded) {
  Rig r(7003);
  std::string msg = std::string(1, char(10)) + "0123456789";
  for (char c : msg) r.data(Dir::ToServer, std::string(1, c));
  r.engine.close(r.state);
  // Called once for the length byte (it then needs 10 more), once when all are there.
  EXPECT_EQ(r.calls(), (Calls{"call 1", "call 11", "message c 0123456789", "close 10"}));
  EXPECT_EQ(r.budget.held, 0u);
}

TEST(AppLayer, TailPastTheCapEndsTheAnalyzerOnce) {
  AppLayerConfig config;
  config.max_tail = 16;
  Rig r(7001, 6, config);
  r.data(Dir::ToServer, "ok\nstill no end of line");
  r.data(Dir::ToServer, "more\n");
  r.engine.close(r.state);
  EXPECT_EQ(r.calls(), (Calls{"line c ok", "close 2 1"}));
  EXPECT_EQ(r.engine.stats().analyzer_tail_overflows, 1u);
  EXPECT_EQ(r.budget.held, 0u);
  // `needed` beyond the cap is refused at once.
  Rig len(7003, 6, config);
  len.data(Dir::ToServer, std::string(1, char(100)) + "abc");
  EXPECT_FALSE(len.state.active());
  EXPECT_EQ(len.engine.stats().analyzer_tail_overflows, 1u);
}

TEST(AppLayer, ErrorThenOnCloseOnceAndNothingMore) {
  Rig r(7001);
  r.data(Dir::ToServer, "a\nERR\nb\n");
  EXPECT_FALSE(r.state.active());
  r.data(Dir::ToServer, "c\n");
  r.engine.gap(r.state, Dir::ToServer, 5);
  r.engine.close(r.state);
  EXPECT_EQ(r.calls(), (Calls{"line c a", "line c ERR", "close 4 1"}));
  EXPECT_EQ(r.engine.stats().analyzer_errors, 1u);
  auto summaries = r.engine.summaries();
  auto it = std::find_if(summaries.begin(), summaries.end(),
                         [](const auto& s) { return s.name == "lines"; });
  ASSERT_NE(it, summaries.end());
  EXPECT_EQ(it->errors, 1u);
  EXPECT_EQ(it->flows, 1u);
}

TEST(AppLayer, DoneThenOnCloseOnce) {
  Rig r(7001);
  r.data(Dir::ToServer, "BYE\nafter\n");
  r.data(Dir::ToClient, "x\n");
  r.engine.close(r.state);
  EXPECT_EQ(r.calls(), (Calls{"line c BYE", "close 3 1"}));
  EXPECT_EQ(r.engine.stats().analyzer_errors, 0u);
}

TEST(AppLayer, GapBeforeClaimIsReplayedInPlace) {
  Rig r(9999);
  r.data(Dir::ToClient, "220 hi\n");
  r.engine.gap(r.state, Dir::ToClient, 10);  // the server direction can no longer be probed
  r.data(Dir::ToClient, "after\n");          // still held, after the hole
  r.data(Dir::ToServer, "HELO\n");
  r.engine.close(r.state);
  EXPECT_EQ(r.calls(),
            (Calls{"line s 220 hi", "gap s 10", "line s after", "line c HELO", "close 15 3"}));
}

TEST(AppLayer, GapAfterClaimDropsThePartialMessage) {
  Rig r(7001);
  r.data(Dir::ToServer, "par");
  r.engine.gap(r.state, Dir::ToServer, 4);
  r.data(Dir::ToServer, "x\n");
  r.engine.close(r.state);
  EXPECT_EQ(r.calls(), (Calls{"gap c 4", "line c x", "close 1 2"}));
}

TEST(AppLayer, NoAnalyzerClaimsUnknownTraffic) {
  Rig r(9999);
  r.data(Dir::ToServer, "GET / HTTP/1.1\r\n");
  r.data(Dir::ToClient, "HTTP/1.1 200 OK\r\n");
  r.engine.close(r.state);
  EXPECT_EQ(r.state.spec(), nullptr);
  EXPECT_TRUE(r.log.lines.empty());
  EXPECT_EQ(r.budget.held, 0u);
}

TEST(AppLayer, UdpDatagramsAreProbedAndReplayed) {
  Rig r(9999, 17);
  r.data(Dir::ToServer, "hello");  // no probe knows it: this direction gives up, held
  EXPECT_EQ(r.state.spec(), nullptr);
  r.data(Dir::ToClient, "UDPF one");
  r.data(Dir::ToClient, "UDPF two");
  r.engine.close(r.state);
  EXPECT_EQ(r.calls(), (Calls{"data c hello", "data s UDPF one", "data s UDPF two", "close 21"}));
  // By port; and unknown datagrams in both directions end probing.
  Rig port(7002, 17);
  EXPECT_NE(port.state.spec(), nullptr);
  Rig none(9999, 17);
  none.data(Dir::ToServer, "a");
  none.data(Dir::ToClient, "b");
  none.data(Dir::ToClient, "UDPF late");
  none.engine.close(none.state);
  EXPECT_EQ(none.state.spec(), nullptr);
  EXPECT_EQ(none.budget.held, 0u);
}

TEST(AppLayer, BudgetRefusalsAreCountedAndNothingBreaks) {
  // Nothing can be held: a Yes on the first bytes still claims (they are fed after
  // the empty replay); a Maybe cannot wait for more.
  Rig yes(9999, 6, {}, 0);
  yes.data(Dir::ToServer, "ECHO now");
  yes.engine.close(yes.state);
  EXPECT_EQ(yes.calls(), (Calls{"data c ECHO now", "close 8"}));
  EXPECT_GE(yes.engine.stats().budget_refusals, 1u);
  Rig maybe(9999, 6, {}, 0);
  maybe.data(Dir::ToServer, "EC");
  maybe.data(Dir::ToServer, "HO");
  maybe.engine.close(maybe.state);
  EXPECT_EQ(maybe.state.spec(), nullptr);
  EXPECT_TRUE(maybe.log.lines.empty());
  // A tail the budget refuses ends the analyzer (on_close once).
  Rig tail(7001, 6, {}, 2);
  tail.data(Dir::ToServer, "abc");
  tail.engine.close(tail.state);
  EXPECT_EQ(tail.calls(), (Calls{"close 0 1"}));
  EXPECT_EQ(tail.engine.stats().analyzer_tail_overflows, 1u);
  EXPECT_EQ(tail.budget.held, 0u);
}

TEST(AppLayer, AnomaliesAreCountedAndWeirdEventsOnlyWhenAsked) {
  for (bool weird : {false, true}) {
    AppLayerConfig config;
    config.weird_events = weird;
    Rig r(7001, 6, config);
    r.data(Dir::ToServer, "WEIRD\n");
    r.engine.close(r.state);
    Calls want = {"line c WEIRD"};
    if (weird) want.push_back("weird lines.weird_line");
    want.push_back("close 5 1");
    EXPECT_EQ(r.calls(), want);
    ASSERT_EQ(r.engine.anomaly_counts().size(), 1u);
    EXPECT_EQ(r.engine.anomaly_counts()[0].first, "lines.weird_line");
    if (weird) {
      EXPECT_NE(r.log.lines[1].find("\"analyzer\":\"lines\""), std::string::npos);
      EXPECT_NE(r.log.lines[1].find("\"detail\":\"asked for\""), std::string::npos);
    }
  }
}

TEST(AppLayer, HarnessSplitsAndInterleavings) {
  std::vector<test::Turn> turns = {
      {Dir::ToClient, "220 welcome\n"},
      {Dir::ToServer, "HELO a\nHELO b\n"},
      {Dir::ToClient, "250 ok\n250 ok too\n"},
      {Dir::ToServer, "BYE\n"},
  };
  AppLayerConfig config;
  std::string error;
  AnalyzerOptions options(kLinesOptions);
  ASSERT_TRUE(options.set("report_calls", "false", error)) << error;
  EXPECT_FALSE(options.set("report_calls", "maybe", error));
  EXPECT_FALSE(options.set("no_such_option", "1", error));
  config.options.emplace("lines", options);
  EXPECT_EQ(test::check_every_split(kFakes, test::test_flow(9999), turns, config), "");
  EXPECT_EQ(test::check_every_split(kFakes, test::test_flow(7001), turns, config), "");
  EXPECT_EQ(test::check_interleavings(kFakes, test::test_flow(9999), turns, config), "");
  EXPECT_EQ(test::check_interleavings(kFakes, test::test_flow(7001), turns, config), "");
  auto log = test::play(kFakes, test::test_flow(9999), turns, {}, config);
  EXPECT_EQ(log.kinds.size(), 7u);  // 6 lines (BYE ends it) and close
  // An analyzer whose events depend on how the directions interleave is caught: "echo"
  // reports every piece as it came.
  std::vector<test::Turn> echo = {{Dir::ToServer, "ECHO ab"}, {Dir::ToClient, "cd"}};
  EXPECT_NE(test::check_every_split(kFakes, test::test_flow(7000), echo), "");
}

// Port reuse through the flow table: a new SYN on a closed 4-tuple is a new connection
// with a fresh analyzer (each instance reports only its own bytes at close).
TEST(AppLayer, NewConnectionOnTheSamePortsGetsAFreshAnalyzer) {
  FlowObserver observer;
  test::EventLog log;
  FlowTable table(FlowConfig{}, kFakes, observer, log);
  Decoder decoder;
  TimestampNs ts = 1'000'000'000;
  auto send = [&](uint32_t seq, uint8_t flags, const std::string& payload) {
    test::Bytes frame = test::ethernet(0x0800);
    test::Bytes seg = test::tcp(40000, 7000, seq, 0, flags);
    test::append(frame, test::ipv4(6, seg.size() + payload.size()));
    test::append(frame, seg);
    test::append(frame, payload);
    RawPacket raw;
    raw.ts = ts += 1000;
    raw.data = ByteView(frame.data(), frame.size());
    raw.caplen = raw.wirelen = uint32_t(frame.size());
    raw.linktype = linktype::kEthernet;
    PacketView v;
    decoder.decode(raw, v);
    table.on_packet(v);
  };
  constexpr uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08, kRst = 0x04;
  send(100, kSyn, "");
  send(101, kAck | kPsh, "first");
  send(106, kRst, "");
  send(5000, kSyn, "");
  send(5001, kAck | kPsh, "second!");
  table.flush_all();
  std::vector<std::string> closes;
  for (size_t i = 0; i < log.kinds.size(); ++i) {
    if (log.kinds[i] == "close")
      closes.push_back(log.lines[i].substr(log.lines[i].find("\"seen\"")));
  }
  EXPECT_EQ(closes, (std::vector<std::string>{"\"seen\":5}", "\"seen\":7}"}));
}

}  // namespace
}  // namespace netsift
