// POP3 logins through the real engine: conversations written from RFC 1939 (USER/PASS,
// APOP with its own example), RFC 2449 (CAPA), RFC 5034 (AUTH) and RFC 2595 (STLS), cut
// at every offset, on port 110 and elsewhere (probing).
#include "analyzers/pop3/pop3_analyzer.h"

#include <gtest/gtest.h>
#include <nettle/md5.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/registry.h"
#include "event_fields.h"

namespace netsift {
namespace {

using test::b64;
using test::events_of;
using test::Turn;

std::string md5_hex(std::string_view s) {
  md5_ctx ctx;
  md5_init(&ctx);
  md5_update(&ctx, s.size(), reinterpret_cast<const uint8_t*>(s.data()));
  uint8_t d[MD5_DIGEST_SIZE];
  md5_digest(&ctx, sizeof d, d);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) out += {kHex[b >> 4], kHex[b & 15]};
  return out;
}

const std::string kChallenge = "<1896.697170952@dbc.mtview.ca.us>";

const std::vector<Turn> kSession = {
    {Dir::ToClient, "+OK POP3 server ready " + kChallenge + "\r\n"},
    {Dir::ToServer, "CAPA\r\n"},
    {Dir::ToClient, "+OK Capability list follows\r\nUSER\r\nSASL PLAIN LOGIN\r\nSTLS\r\n.\r\n"},
    {Dir::ToServer, "USER mrose\r\n"},
    {Dir::ToClient, "+OK\r\n"},
    {Dir::ToServer, "PASS wrong\r\n"},
    {Dir::ToClient, "-ERR [AUTH] Authentication failed.\r\n"},
    // RFC 1939's APOP example: the digest is MD5(challenge "tanstaaf").
    {Dir::ToServer, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"},
    {Dir::ToClient, "+OK maildrop has 1 message (369 octets)\r\n"},
    // A message whose lines look like answers and commands; dot-stuffed ".".
    {Dir::ToServer, "RETR 1\r\n"},
    {Dir::ToClient, "+OK 369 octets\r\n-ERR not an answer\r\n+OK nor this\r\n..\r\n.\r\n"},
    {Dir::ToServer, "QUIT\r\n"},
    {Dir::ToClient, "+OK dewey POP3 server signing off\r\n"},
};

TEST(Pop3Analyzer, UserPassApopAndMultiLineAnswers) {
  ASSERT_EQ(md5_hex(kChallenge + "tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
  for (uint16_t port : {110, 1100}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), kSession);
    auto auth = events_of(log, "auth");
    ASSERT_EQ(auth.size(), 2u) << port;
    EXPECT_EQ(auth[0].str("service"), "pop3");
    EXPECT_EQ(auth[0].str("mechanism"), "USER");
    EXPECT_EQ(auth[0].str("user"), "mrose");
    EXPECT_EQ(auth[0].str("password"), "wrong");
    EXPECT_EQ(auth[0].str("result"), "failure");
    EXPECT_EQ(auth[0].str("reason"), "-ERR [AUTH] Authentication failed.");
    EXPECT_EQ(auth[1].str("mechanism"), "APOP");
    EXPECT_EQ(auth[1].str("user"), "mrose");
    EXPECT_FALSE(auth[1].has("password"));
    EXPECT_EQ(auth[1].cred("challenge"), kChallenge);
    EXPECT_EQ(auth[1].cred("digest"), "c4c9334bac560ecc979e58001b3e22fb");
    EXPECT_EQ(auth[1].str("hash"), "c4c9334bac560ecc979e58001b3e22fb:" + kChallenge);
    EXPECT_EQ(auth[1].str("hash_mode"), "20");
    EXPECT_EQ(auth[1].str("result"), "success");
    EXPECT_EQ(log.lines.size(), 2u);
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), kSession), "");
  }
}

