// SMTP logins and envelope through the real engine: conversations written from RFC 5321,
// RFC 4954 (AUTH), RFC 2920 (PIPELINING), RFC 3030 (BDAT) and RFC 3207 (STARTTLS), cut
// at every offset, on the default port and on others (probing).
#include "analyzers/smtp/smtp_analyzer.h"

#include <gtest/gtest.h>
#include <nettle/hmac.h>

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

std::string hmac_md5_hex(std::string_view key, std::string_view msg) {
  hmac_md5_ctx ctx;
  hmac_md5_set_key(&ctx, key.size(), reinterpret_cast<const uint8_t*>(key.data()));
  hmac_md5_update(&ctx, msg.size(), reinterpret_cast<const uint8_t*>(msg.data()));
  uint8_t d[MD5_DIGEST_SIZE];
  hmac_md5_digest(&ctx, sizeof d, d);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) out += {kHex[b >> 4], kHex[b & 15]};
  return out;
}

const std::vector<Turn> kLoginThenMail = {
    {Dir::ToClient, "220-mail.example.org ESMTP ready\r\n220 no spam\r\n"},
    {Dir::ToServer, "EHLO client.example.net\r\n"},
    {Dir::ToClient,
     "250-mail.example.org\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
     "250 CHUNKING\r\n"},
    {Dir::ToServer, "AUTH LOGIN\r\n"},
    {Dir::ToClient, "334 VXNlcm5hbWU6\r\n"},
    {Dir::ToServer, b64("alice@example.org") + "\r\n"},
    {Dir::ToClient, "334 UGFzc3dvcmQ6\r\n"},
    {Dir::ToServer, b64("wrong") + "\r\n"},
    {Dir::ToClient, "535 5.7.8 Authentication credentials invalid\r\n"},
    {Dir::ToServer,
     "AUTH PLAIN " + b64(std::string("\0alice@example.org\0s3cret pass", 30)) + "\r\n"},
    {Dir::ToClient, "235 2.7.0 Authentication successful\r\n"},
    // Pipelined envelope (RFC 2920): one reply per command, in order.
    {Dir::ToServer,
     "MAIL FROM:<alice@example.org> SIZE=120\r\nRCPT TO:<bob@example.net>\r\n"
     "RCPT TO:<nobody@example.net>\r\nDATA\r\n"},
    {Dir::ToClient, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n354 Go ahead\r\n"},
    // The body holds lines that look like commands; a dot-stuffed line; then the end.
    {Dir::ToServer, "Subject: test\r\n\r\nAUTH PLAIN AGZha2UAZmFrZQ==\r\n..\r\nQUIT\r\n.\r\n"},
    {Dir::ToClient, "250 2.0.0 Ok: queued as 1234\r\n"},
    {Dir::ToServer, "QUIT\r\n"},
    {Dir::ToClient, "221 2.0.0 Bye\r\n"},
};

TEST(SmtpAnalyzer, LoginFailureThenSuccessAndPipelinedEnvelope) {
  for (uint16_t port : {25, 587, 2525}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), kLoginThenMail);
    auto auth = events_of(log, "auth");
    ASSERT_EQ(auth.size(), 2u) << port;
    EXPECT_EQ(auth[0].str("service"), "smtp");
    EXPECT_EQ(auth[0].str("mechanism"), "LOGIN");
    EXPECT_EQ(auth[0].str("user"), "alice@example.org");
    EXPECT_EQ(auth[0].str("password"), "wrong");
    EXPECT_EQ(auth[0].str("result"), "failure");
    EXPECT_EQ(auth[0].str("reason"), "535 5.7.8 Authentication credentials invalid");
    EXPECT_EQ(auth[1].str("mechanism"), "PLAIN");
    EXPECT_EQ(auth[1].str("user"), "alice@example.org");
    EXPECT_EQ(auth[1].str("password"), "s3cret pass");
    EXPECT_EQ(auth[1].str("result"), "success");
    EXPECT_EQ(auth[1].str("tls"), "false");
    auto smtp = events_of(log, "smtp");
    ASSERT_EQ(smtp.size(), 1u);
    EXPECT_EQ(smtp[0].str("helo"), "client.example.net");
    EXPECT_EQ(smtp[0].str("banner"), "mail.example.org ESMTP ready");
    EXPECT_EQ(smtp[0].str("mail_from_count"), "1");
    EXPECT_EQ(smtp[0].str("rcpt_to_count"), "2");
    EXPECT_EQ(smtp[0].str("rcpt_rejected"), "1");
    EXPECT_EQ(smtp[0].str("messages"), "1");
    EXPECT_EQ(smtp[0].str("auth_attempts"), "2");
    EXPECT_EQ(smtp[0].str("last_reply"), "221 2.0.0 Bye");
    EXPECT_EQ(log.lines.size(), 3u) << "nothing else, in particular nothing from the body";
  }
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(25), kLoginThenMail), "");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(2525), kLoginThenMail),
            "");
}

