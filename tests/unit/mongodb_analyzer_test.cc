// MongoDB logins through the real app-layer engine, with messages built byte for byte
// from the wire protocol and BSON specifications, and the SCRAM exchanges of RFC 5802
// (SCRAM-SHA-1) and RFC 7677 (SCRAM-SHA-256) as payloads; every turn cut at every offset.
#include "analyzers/mongodb/mongodb_analyzer.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <map>
#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/mongodb/bson.h"
#include "analyzers/mongodb/mongodb_wire.h"
#include "analyzers/registry.h"

namespace netsift {
namespace {

using test::Turn;
constexpr Dir C = Dir::ToServer;
constexpr Dir S = Dir::ToClient;

std::string le32(uint32_t v) {
  return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)};
}

// A BSON document (bsonspec.org): int32 total length, elements, 0x00.
struct Bson {
  std::string e;
  Bson& str(const std::string& k, const std::string& v) {
    e += '\x02' + k + '\0' + le32(uint32_t(v.size() + 1)) + v + '\0';
    return *this;
  }
  Bson& i32(const std::string& k, int32_t v) {
    e += '\x10' + k + '\0' + le32(uint32_t(v));
    return *this;
  }
  Bson& dbl(const std::string& k, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    e += '\x01' + k + '\0' + le32(uint32_t(bits)) + le32(uint32_t(bits >> 32));
    return *this;
  }
  Bson& boolean(const std::string& k, bool v) {
    e += '\x08' + k + '\0' + char(v);
    return *this;
  }
  Bson& bin(const std::string& k, const std::string& v) {
    e += '\x05' + k + '\0' + le32(uint32_t(v.size())) + '\0' + v;
    return *this;
  }
  Bson& doc(const std::string& k, const Bson& d) {
    e += '\x03' + k + '\0' + d.bytes();
    return *this;
  }
  std::string bytes() const { return le32(uint32_t(e.size() + 5)) + e + '\0'; }
};

std::string header(uint32_t len, uint32_t id, uint32_t to, int32_t op) {
  return le32(len + 16) + le32(id) + le32(to) + le32(uint32_t(op));
}
std::string op_msg_body(const Bson& body, uint32_t flags = 0, const std::string& extra = {}) {
  return le32(flags) + '\0' + body.bytes() + extra;
}
std::string op_msg(uint32_t id, uint32_t to, const Bson& body, bool checksum = false) {
  // A kind-1 section rides along: a document sequence the analyzer must step over.
  std::string seq_docs = Bson().i32("_id", 1).bytes();
  std::string seq = std::string(1, '\x01') + le32(uint32_t(4 + 10 + seq_docs.size())) +
                    std::string("documents\0", 10) + seq_docs;
  std::string b = op_msg_body(body, checksum ? 1 : 0, seq);
  if (!checksum) return header(uint32_t(b.size()), id, to, mongodb::kOpMsg) + b;
  std::string m = header(uint32_t(b.size() + 4), id, to, mongodb::kOpMsg) + b;
  ByteView v(reinterpret_cast<const uint8_t*>(m.data()), m.size());
  return m + le32(mongodb::crc32c(v));
}
std::string op_query(uint32_t id, const std::string& coll, const Bson& q) {
  std::string b = le32(0) + coll + '\0' + le32(0) + le32(uint32_t(-1)) + q.bytes();
  return header(uint32_t(b.size()), id, 0, mongodb::kOpQuery) + b;
}
std::string op_reply(uint32_t id, uint32_t to, const Bson& d) {
  std::string b = le32(8) + std::string(8, '\0') + le32(0) + le32(1) + d.bytes();
  return header(uint32_t(b.size()), id, to, mongodb::kOpReply) + b;
}
std::string op_compressed(uint32_t id, uint32_t to, const std::string& msg_body, uint8_t how) {
  std::string packed;
  if (how == 0) {
    packed = msg_body;
  } else if (how == 1) {
    size_t n = snappy_max_compressed_length(msg_body.size());
    packed.resize(n);
    snappy_compress(msg_body.data(), msg_body.size(), packed.data(), &n);
    packed.resize(n);
  } else if (how == 2) {
    uLongf n = compressBound(uLong(msg_body.size()));
    packed.resize(n);
    compress(reinterpret_cast<Bytef*>(packed.data()), &n,
             reinterpret_cast<const Bytef*>(msg_body.data()), uLong(msg_body.size()));
    packed.resize(n);
  } else {
    packed.resize(ZSTD_compressBound(msg_body.size()));
    packed.resize(ZSTD_compress(packed.data(), packed.size(), msg_body.data(), msg_body.size(), 3));
  }
  std::string b = le32(mongodb::kOpMsg) + le32(uint32_t(msg_body.size())) + char(how) + packed;
  return header(uint32_t(b.size()), id, to, mongodb::kOpCompressed) + b;
}

