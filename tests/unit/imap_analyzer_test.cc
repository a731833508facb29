// IMAP logins through the real engine: conversations written from RFC 3501 / 9051
// (LOGIN with atoms, quoted strings and literals, AUTHENTICATE, STARTTLS, literals in
// responses), RFC 4959 (SASL-IR) and RFC 7888 (LITERAL+), cut at every offset, on port
// 143 and elsewhere (probing).
#include "analyzers/imap/imap_analyzer.h"

#include <gtest/gtest.h>

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

const std::vector<Turn> kSession = {
    {Dir::ToClient, "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN] ready\r\n"},
    {Dir::ToServer, "a001 LOGIN SMITH SESAME\r\n"},
    {Dir::ToClient, "a001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"},
    // A quoted string with escapes, then a synchronising literal for the password.
    {Dir::ToServer, "a002 LOGIN \"smith \\\"jr\\\"\" {10}\r\n"},
    {Dir::ToClient, "+ Ready for literal data\r\n"},
    {Dir::ToServer, "se{2}\r\name\r\n"},
    {Dir::ToClient, "a002 OK [CAPABILITY IMAP4rev1] Logged in\r\n"},
    // Message data in a literal holds lines that look like tagged answers.
    {Dir::ToServer, "a003 FETCH 1 BODY[]\r\n"},
    {Dir::ToClient,
     "* 1 FETCH (BODY[] {26}\r\na004 OK fake\r\na005 NO x\r\n)\r\n"
     "a003 OK Fetch completed.\r\n"},
    // LITERAL+ (no continuation) and a literal that carries an over-long value.
    {Dir::ToServer, "a004 LOGIN {3+}\r\nbob {4+}\r\npass\r\n"},
    {Dir::ToClient, "a004 BAD Already logged in.\r\n"},
    {Dir::ToServer, "a005 LOGOUT\r\n"},
    {Dir::ToClient, "* BYE\r\na005 OK Logout completed.\r\n"},
};

TEST(ImapAnalyzer, LoginAtomsQuotedLiteralsAndLiteralsInResponses) {
  for (uint16_t port : {143, 1143}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), kSession);
    auto auth = events_of(log, "auth");
    ASSERT_EQ(auth.size(), 3u) << port;
    EXPECT_EQ(auth[0].str("service"), "imap");
    EXPECT_EQ(auth[0].str("mechanism"), "LOGIN");
    EXPECT_EQ(auth[0].str("user"), "SMITH");
    EXPECT_EQ(auth[0].str("password"), "SESAME");
    EXPECT_EQ(auth[0].str("result"), "failure");
    EXPECT_EQ(auth[0].str("reason"), "NO [AUTHENTICATIONFAILED] Authentication failed.");
    EXPECT_EQ(auth[1].str("user"), "smith \"jr\"");
    // Control characters in a value are written \\xNN-style escapes (docs/events.md).
    EXPECT_EQ(auth[1].str("password"), "se{2}\\r\\name");
    EXPECT_EQ(auth[1].str("result"), "success");
    EXPECT_EQ(auth[2].str("user"), "bob");
    EXPECT_EQ(auth[2].str("password"), "pass");
    EXPECT_EQ(auth[2].str("result"), "failure");
    EXPECT_EQ(log.lines.size(), 3u);
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), kSession), "");
  }
}