TEST(SmtpAnalyzer, CramMd5HashLineAndPlainAfterChallenge) {
  const std::string challenge = "<1896.697170952@postoffice.example.net>";
  const std::string response = "tim " + hmac_md5_hex("tanstaaftanstaaf", challenge);
  std::vector<Turn> turns = {
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-mx\r\n250 AUTH CRAM-MD5 PLAIN\r\n"},
      {Dir::ToServer, "AUTH CRAM-MD5\r\n"},
      {Dir::ToClient, "334 " + b64(challenge) + "\r\n"},
      {Dir::ToServer, b64(response) + "\r\n"},
      {Dir::ToClient, "235 ok\r\n"},
      // PLAIN without an initial response: the server asks with an empty 334.
      {Dir::ToServer, "AUTH PLAIN\r\n"},
      {Dir::ToClient, "334 \r\n"},
      {Dir::ToServer, b64(std::string("\0tim\0guess", 10)) + "\r\n"},
      {Dir::ToClient, "454 4.7.0 Temporary authentication failure\r\n"},
      // Cancelled exchange.
      {Dir::ToServer, "AUTH LOGIN\r\n"},
      {Dir::ToClient, "334 VXNlcm5hbWU6\r\n"},
      {Dir::ToServer, "*\r\n"},
      {Dir::ToClient, "501 5.7.0 Authentication cancelled\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(587), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 3u);
  EXPECT_EQ(auth[0].str("mechanism"), "CRAM-MD5");
  EXPECT_EQ(auth[0].str("user"), "tim");
  EXPECT_FALSE(auth[0].has("password"));
  EXPECT_EQ(auth[0].cred("challenge"), challenge);
  // The digest checks against the known password, independently of netsift.
  EXPECT_EQ(auth[0].cred("response"), hmac_md5_hex("tanstaaftanstaaf", challenge));
  EXPECT_EQ(auth[0].str("hash"), "$cram_md5$" + b64(challenge) + "$" + b64(response));
  EXPECT_EQ(auth[0].str("hash_mode"), "10200");
  EXPECT_EQ(auth[0].str("result"), "success");
  EXPECT_EQ(auth[1].str("user"), "tim");
  EXPECT_EQ(auth[1].str("password"), "guess");
  EXPECT_EQ(auth[1].str("result"), "failure");
  EXPECT_EQ(auth[1].str("reason"), "454 4.7.0 Temporary authentication failure");
  EXPECT_EQ(auth[2].str("result"), "failure");
  EXPECT_EQ(auth[2].str("reason"), "501 5.7.0 Authentication cancelled");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(587), turns), "");
  // --redact masks the secrets.
  AppLayerConfig redact;
  redact.redact = true;
  auto masked =
      events_of(test::play(analyzer_registry(), test::test_flow(587), turns, {}, redact), "auth");
  EXPECT_EQ(masked[0].str("hash"), "<redacted>");
  EXPECT_EQ(masked[1].str("password"), "<redacted>");
}