Bson ok_reply(int conv, const std::string& payload, bool done) {
  return Bson()
      .i32("conversationId", conv)
      .boolean("done", done)
      .bin("payload", payload)
      .dbl("ok", 1);
}
Bson auth_failed() {
  return Bson()
      .dbl("ok", 0)
      .str("errmsg", "Authentication failed.")
      .i32("code", 18)
      .str("codeName", "AuthenticationFailed");
}

// RFC 7677 section 3 (user "user", password "pencil").
const std::string k256First = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const std::string k256ServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const std::string k256Final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const std::string k256ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
// RFC 5802 section 5 (user "user", password "pencil").
const std::string k1ServerFirst =
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
const std::string k1Final =
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";

rapidjson::Document parse(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.data(), line.size());  // sized: no SSE2 reads past the string
  return d;
}

std::vector<rapidjson::Document> auths(const test::EventLog& log) {
  std::vector<rapidjson::Document> out;
  for (const auto& l : log.lines) {
    auto d = parse(l);
    if (std::string(d["event"].GetString()) == "auth") out.push_back(std::move(d));
  }
  return out;
}

std::vector<std::string> weird(const test::EventLog& log) {
  std::vector<std::string> out;
  for (const auto& l : log.lines) {
    auto d = parse(l);
    if (std::string(d["event"].GetString()) == "weird") out.push_back(d["name"].GetString());
  }
  return out;
}

std::string field(const rapidjson::Value& d, const char* k) {
  return d.HasMember(k) && d[k].IsString() ? d[k].GetString() : "";
}

AppLayerConfig with_weird() {
  AppLayerConfig c;
  c.weird_events = true;
  return c;
}

