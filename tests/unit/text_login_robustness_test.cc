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

std::string dump(const test::EventLog& log) {
  std::string all;
  for (const auto& l : log.lines) all += l + "\n";
  return all;
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

// A capture cut by its snap length (tcpdump -s 96 keeps ~30 bytes of a segment on a
// TCP connection with timestamps): every longer line loses its end in a hole. The reply
// the hole cut still answers its command by its code, a command cut keeps its verb (its
// cut password is not reported), and no outcome lands on the wrong attempt.
TEST(TextLoginRobustness, LinesCutBySnapLength) {
  std::vector<Turn> ftp = {
      {Dir::ToClient, "220 (vsFTPd 3.0.3)\r\n"},
      {Dir::ToServer, "USER alice\r\n"},
      {Dir::ToClient, "331 Please specify the passw", 7},
      {Dir::ToServer, "PASS wrong\r\n"},
      {Dir::ToClient, "530 Login incorrect.\r\n"},
      {Dir::ToServer, "USER alice\r\n"},
      {Dir::ToClient, "331 Please specify the passw", 7},
      {Dir::ToServer, "PASS a-rather-long-passwo", 9},
      {Dir::ToClient, "230 Login successful.\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(21), ftp);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 2u) << dump(log);
  EXPECT_EQ(auth[0].str("user"), "alice");
  EXPECT_EQ(auth[0].str("password"), "wrong");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("user"), "alice");
  EXPECT_EQ(auth[1].str("password"), "<absent>");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(21), ftp), "");

  std::vector<Turn> smtp = {
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-mx\r\n250-PIPELINING\r\n250 AU", 12},
      {Dir::ToServer, "AUTH LOGIN\r\n"},
      {Dir::ToClient, "334 VXNlcm5hbWU6\r\n"},
      {Dir::ToServer, "YWxpY2VAZXhhbXBsZS5vcmc=\r\n"},  // alice@example.org
      {Dir::ToClient, "334 UGFzc3dvcmQ6\r\n"},
      {Dir::ToServer, "d3Jvbmc=\r\n"},  // wrong
      {Dir::ToClient, "535 5.7.8 Authentication cred", 18},
      {Dir::ToServer, "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHMzY3Jl", 8},
      {Dir::ToClient, "235 2.7.0 Authentication succ", 10},
      {Dir::ToServer, "MAIL FROM:<alice@example.org>\r\n"},
      {Dir::ToClient, "250 2.1.0 Ok\r\n"},
      {Dir::ToServer, "RCPT TO:<bob@example.org>\r\n"},
      {Dir::ToClient, "250 2.1.5 Ok\r\n"},
      {Dir::ToServer, "DATA\r\n"},
      {Dir::ToClient, "354 End data with <CR><LF>.<CR", 10},
      {Dir::ToServer, "Subject: hi\r\n\r\nA line of the bo", 300},  // the "." was in the hole
      {Dir::ToClient, "250 2.0.0 Ok: queued as 4F2A\r\n"},
      {Dir::ToServer, "QUIT\r\n"},
      {Dir::ToClient, "221 2.0.0 Bye\r\n"},
  };
  log = test::play(analyzer_registry(), test::test_flow(587), smtp);
  auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 2u) << dump(log);
  EXPECT_EQ(auth[0].str("user"), "alice@example.org");
  EXPECT_EQ(auth[0].str("password"), "wrong");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("mechanism"), "PLAIN");
  EXPECT_EQ(auth[1].str("password"), "<absent>");
  EXPECT_EQ(auth[1].str("result"), "success");
  auto session = events_of(log, "smtp");
  ASSERT_EQ(session.size(), 1u);
  EXPECT_EQ(session[0].str("messages"), "1");
  EXPECT_EQ(session[0].str("rcpt_to_count"), "1");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(587), smtp), "");

  std::vector<Turn> pop3 = {
      {Dir::ToClient, "+OK Dovecot ready.\r\n"},
      {Dir::ToServer, "USER carol\r\n"},
      {Dir::ToClient, "+OK\r\n"},
      {Dir::ToServer, "PASS bad-pass\r\n"},
      {Dir::ToClient, "-ERR [AUTH] Authentication fa", 10},
      {Dir::ToServer, "USER carol\r\n"},
      {Dir::ToClient, "+OK\r\n"},
      {Dir::ToServer, "PASS good-pass\r\n"},
      {Dir::ToClient, "+OK Logged in.\r\n"},
      {Dir::ToServer, "RETR 1\r\n"},
      {Dir::ToClient, "+OK 512 octets\r\nReceived: from x by y; Mon", 480},  // "." lost
      {Dir::ToServer, "QUIT\r\n"},
      {Dir::ToClient, "+OK Logging out.\r\n"},
  };
  log = test::play(analyzer_registry(), test::test_flow(110), pop3);
  auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 2u) << dump(log);
  EXPECT_EQ(auth[0].str("password"), "bad-pass");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("password"), "good-pass");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(110), pop3), "");

  std::vector<Turn> imap = {
      {Dir::ToClient, "* OK [CAPABILITY IMAP4rev1 SAS", 120},
      {Dir::ToServer, "a1 LOGIN carol \"bad-pass\"\r\n"},
      {Dir::ToClient, "a1 NO [AUTHENTICATIONFAILED] Au", 30},
      {Dir::ToServer, "a2 LOGIN carol \"a-much-longer-pa", 12},
      {Dir::ToClient, "* CAPABILITY IMAP4rev1 SASL-IR", 200},
      {Dir::ToClient, "a2 OK [CAPABILITY IMAP4rev1 SA", 180},
      {Dir::ToServer, "a3 AUTHENTICATE PLAIN AGNhcm9s", 20},
      {Dir::ToClient, "a3 NO [ALREADYAUTHENTICATED] x", 9},
      {Dir::ToServer, "a4 LOGOUT\r\n"},
      {Dir::ToClient, "* BYE Logging out\r\na4 OK Logout completed.\r\n"},
  };
  log = test::play(analyzer_registry(), test::test_flow(143), imap);
  auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 3u) << dump(log);
  EXPECT_EQ(auth[0].str("user"), "carol");
  EXPECT_EQ(auth[0].str("password"), "bad-pass");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("user"), "carol");
  EXPECT_EQ(auth[1].str("password"), "<absent>");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(auth[2].str("mechanism"), "PLAIN");
  EXPECT_EQ(auth[2].str("user"), "");  // in the cut initial response
  EXPECT_EQ(auth[2].str("result"), "failure");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(143), imap), "");
}

