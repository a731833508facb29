// FTP logins through the real engine: control conversations written from RFC 959 (reply
// sequences, multi-line replies), RFC 1635 (anonymous) and RFC 4217 (AUTH TLS), cut at
// every offset, on port 21 and elsewhere (probing).
#include "analyzers/ftp/ftp_analyzer.h"

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

const std::vector<Turn> kSeveralAttempts = {
    {Dir::ToClient, "220-Welcome\r\n220 (vsFTPd 3.0.3)\r\n"},
    {Dir::ToServer, "USER bob\r\n"},
    {Dir::ToClient, "331 Please specify the password.\r\n"},
    {Dir::ToServer, "PASS wrong one\r\n"},
    {Dir::ToClient, "530 Login incorrect.\r\n"},
    {Dir::ToServer, "USER bob\r\n"},
    {Dir::ToClient, "331 Please specify the password.\r\n"},
    {Dir::ToServer, "PASS Secret1\r\n"},
    // Multi-line 230; lines inside may start with any code (RFC 959 4.2).
    {Dir::ToClient, "230-Welcome, bob\r\n530 is not the end\r\n230 Login successful.\r\n"},
    {Dir::ToServer, "SYST\r\nPASV\r\nRETR file\r\n"},
    {Dir::ToClient,
     "215 UNIX Type: L8\r\n227 Entering Passive Mode (127,0,0,1,117,48).\r\n"
     "150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n"},
    // A new login on the same connection after REIN.
    {Dir::ToServer, "REIN\r\n"},
    {Dir::ToClient, "220 Service ready for new user.\r\n"},
    {Dir::ToServer, "USER carol\r\nPASS pipelined\r\n"},
    {Dir::ToClient, "331 Password required\r\n530 Login incorrect.\r\n"},
    {Dir::ToServer, "QUIT\r\n"},
    {Dir::ToClient, "221 Goodbye.\r\n"},
};

TEST(FtpAnalyzer, SeveralAttemptsOnOneConnection) {
  for (uint16_t port : {21, 2121}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), kSeveralAttempts);
    auto auth = events_of(log, "auth");
    ASSERT_EQ(auth.size(), 3u) << port;
    EXPECT_EQ(auth[0].str("service"), "ftp");
    EXPECT_EQ(auth[0].str("user"), "bob");
    EXPECT_EQ(auth[0].str("password"), "wrong one");
    EXPECT_EQ(auth[0].str("mechanism"), "USER");
    EXPECT_EQ(auth[0].str("result"), "failure");
    EXPECT_EQ(auth[0].str("reason"), "530 Login incorrect.");
    EXPECT_EQ(auth[1].str("password"), "Secret1");
    EXPECT_EQ(auth[1].str("result"), "success");
    EXPECT_EQ(auth[1].str("reason"), "230 Welcome, bob");
    EXPECT_EQ(auth[2].str("user"), "carol");
    EXPECT_EQ(auth[2].str("password"), "pipelined");
    EXPECT_EQ(auth[2].str("result"), "failure");
    EXPECT_EQ(log.lines.size(), 3u);
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), kSeveralAttempts),
              "");
  }
}

TEST(FtpAnalyzer, AnonymousRefusedUserAccountAndUnanswered) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "220 ProFTPD Server\r\n"},
      {Dir::ToServer, "USER hello\r\n"},
      {Dir::ToClient, "530 This FTP server is anonymous only.\r\n"},
      {Dir::ToServer, "USER anonymous\r\n"},
      {Dir::ToClient, "331 Anonymous login ok, send your complete email address as password\r\n"},
      {Dir::ToServer, "PASS guest@example.com\r\n"},
      {Dir::ToClient, "230 Anonymous access granted, restrictions apply\r\n"},
      {Dir::ToServer, "USER acct\r\n"},
      {Dir::ToClient, "331 Password required\r\n"},
      {Dir::ToServer, "PASS pw\r\n"},
      {Dir::ToClient, "332 Need account for login.\r\n"},
      {Dir::ToServer, "ACCT billing\r\n"},
      {Dir::ToClient, "230 User logged in.\r\n"},
      {Dir::ToServer, "USER last\r\n"},
      {Dir::ToClient, "331 Password required\r\n"},
      {Dir::ToServer, "PASS never-answered\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(21), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 4u);
  EXPECT_EQ(auth[0].str("user"), "hello");
  EXPECT_FALSE(auth[0].has("password"));
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("user"), "anonymous");
  EXPECT_EQ(auth[1].str("mechanism"), "anonymous");
  EXPECT_EQ(auth[1].str("password"), "guest@example.com");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(auth[2].str("user"), "acct");
  EXPECT_EQ(auth[2].cred("account"), "billing");
  EXPECT_EQ(auth[2].str("result"), "success");
  EXPECT_EQ(auth[3].str("user"), "last");
  EXPECT_EQ(auth[3].str("result"), "unknown");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(21), turns), "");
}