ByteView bytes(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(Bson, ReadsElementsAndRefusesDamage) {
  std::string d = Bson().str("a", "xy").i32("b", 7).doc("c", Bson().boolean("t", true)).bytes();
  bson::Document doc;
  ASSERT_TRUE(bson::Document::view(bytes(d), doc));
  std::string_view s;
  double n = 0;
  bson::Document inner;
  EXPECT_TRUE(doc.get_string("a", s));
  EXPECT_EQ(s, "xy");
  EXPECT_TRUE(doc.get_number("b", n));
  EXPECT_EQ(n, 7);
  EXPECT_TRUE(doc.get_document("c", inner));
  EXPECT_TRUE(inner.get_number("t", n));
  EXPECT_EQ(bson::validate(bytes(d)), bson::Check::Ok);
  // Every truncation and every single corrupted length byte is refused or read safely.
  for (size_t cut = 0; cut < d.size(); ++cut) {
    EXPECT_NE(bson::validate(bytes(d.substr(0, cut))), bson::Check::Ok) << cut;
  }
  for (size_t i = 0; i < d.size(); ++i) {
    std::string bad = d;
    bad[i] = char(0xFF);
    bson::validate(bytes(bad));  // must not crash (ASan)
  }
}

TEST(Bson, TenThousandDeepIsRefusedWithoutRecursion) {
  Bson d = Bson().i32("x", 1);
  std::string deep = d.bytes();
  for (int i = 0; i < 10000; ++i) {
    deep = le32(uint32_t(deep.size() + 8)) + std::string("\x03k\0", 3) + deep + '\0';
  }
  EXPECT_EQ(bson::validate(bytes(deep)), bson::Check::TooDeep);
  EXPECT_EQ(bson::validate(bytes(deep), 20000), bson::Check::TooDeep);  // the stack caps it
  bson::Document doc;
  ASSERT_TRUE(bson::Document::view(bytes(deep), doc));
  bson::Element e;
  EXPECT_TRUE(doc.first(e));  // skipping never descends
  // Through the analyzer: a command nested 5 000 deep (40 KB, read whole) is an anomaly,
  // not a crash; 10 000 deep (80 KB) is past what is read whole and is skipped.
  std::string half = d.bytes();
  for (int i = 0; i < 5000; ++i) {
    half = le32(uint32_t(half.size() + 8)) + std::string("\x03k\0", 3) + half + '\0';
  }
  std::string body = le32(0) + '\0' + half;
  std::string msg = header(uint32_t(body.size()), 1, 0, mongodb::kOpMsg) + body;
  std::vector<Turn> turns = {{C, op_msg(9, 0, Bson().i32("ping", 1).str("$db", "admin"))},
                             {C, msg}};
  auto log = test::play(analyzer_registry(), test::test_flow(27017), turns, {}, with_weird());
  EXPECT_EQ(weird(log), std::vector<std::string>{"mongodb.bson_too_deep"});
}

TEST(MongodbWire, Crc32cCheckValue) {
  EXPECT_EQ(mongodb::crc32c(bytes("123456789")), 0xE3069283u);  // RFC 3720 B.4 check value
}

TEST(MongodbAnalyzer, Probe) {
  const AnalyzerSpec* spec = find_analyzer("mongodb");
  ASSERT_NE(spec, nullptr);
  std::string hello = op_msg(1, 0, Bson().i32("hello", 1).str("$db", "admin"));
  std::string reply = op_msg(2, 1, Bson().dbl("ok", 1));
  EXPECT_EQ(spec->probe(C, bytes(hello)), Confidence::Yes);
  EXPECT_EQ(spec->probe(C, bytes(hello.substr(0, 20))), Confidence::Maybe);
  EXPECT_EQ(spec->probe(S, bytes(reply)), Confidence::Yes);
  EXPECT_EQ(spec->probe(C, bytes(reply)), Confidence::No);  // a reply is no request
  EXPECT_EQ(spec->probe(C, bytes(op_query(1, "admin.$cmd", Bson().i32("isMaster", 1)))),
            Confidence::Yes);
  EXPECT_EQ(spec->probe(C, bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), Confidence::No);
  EXPECT_EQ(
      spec->probe(
          C, bytes(std::string(
                 "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x8a\x1b\x2c\x3d\x4e\x5f\x60\x71\x82",
                 20))),
      Confidence::No);
}

// SCRAM-SHA-256 over OP_MSG (with a kind-1 section and a checksum): the RFC 7677 exchange.
TEST(MongodbAnalyzer, ScramSha256OverOpMsgAtEverySplit) {
  std::vector<Turn> turns = {
      {C, op_msg(1, 0,
                 Bson()
                     .i32("saslStart", 1)
                     .str("mechanism", "SCRAM-SHA-256")
                     .bin("payload", k256First)
                     .doc("options", Bson().boolean("skipEmptyExchange", true))
                     .str("$db", "admin"),
                 true)},
      {S, op_msg(2, 1, ok_reply(1, k256ServerFirst, false), true)},
      {C, op_msg(3, 0,
                 Bson()
                     .i32("saslContinue", 1)
                     .i32("conversationId", 1)
                     .bin("payload", k256Final)
                     .str("$db", "admin"))},
      {S, op_msg(4, 3, ok_reply(1, k256ServerFinal, true))},
  };
  for (uint16_t port : {27017, 27999}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), turns, {}, with_weird());
    auto a = auths(log);
    ASSERT_EQ(a.size(), 1u) << port;
    EXPECT_EQ(field(a[0], "service"), "mongodb");
    EXPECT_EQ(field(a[0], "user"), "user");
    EXPECT_EQ(field(a[0], "mechanism"), "SCRAM-SHA-256");
    EXPECT_EQ(field(a[0], "database"), "admin");
    EXPECT_EQ(field(a[0], "result"), "success");
    const auto& c = a[0]["credential"];
    EXPECT_EQ(field(c, "client_first"), k256First);
    EXPECT_EQ(field(c, "server_first"), k256ServerFirst);
    EXPECT_EQ(field(c, "client_final"), k256Final);
    EXPECT_EQ(field(c, "server_final"), k256ServerFinal);
    EXPECT_FALSE(a[0].HasMember("password"));
    EXPECT_TRUE(weird(log).empty());
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "");
  }
}