// Replies lost whole in a hole (at a line boundary): the command that waited for one is
// not given the next command's reply; a password whose answer was lost is unknown.
TEST(TextLoginRobustness, RepliesLostWholeInAHole) {
  std::vector<Turn> ftp = {
      {Dir::ToClient, "220 ready\r\n"},
      {Dir::ToServer, "USER dave\r\n"},
      {Dir::ToClient, "331 Password required\r\n"},
      {Dir::ToServer, "PASS first\r\n"},
      {Dir::ToClient, "", 22},  // "530 Login incorrect.\r\n", lost
      {Dir::ToServer, "USER dave\r\n"},
      {Dir::ToClient, "331 Password required\r\n"},
      {Dir::ToServer, "PASS second\r\n"},
      {Dir::ToClient, "230 Login successful.\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(21), ftp);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 2u) << dump(log);
  EXPECT_EQ(auth[0].str("password"), "first");
  EXPECT_EQ(auth[0].str("result"), "unknown");
  EXPECT_EQ(auth[1].str("password"), "second");
  EXPECT_EQ(auth[1].str("result"), "success");

  std::vector<Turn> smtp = {
      {Dir::ToClient, "220 mx\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250 mx\r\n"},
      {Dir::ToServer, "AUTH PLAIN AGRhdmUAZmlyc3Q=\r\n"},  // dave / first
      {Dir::ToClient, "", 46},
      {Dir::ToServer, "AUTH PLAIN AGRhdmUAc2Vjb25k\r\n"},  // dave / second
      {Dir::ToClient, "235 2.7.0 Authentication successful\r\n"},
  };
  log = test::play(analyzer_registry(), test::test_flow(25), smtp);
  auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 2u) << dump(log);
  EXPECT_EQ(auth[0].str("password"), "first");
  EXPECT_EQ(auth[0].str("result"), "unknown");
  EXPECT_EQ(auth[1].str("password"), "second");
  EXPECT_EQ(auth[1].str("result"), "success");
}

}  // namespace
}  // namespace netsift
