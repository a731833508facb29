#include "analyzers/ssh/ssh_analyzer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/registry.h"

namespace netsift {
namespace {

struct Events final : EventSink {
  std::vector<std::string> kinds;
  std::vector<std::string> client, server;
  void emit(const Event& e) override {
    kinds.push_back(e.kind());
    auto get = [&](const char* k) {
      auto it = e.doc().FindMember(k);
      return it == e.doc().MemberEnd() ? std::string() : std::string(it->value.GetString());
    };
    client.push_back(get("client_software"));
    server.push_back(get("server_software"));
  }
};

ByteView bytes(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(SshAnalyzer, ProbeAndRegistry) {
  const AnalyzerSpec* spec = find_analyzer("ssh");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->probe(Dir::ToClient, bytes("SSH-2.0-OpenSSH_9.2\r\n")), Confidence::Yes);
  EXPECT_EQ(spec->probe(Dir::ToClient, bytes("SS")), Confidence::Maybe);
  EXPECT_EQ(spec->probe(Dir::ToServer, bytes("GET / HTTP/1.1")), Confidence::No);
}

TEST(SshAnalyzer, BannersSplitAcrossSegmentsWithServerPreamble) {
  FlowInfo flow;
  auto a = kSshAnalyzer.make(AnalyzerContext{&flow});
  Events out;
  // The engine prepends what a NeedMore left unconsumed: emulate it.
  std::string pending;
  auto feed = [&](Dir dir, const std::string& s, std::string& tail) {
    tail += s;
    ParseResult r = a->on_data(dir, bytes(tail), out);
    if (r.kind == ParseResult::NeedMore) {
      tail.erase(0, r.consumed);
    } else {
      tail.clear();
    }
    return r.kind;
  };
  std::string server_tail, client_tail;
  EXPECT_EQ(feed(Dir::ToClient, "Welcome\r\nSSH-2.0-OpenSSH_9.2p1 Deb", server_tail),
            ParseResult::NeedMore);
  EXPECT_EQ(feed(Dir::ToClient, "ian-2\r\n", server_tail), ParseResult::Ok);
  EXPECT_TRUE(out.kinds.empty());
  EXPECT_EQ(feed(Dir::ToServer, "SSH-2.0-PuTTY_Release_0.78\r\n\x00\x00", client_tail),
            ParseResult::Ok);
  ASSERT_EQ(out.kinds.size(), 1u);
  EXPECT_EQ(out.kinds[0], "ssh");
  EXPECT_EQ(out.client[0], "PuTTY_Release_0.78");
  EXPECT_EQ(out.server[0], "OpenSSH_9.2p1");
  a->on_close(out);
  EXPECT_EQ(out.kinds.size(), 1u) << "one event per connection";
}

TEST(SshAnalyzer, GarbageIsAnErrorAndOneSidedBannerReportedAtClose) {
  FlowInfo flow;
  Events out;
  auto a = kSshAnalyzer.make(AnalyzerContext{&flow});
  EXPECT_EQ(a->on_data(Dir::ToServer, bytes("HELLO\r\n"), out).kind, ParseResult::Error);
  auto b = kSshAnalyzer.make(AnalyzerContext{&flow});
  EXPECT_EQ(b->on_data(Dir::ToClient, bytes("SSH-1.99-Cisco-1.25\n"), out).kind, ParseResult::Ok);
  b->on_close(out);
  ASSERT_EQ(out.kinds.size(), 1u);
  EXPECT_EQ(out.server[0], "Cisco-1.25");
  EXPECT_EQ(out.client[0], "");
}

TEST(SshAnalyzer, NotSshOnPort22IsANamedAnomaly) {
  AppLayerConfig config;
  config.weird_events = true;
  std::vector<test::Turn> turns = {{Dir::ToServer, "HELLO\r\n"}};
  auto log = test::play(analyzer_registry(), test::test_flow(22), turns, {}, config);
  ASSERT_EQ(log.kinds, (std::vector<std::string>{"weird"}));
  EXPECT_NE(log.lines[0].find("\"name\":\"ssh.bad_identification\""), std::string::npos);
}

TEST(SshAnalyzer, ThroughTheEngineAtEverySplit) {
  std::vector<test::Turn> turns = {
      {Dir::ToClient, "Welcome\r\nSSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"},
      {Dir::ToServer, "SSH-2.0-PuTTY_Release_0.78\r\n"},
  };
  // Claimed by port 22, and on another port by probing (the greeting is held and replayed).
  for (uint16_t port : {22, 2222}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), turns);
    ASSERT_EQ(log.kinds.size(), 1u) << port;
    EXPECT_NE(log.lines[0].find("\"server_software\":\"OpenSSH_9.2p1\""), std::string::npos);
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "");
    EXPECT_EQ(test::check_interleavings(analyzer_registry(), test::test_flow(port), turns), "");
  }
}

}  // namespace
}  // namespace netsift