// A client that sends several USER/PASS pairs (and an ACCT) before any reply: each reply
// belongs to the command at the front of the queue, so each attempt has its own outcome.
TEST(FtpAnalyzer, PipelinedAttemptsEachGetTheirOwnReply) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "220 ready\r\n"},
      {Dir::ToServer,
       "USER alice\r\nPASS one\r\nUSER bob\r\nPASS two\r\nUSER carol\r\nPASS three\r\n"
       "ACCT sales\r\nUSER dave\r\nPASS four\r\nPASS five\r\nUSER erin\r\nPASS six\r\n"},
      {Dir::ToClient,
       "331 Password required for alice\r\n530-Login incorrect.\r\n230 is inside\r\n530 End\r\n"
       "331 Password required for bob\r\n230 Logged in.\r\n"
       "331 Password required for carol\r\n332 Need account.\r\n530 Bad account.\r\n"
       // dave: refused at USER; his PASS and the stray PASS are out of sequence.
       "530 No such user.\r\n503 Login with USER first.\r\n503 Login with USER first.\r\n"
       "331 Password required for erin\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(21), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 5u);
  EXPECT_EQ(auth[0].str("user"), "alice");
  EXPECT_EQ(auth[0].str("password"), "one");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[0].str("reason"), "530 Login incorrect.");
  EXPECT_EQ(auth[1].str("user"), "bob");
  EXPECT_EQ(auth[1].str("password"), "two");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(auth[2].str("user"), "carol");
  EXPECT_EQ(auth[2].str("password"), "three");
  EXPECT_EQ(auth[2].cred("account"), "sales");
  EXPECT_EQ(auth[2].str("result"), "failure");
  EXPECT_EQ(auth[2].str("reason"), "530 Bad account.");
  EXPECT_EQ(auth[3].str("user"), "dave");
  EXPECT_EQ(auth[3].str("password"), "four");
  EXPECT_EQ(auth[3].str("result"), "failure");
  EXPECT_EQ(auth[3].str("reason"), "530 No such user.");
  // erin's PASS was never answered: the capture ended first.
  EXPECT_EQ(auth[4].str("user"), "erin");
  EXPECT_EQ(auth[4].str("password"), "six");
  EXPECT_EQ(auth[4].str("result"), "unknown");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(21), turns), "");
}

TEST(FtpAnalyzer, AuthTlsEndsWhatCanBeSeen) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "220 (vsFTPd 3.0.3)\r\n"},
      {Dir::ToServer, "AUTH TLS\r\n"},
      {Dir::ToClient, "234 Proceed with negotiation.\r\n"},
      {Dir::ToServer, std::string("\x16\x03\x01\x02\x00USER x\r\nPASS y\r\n", 21)},
      {Dir::ToClient, "230 not visible really\r\n"},
  };
  for (uint16_t port : {21, 10021}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), turns);
    auto auth = events_of(log, "auth");
    ASSERT_EQ(auth.size(), 1u);
    EXPECT_EQ(auth[0].str("tls"), "true");
    EXPECT_EQ(auth[0].str("result"), "unknown");
    EXPECT_EQ(auth[0].str("user"), "");
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "");
  }
}

TEST(FtpAnalyzer, ProbeWaitsForTheServersAnswerToUser) {
  const AnalyzerSpec* spec = find_analyzer("ftp");
  ASSERT_NE(spec, nullptr);
  test::Prober probe{*spec};
  EXPECT_EQ(probe(Dir::ToClient, "220 (vsFTPd 3.0.3)\r\n"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToClient, "220-a\r\nfree text\r\n220 b\r\n331 Password\r\n"),
            Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToClient, "220 mx ESMTP\r\n250 mx\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToClient, "+OK ready\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToServer, "USER bob\r\n"), Confidence::Maybe) << "POP3 says USER too";
  EXPECT_EQ(probe(Dir::ToServer, "USER bob\r\nPASS x\r\nSYST\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToServer, "AUTH TLS\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToServer, "AUTH PLAIN AGEAYg==\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToServer, "EHLO x\r\n"), Confidence::No);
  // A POP3 conversation on another port goes to POP3, not FTP.
  std::vector<Turn> pop = {{Dir::ToClient, "+OK POP3 ready\r\n"},
                           {Dir::ToServer, "USER bob\r\n"},
                           {Dir::ToClient, "+OK\r\n"},
                           {Dir::ToServer, "PASS x\r\n"},
                           {Dir::ToClient, "-ERR denied\r\n"}};
  auto auth = events_of(test::play(analyzer_registry(), test::test_flow(2110), pop), "auth");
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].str("service"), "pop3");
}