TEST(ImapAnalyzer, AuthenticateWithAndWithoutInitialResponseAndStartTls) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "* OK Dovecot ready.\r\n"},
      {Dir::ToServer, "A1 AUTHENTICATE PLAIN\r\n"},
      {Dir::ToClient, "+ \r\n"},
      {Dir::ToServer, b64(std::string("\0alice\0pw1", 10)) + "\r\n"},
      {Dir::ToClient, "A1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"},
      {Dir::ToServer, "A2 AUTHENTICATE PLAIN " + b64(std::string("\0alice\0pw2", 10)) + "\r\n"},
      {Dir::ToClient, "A2 OK Logged in\r\n"},
      {Dir::ToServer, "A3 AUTHENTICATE LOGIN\r\n"},
      {Dir::ToClient, "+ VXNlcm5hbWU6\r\n"},
      {Dir::ToServer, b64("carol") + "\r\n"},
      {Dir::ToClient, "+ UGFzc3dvcmQ6\r\n"},
      {Dir::ToServer, b64("pw3") + "\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(143), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 3u);
  EXPECT_EQ(auth[0].str("mechanism"), "PLAIN");
  EXPECT_EQ(auth[0].str("password"), "pw1");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("password"), "pw2");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(auth[2].str("mechanism"), "LOGIN");
  EXPECT_EQ(auth[2].str("user"), "carol");
  EXPECT_EQ(auth[2].str("password"), "pw3");
  EXPECT_EQ(auth[2].str("result"), "unknown") << "the capture ends before the answer";
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(143), turns), "");

  std::vector<Turn> tls = {
      {Dir::ToClient, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"},
      {Dir::ToServer, "x STARTTLS\r\n"},
      {Dir::ToClient, "x OK Begin TLS negotiation now.\r\n"},
      {Dir::ToServer, std::string("\x16\x03\x01\x00\x10y LOGIN a b\r\n", 19)},
  };
  for (uint16_t port : {143, 2143}) {
    auth = events_of(test::play(analyzer_registry(), test::test_flow(port), tls), "auth");
    ASSERT_EQ(auth.size(), 1u) << port;
    EXPECT_EQ(auth[0].str("tls"), "true");
    EXPECT_EQ(auth[0].str("result"), "unknown");
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), tls), "");
  }
}

// Several tags in flight (RFC 9051 5.5): LOGINs and SASL-IR AUTHENTICATEs sent before any
// answer, answered out of order; each tagged answer goes to its own attempt.
TEST(ImapAnalyzer, SeveralLoginsInFlightMatchedByTag) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n"},
      {Dir::ToServer,
       "a1 LOGIN alice one\r\na2 LOGIN \"bob b\" two\r\n"
       "a3 AUTHENTICATE PLAIN " +
           b64(std::string("\0carol\0three", 12)) +
           "\r\n"
           "a4 LOGIN dave four\r\n"},
      {Dir::ToClient,
       "a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"
       "a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"
       "a3 OK Logged in\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(143), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 4u);
  EXPECT_EQ(auth[0].str("user"), "bob b");
  EXPECT_EQ(auth[0].str("password"), "two");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("user"), "alice");
  EXPECT_EQ(auth[1].str("password"), "one");
  EXPECT_EQ(auth[1].str("result"), "failure");
  EXPECT_EQ(auth[2].str("mechanism"), "PLAIN");
  EXPECT_EQ(auth[2].str("user"), "carol");
  EXPECT_EQ(auth[2].str("password"), "three");
  EXPECT_EQ(auth[2].str("result"), "success");
  EXPECT_EQ(auth[3].str("user"), "dave");
  EXPECT_EQ(auth[3].str("result"), "unknown");  // never answered
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(143), turns), "");
}

TEST(ImapAnalyzer, Probe) {
  const AnalyzerSpec* spec = find_analyzer("imap");
  ASSERT_NE(spec, nullptr);
  test::Prober probe{*spec};
  EXPECT_EQ(probe(Dir::ToClient, "* OK ready\r\n"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToClient, "* OK [CAPABILITY IMAP4rev1] ready\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToServer, "a1 CAPABILITY\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToServer, "a1 CAPA"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToServer, "USER bob\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToServer, "GET / HTTP/1.1\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToServer, "* OK x\r\n"), Confidence::No);
  // SMTP's and POP3's AUTH LOGIN reads as tag AUTH, command LOGIN: the server decides
  // (a capture begun during an SMTP login on another port was taken for IMAP).
  EXPECT_EQ(probe(Dir::ToServer, "AUTH LOGIN\r\n"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToServer, "auth login " + test::b64("joe") + "\r\n"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToServer, "a1 LOGIN joe pw\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToServer, "AUTH1 LOGIN joe pw\r\n"), Confidence::Yes);
}

}  // namespace
}  // namespace netsift
