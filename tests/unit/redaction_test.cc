// --redact bookkeeping: Redaction's ranges, values and caps, and the engine turning an
// analyzer's secret spans, holds and unread tails into masks and settled offsets.
#include "analyzers/redaction.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/app_layer.h"

namespace netsift {
namespace {

ByteView view(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string masked(const Redaction& r, Dir dir, uint64_t offset, std::string s) {
  r.apply(dir, offset, std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size()));
  return s;
}

TEST(Redaction, RangesMergeAndApplyAtAnyOffset) {
  Redaction r;
  EXPECT_TRUE(r.empty());
  r.add_range(Dir::ToServer, 5, 3);
  r.add_range(Dir::ToServer, 7, 4);  // overlaps: one range 5..11
  r.add_range(Dir::ToServer, 20, 2);
  EXPECT_FALSE(r.empty());
  EXPECT_EQ(masked(r, Dir::ToServer, 0, "0123456789abcdefghijklmn"), "01234******bcdefghij**mn");
  // The same bytes seen from offset 8 (a later chunk): only what lies in them.
  EXPECT_EQ(masked(r, Dir::ToServer, 8, "89abcdef"), "***bcdef");
  EXPECT_EQ(masked(r, Dir::ToClient, 0, "0123456789"), "0123456789");  // other direction
}

TEST(Redaction, ValuesAreMaskedWhereverTheyOccur) {
  Redaction r;
  r.add_value(Dir::ToServer, 0, view("Basic Zm9vOmJhcg=="));
  r.add_value(Dir::ToServer, 0, view("Basic Zm9vOmJhcg=="));  // once is enough
  EXPECT_EQ(masked(r, Dir::ToServer, 100, "A: Basic Zm9vOmJhcg==\r\nB: Basic Zm9vOmJhcg=="),
            "A: ******************\r\nB: ******************");
}

TEST(Redaction, PastTheCapsMoreIsMaskedNeverLess) {
  Redaction r;
  for (uint64_t i = 0; i < 1000; ++i) r.add_range(Dir::ToServer, i * 10, 1);
  std::string s(10000, 'x');
  std::string m = masked(r, Dir::ToServer, 0, s);
  for (uint64_t i = 0; i < 1000; ++i) EXPECT_EQ(m[i * 10], '*') << i;
  for (int i = 0; i < 40; ++i) r.add_value(Dir::ToClient, 50, view("v" + std::to_string(i)));
  // Past 32 values everything from the offset of the first refused one is masked.
  EXPECT_EQ(masked(r, Dir::ToClient, 40, std::string(20, 'y')),
            std::string(10, 'y') + std::string(10, '*'));
}

// A fake login protocol: lines; "PASS x" marks x secret; "HOLD" holds the client
// direction until a line "DONE".
class Lines final : public Analyzer {
 public:
  explicit Lines(const AnalyzerContext& c) : context_(c) {}
  ParseResult on_data(Dir dir, ByteView data, EventSink&) override {
    std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
    size_t pos = 0;
    for (size_t eol; (eol = s.find('\n', pos)) != std::string_view::npos; pos = eol + 1) {
      std::string_view line = s.substr(pos, eol - pos);
      if (line.starts_with("PASS ")) context_.secret(dir, line.substr(5));
      if (line == "HOLD") context_.hold(dir, true);
      if (line == "DONE") context_.hold(dir, false);
    }
    return ParseResult::need_more(uint32_t(pos));
  }
  AnalyzerContext context_;
};

Confidence never(Dir, ByteView) {
  return Confidence::No;
}
std::unique_ptr<Analyzer> make_lines(const AnalyzerContext& c) {
  return std::make_unique<Lines>(c);
}
constexpr uint16_t kPorts[] = {4444};
const AnalyzerSpec kLines[] = {{"lines", Transport::Tcp, kPorts, never, make_lines}};

TEST(Redaction, EngineMarksSpansHoldsAndUnreadTails) {
  test::EventLog log;
  BufferBudget budget;
  AppLayerConfig config;
  config.redact = true;
  AppLayer engine(kLines, config, log, budget);
  AppFlow flow;
  FlowInfo info = test::test_flow(4444);
  engine.start(flow, info, Transport::Tcp);
  const Dir c = Dir::ToServer;
  std::string sent;
  auto give = [&](const std::string& s) {
    engine.data(flow, c, view(s));
    sent += s;
  };
  give("USER a\nPASS se");  // the line is not complete: not settled past "USER a\n"
  EXPECT_EQ(flow.settled(c), 7u);
  give("cret\nHO");
  EXPECT_EQ(flow.settled(c), 19u);
  give("LD\nPASS x\n");  // held from the start of the bytes it was given
  EXPECT_EQ(flow.settled(c), 19u);
  give("DONE\nPASS unfinish");  // released; the last line never ends
  EXPECT_EQ(flow.settled(c), 36u);
  engine.close(flow);
  EXPECT_EQ(flow.settled(c), UINT64_MAX);
  ASSERT_NE(flow.redaction(), nullptr);
  EXPECT_EQ(masked(*flow.redaction(), c, 0, sent),
            "USER a\nPASS ******\nHOLD\nPASS *\nDONE\n*************");
}

}  // namespace
}  // namespace netsift
