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

// A capture begun after the greeting, on a port with no analyzer: the 331 asking for the
// password (FTP's alone) names FTP, and each login is reported; before, no analyzer
// claimed these connections and their cleartext passwords went unreported.
TEST(FtpAnalyzer, CaptureBegunAfterTheGreeting) {
  const AnalyzerSpec* spec = find_analyzer("ftp");
  ASSERT_NE(spec, nullptr);
  test::Prober probe{*spec};
  EXPECT_EQ(probe(Dir::ToClient, "331 Please specify the password.\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToClient, "332 Need account\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToClient, "33"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToClient, "230 Login successful.\r\n"), Confidence::No);
  const std::vector<Turn> turns = {
      {Dir::ToServer, "USER bob\r\n"},    {Dir::ToClient, "331 Please specify the password.\r\n"},
      {Dir::ToServer, "PASS wrong\r\n"},  {Dir::ToClient, "530 Login incorrect.\r\n"},
      {Dir::ToServer, "USER bob\r\n"},    {Dir::ToClient, "331 Please specify the password.\r\n"},
      {Dir::ToServer, "PASS Ftp-pw\r\n"}, {Dir::ToClient, "230 Login successful.\r\n"},
  };
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(2123), turns), "");
  auto auth = events_of(test::play(analyzer_registry(), test::test_flow(2123), turns), "auth");
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].str("service"), "ftp");
  EXPECT_EQ(auth[0].str("user"), "bob");
  EXPECT_EQ(auth[0].str("password"), "wrong");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("password"), "Ftp-pw");
  EXPECT_EQ(auth[1].str("result"), "success");
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

TEST(FtpVariants, HostBeforeUserOnAnyPort) {
  // RFC 7151: HOST names the virtual host before USER; its reply is a 220. Claimed by
  // the client's first line however the segment cuts it.
  auto auth = variant_auths({
      {Dir::ToClient, "220 FTP server ready\r\n"},
      {Dir::ToServer, "HOST ftp.example.org\r\n"},
      {Dir::ToClient, "220 Host accepted\r\n"},
      {Dir::ToServer, "USER vhostuser\r\n"},
      {Dir::ToClient, "331 Password required\r\n"},
      {Dir::ToServer, "PASS vh-pw\r\n"},
      {Dir::ToClient, "230 Logged in\r\n"},
  });
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].str("user"), "vhostuser");
  EXPECT_EQ(auth[0].str("password"), "vh-pw");
  EXPECT_EQ(auth[0].str("result"), "success");
}

}  // namespace
}  // namespace netsift

namespace netsift {
namespace {

// ---- data connections: PASV/EPSV replies and PORT/EPRT commands announce the next flow
// between those endpoints, which the engine labels `ftp-data` (RFC 959, RFC 2428).

struct Flow {
  FlowInfo info;
  AppFlow state;
};

class FtpDataTest : public ::testing::Test {
 protected:
  FtpDataTest() : engine_(analyzer_registry(), config(), log_, budget_) {}
  static AppLayerConfig config() {
    AppLayerConfig c;
    c.expect_timeout = TimestampNs(60) * 1'000'000'000;
    c.max_expected = 4;
    return c;
  }
  // Control connection 192.0.2.1:40000 -> 192.0.2.2:21 (on `port`), the given turns.
  void control(const std::vector<test::Turn>& turns, uint16_t port = 21) {
    control_.info = test::test_flow(port);
    control_.info.now = now_;
    engine_.start(control_.state, control_.info, Transport::Tcp);
    for (const auto& t : turns) {
      control_.info.now = now_ += 1000;
      engine_.data(control_.state, t.dir, as_bytes(t.bytes));
    }
  }
  // The app a new TCP flow from client:cport to server:sport gets, `after` ns later.
  std::string app_of(const char* client, uint16_t cport, const char* server, uint16_t sport,
                     TimestampNs after = 1000) {
    auto f = std::make_unique<Flow>();
    parse_address(client, f->info.client_ip);
    parse_address(server, f->info.server_ip);
    f->info.client_port = cport;
    f->info.server_port = sport;
    f->info.proto = 6;
    f->info.now = now_ += after;
    engine_.start(f->state, f->info, Transport::Tcp);
    engine_.data(f->state, Dir::ToClient,
                 as_bytes(std::string_view("-rw-r--r-- 1 ftp ftp 5 x\r\n")));
    std::string name = f->state.spec() ? std::string(f->state.spec()->name) : "<none>";
    engine_.close(f->state);
    return name;
  }
  void TearDown() override { engine_.close(control_.state); }