// AUTH with initial responses pipelined (a brute-force client does not wait), mixed
// with envelope commands: each AUTH gets the reply at its place in the queue.
TEST(SmtpAnalyzer, PipelinedAuthsEachGetTheirOwnReply) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n"},
      {Dir::ToServer, "AUTH PLAIN " + b64(std::string("\0alice\0one", 10)) +
                          "\r\n"
                          "AUTH PLAIN " +
                          b64(std::string("\0bob\0two", 8)) +
                          "\r\n"
                          "AUTH PLAIN " +
                          b64(std::string("\0carol\0three", 12)) +
                          "\r\n"
                          "MAIL FROM:<a@b>\r\nAUTH PLAIN " +
                          b64(std::string("\0dave\0four", 10)) + "\r\n"},
      {Dir::ToClient,
       "535 5.7.8 Authentication credentials invalid\r\n"
       "535 5.7.8 Authentication credentials invalid\r\n"
       "235 2.7.0 Authentication successful\r\n250 OK\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(25), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 4u);
  EXPECT_EQ(auth[0].str("user"), "alice");
  EXPECT_EQ(auth[0].str("password"), "one");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("user"), "bob");
  EXPECT_EQ(auth[1].str("password"), "two");
  EXPECT_EQ(auth[1].str("result"), "failure");
  EXPECT_EQ(auth[2].str("user"), "carol");
  EXPECT_EQ(auth[2].str("password"), "three");
  EXPECT_EQ(auth[2].str("result"), "success");
  EXPECT_EQ(auth[3].str("user"), "dave");
  EXPECT_EQ(auth[3].str("result"), "unknown");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(25), turns), "");
}

// A client that does not wait for the 334 challenges: its lines were sent before the
// server asked for them, and the server reads them as the SASL responses, in order.
TEST(SmtpAnalyzer, SaslResponsesSentBeforeTheirChallenges) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n"},
      {Dir::ToServer, "AUTH LOGIN\r\n" + b64("alice") + "\r\n" + b64("pw one") +
                          "\r\nAUTH PLAIN\r\n" + b64(std::string("\0bob\0two", 8)) +
                          "\r\nMAIL FROM:<bob@x>\r\n"},
      {Dir::ToClient,
       "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n535 5.7.8 Authentication credentials "
       "invalid\r\n334 \r\n235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(2525), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].str("user"), "alice");
  EXPECT_EQ(auth[0].str("password"), "pw one");
  EXPECT_EQ(auth[0].str("mechanism"), "LOGIN");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("user"), "bob");
  EXPECT_EQ(auth[1].str("password"), "two");
  EXPECT_EQ(auth[1].str("result"), "success");
  auto smtp = events_of(log, "smtp");
  ASSERT_EQ(smtp.size(), 1u);
  EXPECT_EQ(smtp[0].str("mail_from_count"), "1");
  EXPECT_EQ(smtp[0].str("auth_attempts"), "2");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(2525), turns), "");
  EXPECT_EQ(test::check_interleavings(analyzer_registry(), test::test_flow(2525), turns), "");
}

// An AUTH sent behind an older one that then draws a 334: the server takes the newer
// line for the older one's response (here undecodable, 501), so the 334 and the outcome
// belong to the older attempt, and the newer line was no login at all.
TEST(SmtpAnalyzer, ChallengeAnswersTheOlderOfTwoPipelinedAuths) {
  std::string carol = "carol " + hmac_md5_hex("secret", "<3.4@mx>");
  std::vector<Turn> turns = {
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-mx\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n"},
      {Dir::ToServer, "AUTH CRAM-MD5\r\nAUTH PLAIN " + b64(std::string("\0bob\0two", 8)) + "\r\n"},
      {Dir::ToClient, "334 " + b64("<1.2@mx>") + "\r\n501 5.5.2 Cannot decode response\r\n"},
      {Dir::ToServer, "AUTH CRAM-MD5\r\n"},
      {Dir::ToClient, "334 " + b64("<3.4@mx>") + "\r\n"},
      {Dir::ToServer, b64(carol) + "\r\n"},
      {Dir::ToClient, "235 2.7.0 Authentication successful\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(587), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].str("mechanism"), "CRAM-MD5");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_NE(auth[0].str("reason").find("501"), std::string::npos);
  EXPECT_NE(auth[0].str("user"), "bob");
  EXPECT_EQ(auth[1].str("user"), "carol");
  EXPECT_EQ(auth[1].str("result"), "success");
  EXPECT_EQ(auth[1].str("hash"), "$cram_md5$" + b64("<3.4@mx>") + "$" + b64(carol));
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(587), turns), "");
  EXPECT_EQ(test::check_interleavings(analyzer_registry(), test::test_flow(587), turns), "");
}