// Legacy handshake: OP_QUERY isMaster carrying speculativeAuthenticate (answered), then
// saslContinue over OP_QUERY; escaped user name; then a second login on the connection
// that fails with code 18.
TEST(MongodbAnalyzer, SpeculativeScramSha1OverOpQueryThenFailure) {
  std::string first = "n,,n=us=2Cer=3Dx,r=fyko+d2lbbFgONRv9qkxdawL";
  std::vector<Turn> turns = {
      {C, op_query(1, "admin.$cmd",
                   Bson()
                       .i32("isMaster", 1)
                       .doc("speculativeAuthenticate", Bson()
                                                           .i32("saslStart", 1)
                                                           .str("mechanism", "SCRAM-SHA-1")
                                                           .bin("payload", first)
                                                           .str("db", "app")))},
      {S, op_reply(2, 1,
                   Bson()
                       .boolean("ismaster", true)
                       .doc("speculativeAuthenticate", ok_reply(7, k1ServerFirst, false))
                       .dbl("ok", 1))},
      {C, op_query(3, "app.$cmd",
                   Bson().i32("saslContinue", 1).i32("conversationId", 7).bin("payload", k1Final))},
      {S, op_reply(4, 3, ok_reply(7, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", false))},
      {C, op_query(5, "app.$cmd",
                   Bson().i32("saslContinue", 1).i32("conversationId", 7).bin("payload", ""))},
      {S, op_reply(6, 5, ok_reply(7, "", true))},
      {C, op_query(7, "admin.$cmd",
                   Bson()
                       .doc("$query", Bson()
                                          .i32("saslStart", 1)
                                          .str("mechanism", "SCRAM-SHA-1")
                                          .bin("payload", "n,,n=eve,r=abc"))
                       .doc("$readPreference", Bson().str("mode", "primary")))},
      {S, op_reply(8, 7, ok_reply(8, "r=abcdef,s=QSXCR+Q6sek8bf92,i=4096", false))},
      {C, op_query(9, "admin.$cmd",
                   Bson()
                       .i32("saslContinue", 1)
                       .i32("conversationId", 8)
                       .bin("payload", "c=biws,r=abcdef,p=AAAA"))},
      {S, op_reply(10, 9, auth_failed())},
  };
  auto a = auths(test::play(analyzer_registry(), test::test_flow(27017), turns));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(field(a[0], "user"), "us,er=x");
  EXPECT_EQ(field(a[0], "mechanism"), "SCRAM-SHA-1");
  EXPECT_EQ(field(a[0], "database"), "app");
  EXPECT_EQ(field(a[0], "result"), "success");
  EXPECT_EQ(field(a[0]["credential"], "server_final"), "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  EXPECT_EQ(field(a[1], "user"), "eve");
  EXPECT_EQ(field(a[1], "database"), "admin");
  EXPECT_EQ(field(a[1], "result"), "failure");
  EXPECT_EQ(field(a[1], "reason"), "18 AuthenticationFailed: Authentication failed.");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(27017), turns), "");
}

// A speculativeAuthenticate the server ignores is no login: the driver's saslStart is.
TEST(MongodbAnalyzer, UnansweredSpeculationIsNotAnAttempt) {
  std::vector<Turn> turns = {
      {C, op_msg(1, 0,
                 Bson()
                     .i32("hello", 1)
                     .doc("speculativeAuthenticate", Bson()
                                                         .i32("saslStart", 1)
                                                         .str("mechanism", "SCRAM-SHA-256")
                                                         .bin("payload", k256First)
                                                         .str("db", "admin"))
                     .str("$db", "admin"))},
      {S, op_msg(2, 1, Bson().boolean("isWritablePrimary", true).dbl("ok", 1))},
      {C, op_msg(3, 0,
                 Bson()
                     .i32("saslStart", 1)
                     .str("mechanism", "SCRAM-SHA-256")
                     .bin("payload", k256First)
                     .str("$db", "admin"))},
      {S, op_msg(4, 3, auth_failed())},
  };
  auto a = auths(test::play(analyzer_registry(), test::test_flow(27017), turns));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(field(a[0], "result"), "failure");
}

// OP_COMPRESSED with each compressor: the inner OP_MSG is read as if sent plain.
TEST(MongodbAnalyzer, CompressedMessages) {
  for (uint8_t how : {0, 1, 2, 3}) {
    std::string start = op_msg_body(Bson()
                                        .i32("saslStart", 1)
                                        .str("mechanism", "PLAIN")
                                        .bin("payload", std::string("\0ldapuser\0s3cret", 16))
                                        .str("$db", "$external"));
    std::string ok = op_msg_body(
        Bson().i32("conversationId", 1).boolean("done", true).bin("payload", "").dbl("ok", 1));
    std::vector<Turn> turns = {{C, op_compressed(1, 0, start, how)},
                               {S, op_compressed(2, 1, ok, how)}};
    auto log = test::play(analyzer_registry(), test::test_flow(27017), turns, {}, with_weird());
    auto a = auths(log);
    ASSERT_EQ(a.size(), 1u) << int(how);
    EXPECT_EQ(field(a[0], "user"), "ldapuser");
    EXPECT_EQ(field(a[0], "password"), "s3cret");
    EXPECT_EQ(field(a[0], "mechanism"), "PLAIN");
    EXPECT_EQ(field(a[0], "database"), "$external");
    EXPECT_EQ(field(a[0], "result"), "success");
    EXPECT_TRUE(weird(log).empty()) << int(how);
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(27017), turns), "");
  }
}