  test::EventLog log_;
  BufferBudget budget_;
  AppLayer engine_;
  Flow control_;
  TimestampNs now_ = TimestampNs(1'700'000'000) * 1'000'000'000;
};

const std::string kLogin =
    "220 (vsFTPd 3.0.3)\r\n331 Please specify the password.\r\n230 Login successful.\r\n";

TEST_F(FtpDataTest, PassiveModesAnnounceTheClientsNextConnection) {
  control({{Dir::ToClient, "220 (vsFTPd 3.0.3)\r\n"},
           {Dir::ToServer, "USER bob\r\nPASS pw\r\n"},
           {Dir::ToClient, "331 Password.\r\n230 Login successful.\r\n"},
           {Dir::ToServer, "PASV\r\n"},
           {Dir::ToClient, "227 Entering Passive Mode (192,0,2,2,117,48).\r\n"},
           {Dir::ToServer, "EPSV\r\n"},
           {Dir::ToClient, "229 Entering Extended Passive Mode (|||40001|)\r\n"}});
  // Another client, or another port, is no data connection of this one.
  EXPECT_EQ(app_of("192.0.2.9", 50000, "192.0.2.2", 30000), "<none>");
  EXPECT_EQ(app_of("192.0.2.1", 50000, "192.0.2.2", 30001), "<none>");
  EXPECT_EQ(app_of("192.0.2.1", 50001, "192.0.2.2", 30000), "ftp-data");  // 117*256+48
  EXPECT_EQ(app_of("192.0.2.1", 50002, "192.0.2.2", 40001), "ftp-data");
  // Each announcement is taken once.
  EXPECT_EQ(app_of("192.0.2.1", 50003, "192.0.2.2", 30000), "<none>");
  EXPECT_EQ(engine_.stats().expected, 2u);
  EXPECT_EQ(engine_.stats().expected_seen, 2u);
}

TEST_F(FtpDataTest, ActiveModesAnnounceTheServersConnection) {
  control({{Dir::ToServer, "PORT 192,0,2,1,200,10\r\n"},
           {Dir::ToClient, "200 PORT command successful.\r\n"},
           {Dir::ToServer, "EPRT |2|2001:db8::1|5282|\r\n"},
           {Dir::ToClient, "200 EPRT command successful.\r\n"},
           {Dir::ToServer, "PORT 192,0,2,1,200,11\r\n"},
           {Dir::ToClient, "500 Illegal PORT command.\r\n"}},
          2121);
  EXPECT_EQ(app_of("192.0.2.2", 20, "192.0.2.1", 51210), "ftp-data");
  // A data connection to another host (FTP bounce, or here another address family) is
  // not taken for ftp-data: it is analysed as what it carries.
  EXPECT_EQ(app_of("192.0.2.2", 20, "2001:db8::1", 5282), "<none>");
  EXPECT_EQ(app_of("192.0.2.2", 20, "192.0.2.1", 51211), "<none>");  // refused
}

TEST_F(FtpDataTest, OnlyTheControlServerAndATimeout) {
  // Behind NAT the 227 address is the server's private one; curl connects to the control
  // connection's server instead, which is what is expected (only the port is read).
  // Expectations expire.
  control({{Dir::ToServer, "PASV\r\n"},
           {Dir::ToClient, "227 Entering Passive Mode (10,1,2,3,4,1)\r\n"},
           {Dir::ToServer, "PASV\r\n"},
           {Dir::ToClient, "227 =10,1,2,3,4,2\r\n"},
           {Dir::ToServer, "PASV\r\n"},
           {Dir::ToClient, "227 Entering Passive Mode (10,1,2,3,4,3)\r\n"}});
  EXPECT_EQ(app_of("192.0.2.1", 50000, "10.1.2.3", 1025), "<none>");
  EXPECT_EQ(app_of("192.0.2.1", 50000, "192.0.2.2", 1025), "ftp-data");
  EXPECT_EQ(app_of("192.0.2.1", 50001, "192.0.2.2", 1026), "ftp-data");
  EXPECT_EQ(app_of("192.0.2.1", 50002, "192.0.2.2", 1027, TimestampNs(61) * 1'000'000'000),
            "<none>");
}

TEST_F(FtpDataTest, BoundedAndMalformedAnnouncementsIgnored) {
  std::vector<test::Turn> turns;
  for (int i = 0; i < 6; ++i) {
    turns.push_back({Dir::ToServer, "PASV\r\n"});
    turns.push_back({Dir::ToClient,
                     "227 Entering Passive Mode (192,0,2,2,1," + std::to_string(i + 1) + ")\r\n"});
  }
  for (std::string bad : {"227 Entering Passive Mode (192,0,2,2,0,0)\r\n",
                          "227 Entering Passive Mode (300,0,2,2,1,1)\r\n",
                          "227 Entering Passive Mode (192,0,2)\r\n"}) {
    turns.push_back({Dir::ToServer, "PASV\r\n"});
    turns.push_back({Dir::ToClient, bad});
  }
  turns.push_back({Dir::ToServer, "EPSV\r\nEPRT |3|x|1|\r\nPORT 1,2,3\r\n"});
  turns.push_back({Dir::ToClient,
                   "229 Entering Extended Passive Mode (|x|99999|)\r\n"
                   "200 ok\r\n200 ok\r\n"});
  control(turns);
  EXPECT_EQ(engine_.stats().expected, 6u);
  EXPECT_EQ(engine_.stats().expected_dropped, 2u);  // the cap is 4: the oldest two forgotten
  EXPECT_EQ(app_of("192.0.2.1", 50000, "192.0.2.2", 257), "<none>");
  EXPECT_EQ(app_of("192.0.2.1", 50000, "192.0.2.2", 262), "ftp-data");
  EXPECT_TRUE(test::events_of(log_, "weird").empty());
}

}  // namespace
}  // namespace netsift