TEST(SmtpAnalyzer, StartTlsEndsParsingAndBdatChunksAreSkipped) {
  std::vector<Turn> tls = {
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-mx\r\n250 STARTTLS\r\n"},
      {Dir::ToServer, "STARTTLS\r\n"},
      {Dir::ToClient, "220 2.0.0 Ready to start TLS\r\n"},
      {Dir::ToServer, std::string("\x16\x03\x01\x00\x05hello\r\nAUTH PLAIN AHUAcA==\r\n", 33)},
      {Dir::ToClient, "235 not really\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(25), tls);
  EXPECT_TRUE(events_of(log, "auth").empty()) << "logins inside TLS are invisible";
  auto smtp = events_of(log, "smtp");
  ASSERT_EQ(smtp.size(), 1u);
  EXPECT_EQ(smtp[0].str("tls"), "true");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(25), tls), "");

  std::string chunk = "Subject: x\r\n\r\nAUTH PLAIN AHUAcA==\r\n.\r\n\x00\xff";
  std::vector<Turn> bdat = {
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-mx\r\n250 CHUNKING\r\n"},
      {Dir::ToServer, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT " + std::to_string(chunk.size()) +
                          "\r\n" + chunk + "BDAT 0 LAST\r\n"},
      {Dir::ToClient, "250 ok\r\n250 ok\r\n250 chunk\r\n250 queued\r\n"},
      {Dir::ToServer, "AUTH PLAIN " + b64(std::string("\0u\0p", 4)) + "\r\n"},
  };
  log = test::play(analyzer_registry(), test::test_flow(25), bdat);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 1u) << "only the real AUTH, reported unknown at close";
  EXPECT_EQ(auth[0].str("user"), "u");
  EXPECT_EQ(auth[0].str("result"), "unknown");
  smtp = events_of(log, "smtp");
  ASSERT_EQ(smtp.size(), 1u);
  EXPECT_EQ(smtp[0].str("messages"), "1");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(25), bdat), "");
}