TEST(MongodbAnalyzer, MongodbCrAndX509) {
  std::vector<Turn> turns = {
      {C, op_query(1, "admin.$cmd", Bson().i32("getnonce", 1))},
      {S, op_reply(2, 1, Bson().str("nonce", "2375531c32080ae8").dbl("ok", 1))},
      {C, op_query(3, "admin.$cmd",
                   Bson()
                       .i32("authenticate", 1)
                       .str("user", "bob")
                       .str("nonce", "2375531c32080ae8")
                       .str("key", "21742f26431831d5cfca035a08c5bdf6"))},
      {S, op_reply(4, 3, Bson().dbl("ok", 0).str("errmsg", "auth failed").i32("code", 18))},
      {C, op_msg(5, 0,
                 Bson()
                     .i32("authenticate", 1)
                     .str("mechanism", "MONGODB-X509")
                     .str("user", "CN=client,OU=KernelUser,O=MongoDB")
                     .str("$db", "$external"))},
      {S, op_msg(6, 5, Bson().str("dbname", "$external").str("user", "CN=client").dbl("ok", 1))},
  };
  auto a = auths(test::play(analyzer_registry(), test::test_flow(27017), turns));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(field(a[0], "mechanism"), "MONGODB-CR");
  EXPECT_EQ(field(a[0], "user"), "bob");
  EXPECT_EQ(field(a[0]["credential"], "nonce"), "2375531c32080ae8");
  EXPECT_EQ(field(a[0]["credential"], "key"), "21742f26431831d5cfca035a08c5bdf6");
  EXPECT_EQ(field(a[0], "result"), "failure");
  EXPECT_EQ(field(a[0], "reason"), "18: auth failed");
  EXPECT_EQ(field(a[1], "mechanism"), "MONGODB-X509");
  EXPECT_EQ(field(a[1], "user"), "CN=client,OU=KernelUser,O=MongoDB");
  EXPECT_EQ(field(a[1], "result"), "success");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(27017), turns), "");
}