TEST(Pop3Analyzer, SaslAuthAndStls) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "+OK Dovecot ready.\r\n"},
      {Dir::ToServer, "AUTH PLAIN\r\n"},
      {Dir::ToClient, "+ \r\n"},
      {Dir::ToServer, b64(std::string("\0alice\0pw1", 10)) + "\r\n"},
      {Dir::ToClient, "-ERR [AUTH] Authentication failed.\r\n"},
      {Dir::ToServer, "AUTH LOGIN " + b64("alice") + "\r\n"},
      {Dir::ToClient, "+ UGFzc3dvcmQ6\r\n"},
      {Dir::ToServer, b64("pw2") + "\r\n"},
      {Dir::ToClient, "+OK Logged in.\r\n"},
      {Dir::ToServer, "LIST\r\n"},
      {Dir::ToClient, "+OK 1 messages:\r\n1 369\r\n.\r\n"},
      {Dir::ToServer, "QUIT\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(110), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].str("mechanism"), "PLAIN");
  EXPECT_EQ(auth[0].str("user"), "alice");
  EXPECT_EQ(auth[0].str("password"), "pw1");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("mechanism"), "LOGIN");
  EXPECT_EQ(auth[1].str("user"), "alice");
  EXPECT_EQ(auth[1].str("password"), "pw2");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(110), turns), "");

  std::vector<Turn> stls = {
      {Dir::ToClient, "+OK ready\r\n"},
      {Dir::ToServer, "STLS\r\n"},
      {Dir::ToClient, "+OK Begin TLS negotiation now.\r\n"},
      {Dir::ToServer, std::string("\x16\x03\x01\x00\x10USER a\r\nPASS b\r\n", 21)},
      {Dir::ToClient, "+OK\r\n"},
  };
  for (uint16_t port : {110, 8110}) {
    auth = events_of(test::play(analyzer_registry(), test::test_flow(port), stls), "auth");
    ASSERT_EQ(auth.size(), 1u) << port;
    EXPECT_EQ(auth[0].str("tls"), "true");
    EXPECT_EQ(auth[0].str("result"), "unknown");
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), stls), "");
  }
}

// RFC 2449 PIPELINING: USER/PASS pairs, APOP and AUTH with initial responses sent before
// any answer; each answer belongs to the oldest command still waiting.
TEST(Pop3Analyzer, PipelinedAttemptsEachGetTheirOwnAnswer) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "+OK POP3 server ready " + kChallenge + "\r\n"},
      {Dir::ToServer,
       "USER alice\r\nPASS one\r\nUSER bob\r\nPASS two\r\n"
       "AUTH PLAIN " +
           b64(std::string("\0carol\0three", 12)) +
           "\r\n"
           "AUTH PLAIN " +
           b64(std::string("\0dave\0four", 10)) +
           "\r\n"
           "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nUSER erin\r\nPASS five\r\n"},
      {Dir::ToClient,
       "+OK\r\n-ERR [AUTH] Authentication failed.\r\n+OK\r\n+OK Logged in.\r\n"
       "-ERR [AUTH] no\r\n+OK Logged in.\r\n-ERR [IN-USE] locked\r\n+OK\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(110), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 6u);
  EXPECT_EQ(auth[0].str("user"), "alice");
  EXPECT_EQ(auth[0].str("password"), "one");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("user"), "bob");
  EXPECT_EQ(auth[1].str("password"), "two");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(auth[2].str("mechanism"), "PLAIN");
  EXPECT_EQ(auth[2].str("user"), "carol");
  EXPECT_EQ(auth[2].str("password"), "three");
  EXPECT_EQ(auth[2].str("result"), "failure");
  EXPECT_EQ(auth[3].str("user"), "dave");
  EXPECT_EQ(auth[3].str("password"), "four");
  EXPECT_EQ(auth[3].str("result"), "success");
  EXPECT_EQ(auth[4].str("mechanism"), "APOP");
  EXPECT_EQ(auth[4].str("user"), "mrose");
  EXPECT_EQ(auth[4].str("result"), "failure");
  EXPECT_EQ(auth[4].str("reason"), "-ERR [IN-USE] locked");
  EXPECT_EQ(auth[5].str("user"), "erin");
  EXPECT_EQ(auth[5].str("password"), "five");
  EXPECT_EQ(auth[5].str("result"), "unknown");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(110), turns), "");
}

TEST(Pop3Analyzer, Probe) {
  const AnalyzerSpec* spec = find_analyzer("pop3");
  ASSERT_NE(spec, nullptr);
  test::Prober probe{*spec};
  EXPECT_EQ(probe(Dir::ToClient, "+OK POP3 ready\r\n"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToClient, "+OK POP3 ready\r\n-ERR no\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToClient, "+OK\r\n"), Confidence::No) << "a Redis reply";
  EXPECT_EQ(probe(Dir::ToServer, "CAPA\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToServer, "USER x\r\n"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToServer, "EHLO x\r\n"), Confidence::No);
  // Redis on another port: an inline AUTH answered "+OK" is no POP3 login.
  std::vector<Turn> redis = {{Dir::ToServer, "AUTH secret\r\n"},
                             {Dir::ToClient, "+OK\r\n"},
                             {Dir::ToServer, "GET k\r\n"},
                             {Dir::ToClient, "$-1\r\n"}};
  for (const auto& a :
       events_of(test::play(analyzer_registry(), test::test_flow(7000), redis), "auth")) {
    EXPECT_NE(a.str("service"), "pop3");
  }
}

}  // namespace
}  // namespace netsift