TEST(SmtpAnalyzer, ProbeLetsTheClientDecide) {
  const AnalyzerSpec* spec = find_analyzer("smtp");
  ASSERT_NE(spec, nullptr);
  test::Prober probe{*spec};
  EXPECT_EQ(probe(Dir::ToClient, "220 host ready\r\n"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToClient, "22"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToClient, "220 host ready\r\n250 hello\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToClient, "220 (vsFTPd 3.0.3)\r\n331 Password\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToServer, "ehlo x\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToServer, "EH"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToServer, "USER bob\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToServer, "GET / HTTP/1.1\r\n"), Confidence::No);
  // A capture begun during AUTH: a 334 challenge in base64 is SMTP's; FTP's 334 (RFC
  // 2228, AUTH GSSAPI) is words or "ADAT=", POP3's and IMAP's challenge is "+ ".
  EXPECT_EQ(probe(Dir::ToClient, "334 VXNlcm5hbWU6\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToClient, "334 VXNl"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToClient, "334 Using authentication type GSSAPI; ADAT must follow\r\n"),
            Confidence::No);
  EXPECT_EQ(probe(Dir::ToClient, "334 ADAT=YWJjZA==\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToClient, "334\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToClient, "334 \r\n"), Confidence::Yes);  // PLAIN's empty challenge
  EXPECT_EQ(probe(Dir::ToClient, "+ VXNlcm5hbWU6\r\n"), Confidence::No);
  // Begun later still: a reply with an enhanced status code (RFC 3463) is SMTP's.
  EXPECT_EQ(probe(Dir::ToClient, "235 2.7.0 Authentication successful\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToClient, "535 5.7.8 Authentication credentials invalid\r\n"),
            Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToClient, "250 2.1.0 Ok\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToClient, "250 2.1"), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToClient, "235 Authentication successful\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToClient, "250 5.1.0 class differs\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToClient, "250 2.1.\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToClient, "250\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToClient, "25x"), Confidence::No);
}

// Begun during an AUTH PLAIN: with the credentials in the command, the outcome is the
// first reply; without, the empty 334 challenge comes first. Each is reported.
TEST(SmtpAnalyzer, CaptureBegunDuringAuthPlainOnAnotherPort) {
  const std::string creds = b64(std::string("\0joe@x.test\0Smtp-pw", 19));
  const std::vector<Turn> at_once = {
      {Dir::ToServer, "AUTH PLAIN " + creds + "\r\n"},
      {Dir::ToClient, "235 2.7.0 Authentication successful\r\n"},
      {Dir::ToServer, "QUIT\r\n"},
      {Dir::ToClient, "221 2.0.0 Bye\r\n"},
  };
  const std::vector<Turn> asked = {
      {Dir::ToServer, "AUTH PLAIN\r\n"},
      {Dir::ToClient, "334 \r\n"},
      {Dir::ToServer, b64(std::string("\0joe@x.test\0bad", 15)) + "\r\n"},
      {Dir::ToClient, "535 5.7.8 Authentication credentials invalid\r\n"},
  };
  for (const auto* turns : {&at_once, &asked}) {
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(2529), *turns), "");
    auto auth = events_of(test::play(analyzer_registry(), test::test_flow(2529), *turns), "auth");
    ASSERT_EQ(auth.size(), 1u);
    EXPECT_EQ(auth[0].str("service"), "smtp");
    EXPECT_EQ(auth[0].str("user"), "joe@x.test");
    EXPECT_EQ(auth[0].str("mechanism"), "PLAIN");
  }
  auto ok = events_of(test::play(analyzer_registry(), test::test_flow(2529), at_once), "auth");
  EXPECT_EQ(ok[0].str("password"), "Smtp-pw");
  EXPECT_EQ(ok[0].str("result"), "success");
  auto bad = events_of(test::play(analyzer_registry(), test::test_flow(2529), asked), "auth");
  EXPECT_EQ(bad[0].str("password"), "bad");
  EXPECT_EQ(bad[0].str("result"), "failure");
}

// A capture that begins during an AUTH LOGIN on a port with no analyzer: the client's
// "AUTH LOGIN" alone could be IMAP (tag AUTH, command LOGIN); the server's base64 334
// challenge names SMTP, and the login is reported with its user, password and outcome.
TEST(SmtpAnalyzer, CaptureBegunDuringAuthOnAnotherPort) {
  const std::vector<Turn> turns = {
      {Dir::ToServer, "AUTH LOGIN\r\n"},
      {Dir::ToClient, "334 VXNlcm5hbWU6\r\n"},
      {Dir::ToServer, b64("joe@x.test") + "\r\n"},
      {Dir::ToClient, "334 UGFzc3dvcmQ6\r\n"},
      {Dir::ToServer, b64("Smtp-pw") + "\r\n"},
      {Dir::ToClient, "235 2.7.0 Authentication successful\r\n"},
      {Dir::ToServer, "QUIT\r\n"},
      {Dir::ToClient, "221 Bye\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(2528), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].str("service"), "smtp");
  EXPECT_EQ(auth[0].str("user"), "joe@x.test");
  EXPECT_EQ(auth[0].str("password"), "Smtp-pw");
  EXPECT_EQ(auth[0].str("mechanism"), "LOGIN");
  EXPECT_EQ(auth[0].str("result"), "success");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(2528), turns), "");
}

// nmap's smtp-brute sends AUTH LOGIN before EHLO (503) and smtp-ntlm-info an AUTH NTLM
// the server does not offer (504): refused before the client sent any credential, these
// are no login attempts (examples/nmap-smtp-brute.pcap has them from a real run). An
// AUTH whose initial response carries the credentials is one, whatever the refusal.
TEST(SmtpAnalyzer, AuthRefusedBeforeAnyCredentialIsNoAttempt) {
  std::vector<Turn> turns = {
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "AUTH LOGIN\r\n"},
      {Dir::ToClient, "503 Error: send EHLO first\r\n"},
      {Dir::ToServer, "EHLO nmap.scanme.org\r\n"},
      {Dir::ToClient, "250-mx\r\n250 AUTH PLAIN LOGIN\r\n"},
      {Dir::ToServer, "AUTH NTLM\r\n"},
      {Dir::ToClient, "504 5.5.4 Unrecognized authentication type\r\n"},
      {Dir::ToServer, "TlRMTVNTUAABAAAAB4IIoAAAAAAAAAAAAAAAAAAAAAA=\r\n"},
      {Dir::ToClient, "500 Error: command not recognized\r\n"},
      {Dir::ToServer, "AUTH PLAIN " + b64(std::string("\0mallory\0guess", 14)) + "\r\n"},
      {Dir::ToClient, "503 Already authenticated\r\n"},
      {Dir::ToServer, "QUIT\r\n"},
      {Dir::ToClient, "221 Bye\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(25), turns);
  auto auth = events_of(log, "auth");
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].str("user"), "mallory");
  EXPECT_EQ(auth[0].str("password"), "guess");
  EXPECT_EQ(auth[0].str("result"), "failure");
  auto smtp = events_of(log, "smtp");
  ASSERT_EQ(smtp.size(), 1u);
  EXPECT_EQ(smtp[0].str("auth_attempts"), "1");
  EXPECT_EQ(smtp[0].str("auth_refused"), "2");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(25), turns), "");
}