TEST(MongodbAnalyzer, UnansweredAtCloseIsUnknown) {
  std::vector<Turn> turns = {
      {C, op_msg(1, 0,
                 Bson()
                     .i32("saslStart", 1)
                     .str("mechanism", "SCRAM-SHA-1")
                     .bin("payload", "n,,n=late,r=x"))},
  };
  auto a = auths(test::play(analyzer_registry(), test::test_flow(27017), turns));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(field(a[0], "user"), "late");
  EXPECT_EQ(field(a[0], "result"), "unknown");
}

TEST(MongodbAnalyzer, BadInputIsNamed) {
  auto run = [](std::vector<Turn> turns) {
    return weird(test::play(analyzer_registry(), test::test_flow(27017), turns, {}, with_weird()));
  };
  std::string hello = op_msg(1, 0, Bson().i32("ping", 1).str("$db", "admin"));
  EXPECT_EQ(run({{C, hello}, {C, le32(8) + std::string(12, 'x')}}),
            std::vector<std::string>{"mongodb.bad_length"});
  std::string bad_sum = op_msg(2, 0, Bson().i32("ping", 1), true);
  bad_sum.back() ^= 1;
  EXPECT_EQ(run({{C, hello}, {C, bad_sum}}), std::vector<std::string>{"mongodb.bad_checksum"});
  std::string z = op_compressed(3, 0, op_msg_body(Bson().i32("ping", 1)), 2);
  z[16 + 4] ^= 1;  // the declared uncompressed size no longer matches
  EXPECT_EQ(run({{C, hello}, {C, z}}), std::vector<std::string>{"mongodb.decompression_failed"});
  std::string big = op_compressed(4, 0, op_msg_body(Bson().i32("ping", 1)), 2);
  big.replace(16 + 4, 4, le32(64 << 20));
  EXPECT_EQ(run({{C, hello}, {C, big}}), std::vector<std::string>{"mongodb.compressed_too_large"});
  std::string two_bodies = hello;
  two_bodies.replace(0, 4, le32(uint32_t(hello.size() + 1)));
  two_bodies += '\x02';
  EXPECT_EQ(run({{C, hello}, {C, two_bodies}}), std::vector<std::string>{"mongodb.bad_message"});
}

// 100 000 logins on one connection, and a 40 MB insert skipped as its bytes pass.
// Counts auth events by result straight from the events (no JSON text: 100 000 of them).
struct ResultCounts final : EventSink {
  std::map<std::string, size_t> by_result;
  size_t weird = 0;
  void emit(const Event& e) override {
    std::string_view kind = e.kind();
    if (kind == "weird") ++weird;
    if (kind == "auth") ++by_result[e.doc()["result"].GetString()];
  }
};

TEST(MongodbAnalyzer, HostileVolumesStayBounded) {
  ResultCounts log;
  BufferBudget budget;
  AppLayer engine(analyzer_registry(), with_weird(), log, budget);
  AppFlow state;
  FlowInfo flow = test::test_flow(27017);
  engine.start(state, flow, Transport::Tcp);
  std::string big_head = header(40u << 20, 77, 0, mongodb::kOpMsg);
  engine.data(state, C, bytes(big_head));
  std::string chunk(1 << 20, '\x11');
  for (int i = 0; i < 40; ++i) engine.data(state, C, bytes(chunk));
  constexpr uint32_t kN = 100000;
  std::string start = op_msg(0, 0,
                             Bson()
                                 .i32("saslStart", 1)
                                 .str("mechanism", "SCRAM-SHA-256")
                                 .bin("payload", "n,,n=u,r=x")
                                 .str("$db", "admin"));
  std::string fail = op_msg(0, 0, auth_failed());
  for (uint32_t i = 1; i <= kN; ++i) {
    start.replace(4, 4, le32(i));
    fail.replace(8, 4, le32(i));
    engine.data(state, C, bytes(start));
    engine.data(state, S, bytes(fail));
  }
  EXPECT_EQ(engine.stats().analyzer_errors, 0u);
  EXPECT_EQ(engine.stats().analyzer_tail_overflows, 0u);
  engine.close(state);
  EXPECT_EQ(budget.held, 0u);
  EXPECT_EQ(log.by_result["failure"], size_t(kN));
  EXPECT_EQ(log.by_result.size(), 1u);
  EXPECT_EQ(log.weird, 0u);
}

