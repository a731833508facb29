// The line framing, numbered replies, base64 and SASL decoding shared by the SMTP, FTP,
// POP3 and IMAP analyzers.
#include <gtest/gtest.h>

#include <string>

#include "analyzers/textproto/line_reader.h"
#include "analyzers/textproto/reply.h"
#include "analyzers/textproto/sasl.h"
#include "analyzers/textproto/text.h"

namespace netsift::textproto {
namespace {

ByteView bytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(LineReader, CrLfAndLfAndPartialAndTooLong) {
  LineReader r(8);
  std::string data = "ab\r\ncd\nef";
  size_t pos = 0;
  std::string_view line;
  ASSERT_EQ(r.next(bytes(data), pos, line), LineReader::Status::Line);
  EXPECT_EQ(line, "ab");
  ASSERT_EQ(r.next(bytes(data), pos, line), LineReader::Status::Line);
  EXPECT_EQ(line, "cd");
  EXPECT_EQ(r.next(bytes(data), pos, line), LineReader::Status::NeedMore);
  EXPECT_EQ(pos, 7u) << "the partial line stays for the NeedMore tail";
  // Over the limit without an end: reported once, then skipped up to its LF.
  std::string lng = "0123456789";
  pos = 0;
  EXPECT_EQ(r.next(bytes(lng), pos, line), LineReader::Status::TooLong);
  EXPECT_EQ(pos, lng.size());
  std::string more = "still the same line\nok\n";
  pos = 0;
  ASSERT_EQ(r.next(bytes(more), pos, line), LineReader::Status::Line);
  EXPECT_EQ(line, "ok");
  // Over the limit with its end in view.
  std::string both = "0123456789\nx\n";
  pos = 0;
  EXPECT_EQ(r.next(bytes(both), pos, line), LineReader::Status::TooLong);
  ASSERT_EQ(r.next(bytes(both), pos, line), LineReader::Status::Line);
  EXPECT_EQ(line, "x");
}

TEST(ReplyReader, SingleMultiAndFtpStyleMultiLine) {
  ReplyReader r;
  EXPECT_EQ(r.feed("250 OK"), ReplyReader::Status::Complete);
  EXPECT_EQ(r.reply().code, 250);
  EXPECT_EQ(r.reply().reason(), "250 OK");
  EXPECT_EQ(r.feed("250-mail.example"), ReplyReader::Status::Partial);
  EXPECT_EQ(r.feed("250-AUTH PLAIN LOGIN"), ReplyReader::Status::Partial);
  EXPECT_EQ(r.feed("250 HELP"), ReplyReader::Status::Complete);
  EXPECT_EQ(r.reply().text, "mail.example");
  // RFC 959: lines inside may say anything, even another code.
  EXPECT_EQ(r.feed("230-Welcome"), ReplyReader::Status::Partial);
  EXPECT_EQ(r.feed("  220 not the end"), ReplyReader::Status::Partial);
  EXPECT_EQ(r.feed("331 not the end either"), ReplyReader::Status::Partial);
  EXPECT_EQ(r.feed("230"), ReplyReader::Status::Complete);
  EXPECT_EQ(r.reply().code, 230);
  EXPECT_EQ(r.feed("hello"), ReplyReader::Status::Bad);
  EXPECT_EQ(r.feed("2500 x"), ReplyReader::Status::Bad);
  EXPECT_EQ(r.feed("650 x"), ReplyReader::Status::Bad);
}

TEST(Text, Base64AndWireText) {
  EXPECT_EQ(base64_decode("dGVzdA=="), "test");
  EXPECT_EQ(base64_decode("dGVzdA"), "test") << "padding may be left out";
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_FALSE(base64_decode("dGV*dA=="));
  EXPECT_FALSE(base64_decode("dG=VzdA"));
  EXPECT_FALSE(base64_decode("d"));
  EXPECT_EQ(wire_text("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(wire_text(std::string_view("a\0b\xff", 4)), "a\\x00b\\xff");
  EXPECT_EQ(wire_text("abcdef", 3), "abc");
}

TEST(Sasl, PlainLoginCramMd5AndUserOnlyMechanisms) {
  AuthAttempt a;
  SaslExchange s;
  // PLAIN initial response: authzid "admin", authcid "tim", password "tanstaaf".
  s.start("plain", "YWRtaW4AdGltAHRhbnN0YWFm");
  s.fill(a);
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_EQ(a.user, "tim");
  EXPECT_EQ(a.password, "tanstaaf");
  ASSERT_EQ(a.credential.size(), 1u);
  EXPECT_EQ(a.credential[0].second, "admin");

  s.start("LOGIN", std::nullopt);
  s.challenge("VXNlcm5hbWU6");
  s.response("dGlt");
  s.challenge("UGFzc3dvcmQ6");
  s.response("dGFuc3RhYWY=");
  s.fill(a);
  EXPECT_EQ(a.user, "tim");
  EXPECT_EQ(a.password, "tanstaaf");
  EXPECT_TRUE(a.credential.empty());

  // RFC 2195's example exchange.
  s.start("CRAM-MD5", std::nullopt);
  s.challenge("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
  s.response("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
  s.fill(a);
  EXPECT_EQ(a.user, "tim");
  EXPECT_FALSE(a.password);
  EXPECT_EQ(a.hash_mode, 10200u);
  EXPECT_EQ(a.hash,
            "$cram_md5$PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+$"
            "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
  ASSERT_EQ(a.credential.size(), 2u);
  EXPECT_EQ(a.credential[0].second, "<1896.697170952@postoffice.reston.mci.net>");
  EXPECT_EQ(a.credential[1].second, "b913a602c7eda7a495b4e6e7334d3890");

  // SCRAM client-first "n,,n=us=2Cer,r=abc"; XOAUTH2 "user=bob@x\x01auth=Bearer t\x01\x01".
  s.start("SCRAM-SHA-256", "biwsbj11cz0yQ2VyLHI9YWJj");
  s.fill(a);
  EXPECT_EQ(a.user, "us,er");
  s.start("XOAUTH2", "dXNlcj1ib2JAeAFhdXRoPUJlYXJlciB0AQE=");
  s.fill(a);
  EXPECT_EQ(a.user, "bob@x");
  EXPECT_FALSE(a.password);

  s.start("PLAIN", std::nullopt);
  s.response("*");
  EXPECT_TRUE(s.cancelled());
  s.start("PLAIN", "not base64!");
  EXPECT_TRUE(s.malformed());
}

}  // namespace
}  // namespace netsift::textproto