// ---- protocol variants RFC 4954 / RFC 4616 / RFC 5321 allow -----------------------------

// Plays `turns` on 25 and on 2526 (claimed by content), every split alike; the logins.
std::vector<test::EventFields> variant_auths(const std::vector<Turn>& turns) {
  for (uint16_t port : {25, 2526})
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "")
        << port;
  auto on_other_port =
      events_of(test::play(analyzer_registry(), test::test_flow(2526), turns), "auth");
  auto auth = events_of(test::play(analyzer_registry(), test::test_flow(25), turns), "auth");
  EXPECT_EQ(on_other_port.size(), auth.size());
  return auth;
}

TEST(SmtpVariants, PlainWithEmptyInitialResponseAndAuthzid) {
  auto auth = variant_auths({
      {Dir::ToClient, "220 mx.example.org ESMTP\r\n"},
      {Dir::ToServer, "EHLO c.example.net\r\n"},
      {Dir::ToClient, "250-mx.example.org\r\n250 AUTH PLAIN LOGIN\r\n"},
      // "=" is an empty initial response (RFC 4954 4): the server asks with a bare 334.
      {Dir::ToServer, "AUTH PLAIN =\r\n"},
      {Dir::ToClient, "334 \r\n"},
      {Dir::ToServer, test::b64(std::string("admin\0alice\0pw one", 18)) + "\r\n"},
      {Dir::ToClient, "535 5.7.8 Authentication credentials invalid\r\n"},
      // No initial response at all, and a 334 without even the space.
      {Dir::ToServer, "AUTH PLAIN\r\n"},
      {Dir::ToClient, "334\r\n"},
      {Dir::ToServer, test::b64(std::string("\0alice\0pw two", 13)) + "\r\n"},
      {Dir::ToClient, "235 2.7.0 Authentication successful\r\n"},
  });
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].str("mechanism"), "PLAIN");
  EXPECT_EQ(auth[0].str("user"), "alice");
  EXPECT_EQ(auth[0].cred("authzid"), "admin");
  EXPECT_EQ(auth[0].str("password"), "pw one");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[1].str("password"), "pw two");
  EXPECT_EQ(auth[1].cred("authzid"), "<absent>");
  EXPECT_EQ(auth[1].str("result"), "success");
}