// ---- protocol variants (OP_MSG specification, SCRAM auth spec, legacy handshakes) -------

// Plays `turns` on 27017 and on 27999 (claimed by content), every split alike, with no
// anomaly; the logins.
std::vector<rapidjson::Document> variant_auths(const std::vector<Turn>& turns) {
  for (uint16_t port : {27017, 27999})
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "")
        << port;
  auto other = test::play(analyzer_registry(), test::test_flow(27999), turns, {}, with_weird());
  auto log = test::play(analyzer_registry(), test::test_flow(27017), turns, {}, with_weird());
  EXPECT_TRUE(weird(log).empty());
  EXPECT_EQ(auths(other).size(), auths(log).size());
  return auths(log);
}

TEST(MongodbVariants, ScramWithoutSkipEmptyExchangeTakesAnEmptyThirdStep) {
  // Without options.skipEmptyExchange the server's v= comes with done:false and the
  // client answers with an empty payload; payloads are strings here, not BinData.
  auto a = variant_auths({
      {C, op_msg(1, 0,
                 Bson()
                     .i32("saslStart", 1)
                     .str("mechanism", "SCRAM-SHA-256")
                     .str("payload", k256First)
                     .i32("autoAuthorize", 1)
                     .str("$db", "admin"))},
      {S, op_msg(2, 1,
                 Bson()
                     .i32("conversationId", 1)
                     .boolean("done", false)
                     .str("payload", k256ServerFirst)
                     .dbl("ok", 1))},
      {C, op_msg(3, 0,
                 Bson()
                     .i32("saslContinue", 1)
                     .i32("conversationId", 1)
                     .str("payload", k256Final)
                     .str("$db", "admin"))},
      {S, op_msg(4, 3,
                 Bson()
                     .i32("conversationId", 1)
                     .boolean("done", false)
                     .str("payload", k256ServerFinal)
                     .dbl("ok", 1))},
      {C, op_msg(5, 0,
                 Bson()
                     .i32("saslContinue", 1)
                     .i32("conversationId", 1)
                     .bin("payload", "")
                     .str("$db", "admin"))},
      {S, op_msg(6, 5, ok_reply(1, "", true))},
  });
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(field(a[0], "user"), "user");
  EXPECT_EQ(field(a[0], "result"), "success");
  EXPECT_EQ(field(a[0]["credential"], "client_final"), k256Final);
  EXPECT_EQ(field(a[0]["credential"], "server_final"), k256ServerFinal);
}

TEST(MongodbVariants, SpeculativeInHelloAndInLowerCaseIsmaster) {
  // OP_MSG hello with speculativeAuthenticate {saslStart, mechanism, payload, db}.
  auto a = variant_auths({
      {C, op_msg(1, 0,
                 Bson()
                     .i32("hello", 1)
                     .boolean("helloOk", true)
                     .doc("speculativeAuthenticate", Bson()
                                                         .i32("saslStart", 1)
                                                         .str("mechanism", "SCRAM-SHA-256")
                                                         .bin("payload", k256First)
                                                         .str("db", "reports"))
                     .str("$db", "admin"))},
      {S, op_msg(2, 1,
                 Bson()
                     .boolean("isWritablePrimary", true)
                     .doc("speculativeAuthenticate", ok_reply(1, k256ServerFirst, false))
                     .dbl("ok", 1))},
      {C, op_msg(3, 0,
                 Bson()
                     .i32("saslContinue", 1)
                     .i32("conversationId", 1)
                     .bin("payload", k256Final)
                     .str("$db", "reports"))},
      {S, op_msg(4, 3,
                 Bson()
                     .i32("conversationId", 1)
                     .boolean("done", true)
                     .bin("payload", "e=invalid-proof")
                     .dbl("ok", 1))},
  });
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(field(a[0], "database"), "reports");
  EXPECT_EQ(field(a[0], "result"), "failure");
  EXPECT_EQ(field(a[0], "reason"), "invalid-proof");
  // Legacy OP_QUERY "ismaster" (lower case, as old drivers spell it) with X.509.
  a = variant_auths({
      {C, op_query(1, "admin.$cmd",
                   Bson()
                       .i32("ismaster", 1)
                       .doc("speculativeAuthenticate", Bson()
                                                           .i32("authenticate", 1)
                                                           .str("mechanism", "MONGODB-X509")
                                                           .str("db", "$external")))},
      {S, op_reply(2, 1,
                   Bson()
                       .boolean("ismaster", true)
                       .doc("speculativeAuthenticate",
                            Bson().str("dbname", "$external").str("user", "CN=app,O=Example"))
                       .dbl("ok", 1))},
  });
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(field(a[0], "mechanism"), "MONGODB-X509");
  EXPECT_EQ(field(a[0], "user"), "CN=app,O=Example");
  EXPECT_EQ(field(a[0], "database"), "$external");
  EXPECT_EQ(field(a[0], "result"), "success");
}