// ---- protocol variants RFC 959 allows -----------------------------------------------------

// Plays `turns` on 21 and on 2121 (claimed by content), every split alike; the logins.
std::vector<test::EventFields> variant_auths(const std::vector<Turn>& turns) {
  for (uint16_t port : {21, 2121})
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "")
        << port;
  auto on_other_port =
      events_of(test::play(analyzer_registry(), test::test_flow(2121), turns), "auth");
  auto auth = events_of(test::play(analyzer_registry(), test::test_flow(21), turns), "auth");
  EXPECT_EQ(on_other_port.size(), auth.size());
  return auth;
}

TEST(FtpVariants, MultiLineBannerWithPlainTextLinesAndUserWithoutPassword) {
  // RFC 959 4.2: the lines between "220-" and "220 " need not start with a code.
  auto auth = variant_auths({
      {Dir::ToClient, "220-Welcome to the archive\r\n  Mirrors: ftp2, ftp3\r\n220 ready\r\n"},
      {Dir::ToServer, "USER guest\r\n"},
      {Dir::ToClient, "230 No password needed, logged in.\r\n"},
      {Dir::ToServer, "PWD\r\n"},
      {Dir::ToClient, "257 \"/\" is the current directory\r\n"},
  });
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].str("user"), "guest");
  EXPECT_FALSE(auth[0].has("password"));
  EXPECT_EQ(auth[0].str("result"), "success");
}

TEST(FtpVariants, AccountAskedAtUserOrAfterPassword) {
  auto auth = variant_auths({
      {Dir::ToClient, "220 ready\r\n"},
      // 331 then 332 then ACCT (RFC 959 5.4 sequence USER, PASS, ACCT).
      {Dir::ToServer, "USER dave\r\n"},
      {Dir::ToClient, "331 Password required\r\n"},
      {Dir::ToServer, "PASS pw-d\r\n"},
      {Dir::ToClient, "332 Need account for login.\r\n"},
      {Dir::ToServer, "ACCT proj7\r\n"},
      {Dir::ToClient, "530 Not logged in: no such account.\r\n"},
      // 332 straight after USER: the account comes before any password.
      {Dir::ToServer, "USER erin\r\n"},
      {Dir::ToClient, "332 Need account for login.\r\n"},
      {Dir::ToServer, "ACCT proj8\r\n"},
      {Dir::ToClient, "230-Logged in\r\n Quota: 1 GB\r\n230 OK\r\n"},
  });
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].str("user"), "dave");
  EXPECT_EQ(auth[0].str("password"), "pw-d");
  EXPECT_EQ(auth[0].cred("account"), "proj7");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("user"), "erin");
  EXPECT_EQ(auth[1].cred("account"), "proj8");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(auth[1].str("reason"), "230 Logged in");
}

TEST(FtpVariants, ReinThenAnotherUser) {
  auto auth = variant_auths({
      {Dir::ToClient, "220 ready\r\n"},
      {Dir::ToServer, "USER anonymous\r\n"},
      {Dir::ToClient, "331 Guest login ok, send your e-mail address as password.\r\n"},
      {Dir::ToServer, "PASS \r\n"},
      {Dir::ToClient, "230 Guest login ok.\r\n"},
      {Dir::ToServer, "REIN\r\n"},
      {Dir::ToClient, "220 Service ready for new user.\r\n"},
      {Dir::ToServer, "USER frank\r\n"},
      {Dir::ToClient, "331 Password required for frank.\r\n"},
      {Dir::ToServer, "PASS f-pw\r\n"},
      {Dir::ToClient, "530-Login incorrect.\r\n530 Try again.\r\n"},
  });
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].str("mechanism"), "anonymous");
  EXPECT_EQ(auth[0].str("password"), "");
  EXPECT_EQ(auth[0].str("result"), "success");
  EXPECT_EQ(auth[1].str("user"), "frank");
  EXPECT_EQ(auth[1].str("result"), "failure");
  EXPECT_EQ(auth[1].str("reason"), "530 Login incorrect.");
}

}  // namespace
}  // namespace netsift