TEST(SmtpVariants, MultiLineRepliesAndLoginWithInitialResponse) {
  auto auth = variant_auths({
      {Dir::ToClient,
       "220-smtp.example.com ESMTP\r\n220-Unauthorized use prohibited\r\n220 ready\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-smtp.example.com\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n"},
      {Dir::ToServer, "AUTH LOGIN " + test::b64("bob@example.com") + "\r\n"},
      {Dir::ToClient, "334 UGFzc3dvcmQ6\r\n"},
      {Dir::ToServer, test::b64("hunter2") + "\r\n"},
      {Dir::ToClient,
       "535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
       "535 5.7.8  https://support.example.com/mail/?p=BadCredentials x1-20020a\r\n"},
      {Dir::ToServer, "AUTH LOGIN\r\n"},
      {Dir::ToClient, "334 VXNlcm5hbWU6\r\n"},
      {Dir::ToServer, test::b64("bob@example.com") + "\r\n"},
      {Dir::ToClient, "334 UGFzc3dvcmQ6\r\n"},
      {Dir::ToServer, test::b64("correct horse") + "\r\n"},
      {Dir::ToClient, "235-2.7.0 Accepted\r\n235 2.7.0 Welcome\r\n"},
  });
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].str("user"), "bob@example.com");
  EXPECT_EQ(auth[0].str("password"), "hunter2");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[0].str("reason").substr(0, 9), "535 5.7.8");
  EXPECT_EQ(auth[1].str("password"), "correct horse");
  EXPECT_EQ(auth[1].str("result"), "success");
}

TEST(SmtpVariants, CancelledExchangeIsRefused) {
  // "*" cancels (RFC 4954 4); the server answers 501.
  auto auth = variant_auths({
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-mx\r\n250 AUTH LOGIN\r\n"},
      {Dir::ToServer, "AUTH LOGIN\r\n"},
      {Dir::ToClient, "334 VXNlcm5hbWU6\r\n"},
      {Dir::ToServer, "*\r\n"},
      {Dir::ToClient, "501 5.7.0 Authentication aborted\r\n"},
      {Dir::ToServer, "QUIT\r\n"},
      {Dir::ToClient, "221 Bye\r\n"},
  });
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[0].str("reason"), "501 5.7.0 Authentication aborted");
  EXPECT_FALSE(auth[0].has("password"));
}

TEST(SmtpVariants, MultiLine530And334) {
  // AUTH before STARTTLS refused with a multi-line 530; then a server that spreads its
  // 334 over two lines (RFC 5321 reply syntax allows it for any code).
  auto auth = variant_auths({
      {Dir::ToClient, "220 mx ESMTP\r\n"},
      {Dir::ToServer, "EHLO c\r\n"},
      {Dir::ToClient, "250-mx\r\n250 AUTH LOGIN PLAIN\r\n"},
      {Dir::ToServer, "AUTH PLAIN " + test::b64(std::string("\0early\0pw0", 10)) + "\r\n"},
      {Dir::ToClient,
       "530-5.7.0 Must issue a STARTTLS command first\r\n530 5.7.0 See RFC 3207\r\n"},
      {Dir::ToServer, "AUTH LOGIN\r\n"},
      {Dir::ToClient, "334-VXNlcm5hbWU6\r\n334 VXNlcm5hbWU6\r\n"},
      {Dir::ToServer, test::b64("late") + "\r\n"},
      {Dir::ToClient, "334 UGFzc3dvcmQ6\r\n"},
      {Dir::ToServer, test::b64("pw1") + "\r\n"},
      {Dir::ToClient, "235 2.7.0 ok\r\n"},
  });
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].str("user"), "early");
  EXPECT_EQ(auth[0].str("result"), "failure");
  EXPECT_EQ(auth[0].str("reason"), "530 5.7.0 Must issue a STARTTLS command first");
  EXPECT_EQ(auth[1].str("user"), "late");
  EXPECT_EQ(auth[1].str("password"), "pw1");
  EXPECT_EQ(auth[1].str("result"), "success");
}

}  // namespace
}  // namespace netsift