TEST(MongodbVariants, X509WithoutUserAndPlainForLdap) {
  auto a = variant_auths({
      // MONGODB-X509 without "user": the server names the certificate's subject.
      {C,
       op_msg(
           1, 0,
           Bson().i32("authenticate", 1).str("mechanism", "MONGODB-X509").str("$db", "$external"))},
      {S,
       op_msg(2, 1, Bson().str("dbname", "$external").str("user", "CN=svc,OU=Apps").dbl("ok", 1))},
      // PLAIN (LDAP proxy authentication) on $external: the password is in the payload.
      {C, op_msg(3, 0,
                 Bson()
                     .i32("saslStart", 1)
                     .str("mechanism", "PLAIN")
                     .bin("payload", std::string("\0ldapuser\0ldap-pw", 17))
                     .i32("autoAuthorize", 1)
                     .str("$db", "$external"))},
      {S, op_msg(4, 3, auth_failed())},
  });
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(field(a[0], "user"), "CN=svc,OU=Apps");
  EXPECT_EQ(field(a[0], "result"), "success");
  EXPECT_EQ(field(a[1], "mechanism"), "PLAIN");
  EXPECT_EQ(field(a[1], "user"), "ldapuser");
  EXPECT_EQ(field(a[1], "password"), "ldap-pw");
  EXPECT_EQ(field(a[1], "database"), "$external");
  EXPECT_EQ(field(a[1], "result"), "failure");
  EXPECT_EQ(field(a[1], "reason"), "18 AuthenticationFailed: Authentication failed.");
}

TEST(MongodbVariants, MoreToComeMessagesBetweenLoginSteps) {
  // A fire-and-forget write (moreToCome: no reply) between saslStart and its reply, and
  // its kind-1 document sequence: the login's replies still pair by responseTo.
  std::string docs = Bson().i32("_id", 7).bytes() + Bson().i32("_id", 8).bytes();
  std::string seq = std::string(1, '\x01') + le32(uint32_t(4 + 10 + docs.size())) +
                    std::string("documents\0", 10) + docs;
  std::string body = op_msg_body(Bson().str("insert", "log").str("$db", "app"), 2, seq);
  std::string fire_and_forget = header(uint32_t(body.size()), 9, 0, mongodb::kOpMsg) + body;
  auto a = variant_auths({
      {C, op_msg(1, 0,
                 Bson()
                     .i32("saslStart", 1)
                     .str("mechanism", "SCRAM-SHA-1")
                     .bin("payload", "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL")
                     .str("$db", "admin"))},
      {C, fire_and_forget},
      {S, op_msg(2, 1, ok_reply(1, k1ServerFirst, false), true)},
      {C, op_msg(3, 0,
                 Bson()
                     .i32("saslContinue", 1)
                     .i32("conversationId", 1)
                     .bin("payload", k1Final)
                     .str("$db", "admin"),
                 true)},
      {S, op_msg(4, 3, ok_reply(1, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", true), true)},
  });
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(field(a[0], "mechanism"), "SCRAM-SHA-1");
  EXPECT_EQ(field(a[0], "result"), "success");
  EXPECT_EQ(field(a[0]["credential"], "server_final"), "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
}

}  // namespace
}  // namespace netsift
