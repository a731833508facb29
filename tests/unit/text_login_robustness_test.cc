// Bad input to the SMTP, FTP, POP3 and IMAP analyzers: over-long lines are counted by name
// and skipped without losing the next login, servers that do not speak the protocol end
// the analyzer without inventing attempts, and huge declared sizes (BDAT, literals) are
// skipped by count, never buffered.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/registry.h"
#include "event_fields.h"

namespace netsift {
namespace {

using test::events_of;
using test::Turn;

AppLayerConfig with_weird() {
  AppLayerConfig c;
  c.weird_events = true;
  return c;
}

std::vector<std::string> weird_names(const test::EventLog& log) {
  std::vector<std::string> out;
  for (const auto& w : events_of(log, "weird")) out.push_back(w.str("name"));
  return out;
}

TEST(TextLoginRobustness, OverLongLinesAreCountedAndSkipped) {
  const std::string huge(40000, 'x');
  struct Case {
    uint16_t port;
    std::vector<Turn> turns;
    std::string anomaly, user;
  };
  std::vector<Case> cases = {
      {25,
       {{Dir::ToClient, "220 mx ESMTP\r\n"},
        {Dir::ToServer, "EHLO " + huge + "\r\nAUTH PLAIN AHUxAHAx\r\n"},
        {Dir::ToClient, "250 mx\r\n235 ok\r\n"}},
       "smtp.line_too_long",
       "u1"},
      {21,
       {{Dir::ToClient, "220 ftp\r\n"},
        {Dir::ToServer, "SITE " + huge + "\r\nUSER u2\r\nPASS p\r\n"},
        {Dir::ToClient, "500 what\r\n331 pw\r\n230 ok\r\n"}},
       "ftp.line_too_long",
       "u2"},
      {110,
       {{Dir::ToClient, "+OK ready\r\n"},
        {Dir::ToServer, "NOOP " + huge + "\r\nUSER u3\r\nPASS p\r\n"},
        {Dir::ToClient, "-ERR what\r\n+OK\r\n+OK\r\n"}},
       "pop3.line_too_long",
       "u3"},
      {143,
       {{Dir::ToClient, "* OK ready\r\n"},
        {Dir::ToServer, "a0 NOOP " + huge + "\r\na1 LOGIN u4 p\r\n"},
        {Dir::ToClient, "a1 OK done\r\n"}},
       "imap.line_too_long",
       "u4"},
  };
  for (const auto& c : cases) {
    auto log = test::play(analyzer_registry(), test::test_flow(c.port), c.turns, {}, with_weird());
    auto names = weird_names(log);
    ASSERT_EQ(names.size(), 1u) << c.anomaly;
    EXPECT_EQ(names[0], c.anomaly);
    auto auth = events_of(log, "auth");
    ASSERT_EQ(auth.size(), 1u) << c.anomaly;
    EXPECT_EQ(auth[0].str("user"), c.user);
    EXPECT_EQ(auth[0].str("result"), "success");
  }
}

TEST(TextLoginRobustness, ServersThatDoNotSpeakTheProtocolInventNothing) {
  std::string junk;
  for (int i = 0; i < 20; ++i) junk += "HTTP/1.1 200 OK garbage line\r\n";
  for (uint16_t port : {25, 21, 110, 143}) {
    std::vector<Turn> turns = {
        {Dir::ToServer, "USER a\r\nPASS b\r\nAUTH PLAIN AGEAYg==\r\nx LOGIN a b\r\n"},
        {Dir::ToClient, junk},
    };
    auto log = test::play(analyzer_registry(), test::test_flow(port), turns, {}, with_weird());
    for (const auto& a : events_of(log, "auth")) {
      EXPECT_EQ(a.str("result"), "unknown") << port << ": only unanswered attempts, if any";
    }
    EXPECT_FALSE(weird_names(log).empty()) << port;
  }
}

TEST(TextLoginRobustness, HugeDeclaredSizesAreSkippedByCount) {
  // A 3 MB BDAT chunk and a 3 MB IMAP literal pass through a 64 KiB tail limit.
  std::string chunk(3 << 20, 'A');
  std::vector<Turn> smtp = {
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT " +
                          std::to_string(chunk.size()) + " LAST\r\n" + chunk +
                          "AUTH PLAIN AHUAcA==\r\n"},
      {Dir::ToClient, "250 mx\r\n250 ok\r\n250 ok\r\n250 queued\r\n535 no\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(25), smtp);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(events_of(log, "smtp")[0].str("messages"), "1");

  std::vector<Turn> imap = {
      {Dir::ToClient, "* OK ready\r\n"},
      {Dir::ToServer, "a1 APPEND INBOX {" + std::to_string(chunk.size()) + "+}\r\n" + chunk +
                          "\r\na2 LOGIN u p\r\n"},
      {Dir::ToClient, "* 1 FETCH (BODY[] {" + std::to_string(chunk.size()) + "}\r\n" + chunk +
                          ")\r\na1 OK\r\na2 NO bad\r\n"},
  };
  log = test::play(analyzer_registry(), test::test_flow(143), imap);
  auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].str("user"), "u");
  EXPECT_EQ(auth[0].str("result"), "failure");
}

}  // namespace
}  // namespace netsift
