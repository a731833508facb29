// Redis logins through the real app-layer engine: byte-exact RESP2/RESP3 and inline
// commands as the protocol specification (redis.io/docs/reference/protocol-spec) writes
// them, cut at every offset; pipelines paired in order; hostile sizes stay bounded.
#include "analyzers/redis/redis_analyzer.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/redis/resp_reader.h"
#include "analyzers/registry.h"

namespace netsift {
namespace {

using test::Turn;
constexpr Dir C = Dir::ToServer;
constexpr Dir S = Dir::ToClient;

// A command as every client sends it: an array of bulk strings.
std::string cmd(std::initializer_list<std::string_view> args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) s += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
  return s;
}

ByteView bytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

struct Auth {
  std::string user, password, mechanism, result, reason;
};

std::vector<Auth> auths(const test::EventLog& log) {
  std::vector<Auth> out;
  for (const auto& line : log.lines) {
    rapidjson::Document d;
    d.Parse(line.data(), line.size());  // sized: no SSE2 reads past the string
    if (std::string(d["event"].GetString()) != "auth") continue;
    EXPECT_STREQ(d["service"].GetString(), "redis");
    auto get = [&](const char* k) {
      return d.HasMember(k) ? std::string(d[k].GetString()) : std::string();
    };
    out.push_back({get("user"), get("password"), get("mechanism"), get("result"), get("reason")});
  }
  return out;
}

std::vector<std::string> weird(const test::EventLog& log) {
  std::vector<std::string> out;
  for (const auto& line : log.lines) {
    rapidjson::Document d;
    d.Parse(line.data(), line.size());  // sized: no SSE2 reads past the string
    if (std::string(d["event"].GetString()) == "weird") out.push_back(d["name"].GetString());
  }
  return out;
}

AppLayerConfig with_weird() {
  AppLayerConfig c;
  c.weird_events = true;
  return c;
}

TEST(RedisAnalyzer, Probe) {
  const AnalyzerSpec* spec = find_analyzer("redis");
  ASSERT_NE(spec, nullptr);
  auto probe = [&](Dir d, std::string_view s) { return spec->probe(d, bytes(s)); };
  EXPECT_EQ(probe(C, cmd({"AUTH", "pw"})), Confidence::Yes);
  EXPECT_EQ(probe(C, "*2\r\n$4\r\nAU"), Confidence::Maybe);
  EXPECT_EQ(probe(C, "*"), Confidence::Maybe);
  EXPECT_EQ(probe(C, "PING\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(C, "AUTH s3cret\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(C, "HELLO 3 AUTH u p\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(C, "AUTH"), Confidence::Maybe);
  // Other protocols' first client lines.
  EXPECT_EQ(probe(C, "AUTH TLS\r\n"), Confidence::No);                 // FTP
  EXPECT_EQ(probe(C, "AUTH PLAIN AGFsaWNlAHB3\r\n"), Confidence::No);  // POP3/SMTP
  EXPECT_EQ(probe(C, "EHLO mail.example\r\n"), Confidence::No);
  EXPECT_EQ(probe(C, "GET / HTTP/1.1\r\n"), Confidence::No);
  EXPECT_EQ(probe(C, "USER bob\r\n"), Confidence::No);
  EXPECT_EQ(probe(C, "*1\r\n$0\r\n\r\n"), Confidence::No);
  EXPECT_EQ(probe(C, std::string("\x16\x03\x01\x02\x00", 5)), Confidence::No);
  EXPECT_EQ(probe(S, "-NOAUTH Authentication required.\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(S, "+OK POP3 ready\r\n"), Confidence::No);
  EXPECT_EQ(probe(S, "220 smtp\r\n"), Confidence::No);
}

// The three outcomes the spec and redis-server give, on the default and an unusual port
// (found by content), cut at every offset of every turn.
TEST(RedisAnalyzer, AuthOutcomesAtEverySplit) {
  std::vector<Turn> turns = {
      {C, cmd({"AUTH", "notauser", "notapassword"})},
      {S, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
      {C, "AUTH onlypass\r\n"},  // inline, password only: the "default" user
      {S,
       "-ERR AUTH <password> called without any password configured for the default "
       "user. Are you sure your configuration is correct?\r\n"},
      {C, cmd({"AUTH", "alice", "alice-Redis2"})},
      {S, "+OK\r\n"},
  };
  for (uint16_t port : {6379, 16379}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), turns);
    auto a = auths(log);
    ASSERT_EQ(a.size(), 3u) << port;
    EXPECT_EQ(a[0].user, "notauser");
    EXPECT_EQ(a[0].password, "notapassword");
    EXPECT_EQ(a[0].mechanism, "AUTH");
    EXPECT_EQ(a[0].result, "failure");
    EXPECT_EQ(a[0].reason, "WRONGPASS invalid username-password pair or user is disabled.");
    EXPECT_EQ(a[1].user, "default");
    EXPECT_EQ(a[1].password, "onlypass");
    EXPECT_EQ(a[1].result, "failure");
    EXPECT_TRUE(a[1].reason.starts_with("ERR AUTH <password> called without"));
    EXPECT_EQ(a[2].user, "alice");
    EXPECT_EQ(a[2].result, "success");
    EXPECT_EQ(a[2].reason, "");
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "");
  }
}

// A pipeline: the client sends everything before the first reply. The NOPERM error
// answers GET, not the AUTH before it; the AUTH after it gets the last reply.
TEST(RedisAnalyzer, PipelinePairsRepliesInOrder) {
  std::vector<Turn> turns = {
      {C, cmd({"PING"}) + cmd({"AUTH", "bob", "wrong"}) + cmd({"AUTH", "bob", "right"}) +
              cmd({"GET", "secret"}) + "SET k v\r\n" + cmd({"AUTH", "carol", "x"})},
      {S,
       "+PONG\r\n-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n"
       "-NOPERM User bob has no permissions to access the 'secret' key\r\n+OK\r\n"
       "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
  };
  auto a = auths(test::play(analyzer_registry(), test::test_flow(6379), turns));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].user + "/" + a[0].password + "/" + a[0].result, "bob/wrong/failure");
  EXPECT_EQ(a[1].user + "/" + a[1].password + "/" + a[1].result, "bob/right/success");
  EXPECT_EQ(a[2].user + "/" + a[2].result, "carol/failure");
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(6379), turns), "");
}

// AUTH inside MULTI/EXEC: the immediate reply is +QUEUED; the outcome is the AUTH's
// element in EXEC's array (an error element: failure), counted among all the queued
// commands, aggregates included. A transaction EXEC aborts (a command refused while
// queueing), a WATCH abort (null array) and DISCARD leave the logins unknown.
TEST(RedisAnalyzer, AuthInsideMultiTakesItsOutcomeFromExec) {
  std::vector<Turn> turns = {
      {C, cmd({"MULTI"}) + cmd({"LRANGE", "l", "0", "-1"}) + cmd({"AUTH", "dan", "bad"}) +
              cmd({"INCR", "n"}) + cmd({"AUTH", "dan", "good"}) + cmd({"EXEC"})},
      {S,
       "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
       "*4\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
       "-WRONGPASS invalid username-password pair or user is disabled.\r\n:7\r\n+OK\r\n"},
      {C, cmd({"MULTI"}) + cmd({"AUTH", "eve", "pw1"}) + cmd({"EXEC"})},
      {S, "+OK\r\n+QUEUED\r\n*-1\r\n"},  // a WATCHed key changed: nothing ran
      {C, cmd({"MULTI"}) + cmd({"AUTH", "eve", "pw2"}) + cmd({"GET"}) + cmd({"EXEC"})},
      {S,
       "+OK\r\n+QUEUED\r\n-ERR wrong number of arguments for 'get' command\r\n"
       "-EXECABORT Transaction discarded because of previous errors.\r\n"},
      {C, cmd({"MULTI"}) + cmd({"AUTH", "eve", "pw3"}) + cmd({"DISCARD"}) +
              cmd({"AUTH", "eve", "pw4"})},
      {S, "+OK\r\n+QUEUED\r\n+OK\r\n+OK\r\n"},
  };
  auto a = auths(test::play(analyzer_registry(), test::test_flow(6379), turns));
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0].user + "/" + a[0].password + "/" + a[0].result, "dan/bad/failure");
  EXPECT_TRUE(a[0].reason.starts_with("WRONGPASS")) << a[0].reason;
  EXPECT_EQ(a[1].user + "/" + a[1].password + "/" + a[1].result, "dan/good/success");
  EXPECT_EQ(a[2].password + "/" + a[2].result + "/" + a[2].reason,
            "pw1/unknown/transaction not run");
  EXPECT_EQ(a[3].password + "/" + a[3].result, "pw2/unknown");
  EXPECT_TRUE(a[3].reason.starts_with("EXECABORT")) << a[3].reason;
  EXPECT_EQ(a[4].password + "/" + a[4].result + "/" + a[4].reason,
            "pw3/unknown/transaction discarded");
  EXPECT_EQ(a[5].password + "/" + a[5].result, "pw4/success");  // after DISCARD: not queued
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(6379), turns), "");
}

// HELLO 3 AUTH: the RESP3 map reply means success; every RESP3 type, an attribute and
// out-of-band pushes in between must not shift the pairing.
TEST(RedisAnalyzer, HelloAuthAndResp3Replies) {
  std::vector<Turn> turns = {
      {C, cmd({"HELLO", "3", "SETNAME", "AUTH", "AUTH", "app", "app-pw"})},
      {S,
       "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n"
       "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:5\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
       "$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"},
      {C, cmd({"DEBUG", "PROTOCOL", "attrib"}) + cmd({"SMEMBERS", "s"}) + cmd({"X"}) + cmd({"Y"}) +
              cmd({"Z"}) + cmd({"HELLO", "3", "AUTH", "app", "bad"})},
      {S,
       "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
       "*2\r\n:2039123\r\n:9543892\r\n"                   // the attribute annotates this reply
       ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"  // push: not a reply
       "~3\r\n_\r\n#t\r\n(3492890328409238509324850943850943825024385\r\n"
       "=15\r\ntxt:Some string\r\n"
       "*?\r\n:1\r\n$?\r\n;4\r\nHell\r\n;1\r\no\r\n;0\r\n.\r\n"  // streamed aggregate
       "!21\r\nSYNTAX invalid syntax\r\n"
       "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(6379), turns, {}, with_weird());
  auto a = auths(log);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].user, "app");
  EXPECT_EQ(a[0].password, "app-pw");
  EXPECT_EQ(a[0].mechanism, "HELLO AUTH");
  EXPECT_EQ(a[0].result, "success");
  EXPECT_EQ(a[1].password, "bad");
  EXPECT_EQ(a[1].result, "failure");
  EXPECT_TRUE(weird(log).empty());
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(6379), turns), "");
}

TEST(RedisAnalyzer, InlineQuotingAsRedisServerSplitsIt) {
  std::vector<Turn> turns = {
      {C, "AUTH \"us er\" 'it\\'s'\r\n"},
      {S, "+OK\r\n"},
      {C, "auth \"p\\x41\\n\"\n"},
      {S, "+OK\r\n"},
  };
  auto a = auths(test::play(analyzer_registry(), test::test_flow(6379), turns));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].user, "us er");
  EXPECT_EQ(a[0].password, "it's");
  EXPECT_EQ(a[1].password, "pA\\n");  // a control character is escaped
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(6379), turns), "");
}

// Bytes that are not clean UTF-8 are escaped (\xNN) so every event stays valid JSON.
TEST(RedisAnalyzer, BinaryCredentialsAreEscaped) {
  std::vector<Turn> turns = {{C, cmd({"AUTH", "\xff\xfeu", "p\xc3"})}, {S, "+OK\r\n"}};
  auto a = auths(test::play(analyzer_registry(), test::test_flow(6379), turns));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].user, "\\xff\\xfeu");
  EXPECT_EQ(a[0].password, "p\\xc3");
}

// Subscribed mode (RESP2): confirmations and messages are not replies to later commands.
TEST(RedisAnalyzer, PubSubDoesNotShiftPairing) {
  std::vector<Turn> turns = {
      {C, cmd({"SUBSCRIBE", "a", "b"})},
      {S,
       "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
       "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n"},
      {C, cmd({"UNSUBSCRIBE"})},
      {S,
       "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n"
       ":0\r\n"},
      {C, cmd({"AUTH", "x"})},
      {S, "+OK\r\n"},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(6379), turns, {}, with_weird());
  auto a = auths(log);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].result, "success");
  EXPECT_TRUE(weird(log).empty());
}

// CLIENT REPLY OFF: the server stays silent, so the AUTH in between can have no outcome.
TEST(RedisAnalyzer, RepliesOffAndUnansweredAreUnknown) {
  std::vector<Turn> turns = {
      {C,
       cmd({"CLIENT", "REPLY", "OFF"}) + cmd({"AUTH", "a", "b"}) + cmd({"CLIENT", "REPLY", "ON"})},
      {S, "+OK\r\n"},
      {C, cmd({"CLIENT", "REPLY", "SKIP"}) + cmd({"SET", "k", "v"}) + cmd({"AUTH", "c", "d"})},
      {S, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
      {C, cmd({"AUTH", "e", "f"})},  // the capture ends before the answer
  };
  auto a = auths(test::play(analyzer_registry(), test::test_flow(6379), turns));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].user + a[0].result, "aunknown");
  EXPECT_EQ(a[1].user + a[1].result, "cfailure");
  EXPECT_EQ(a[2].user + a[2].result, "eunknown");
}

// A bulk string claiming 2 GB is skipped as its bytes pass: nothing is buffered, and the
// login after it is still found.
TEST(RedisAnalyzer, TwoGigabyteBulkIsSkippedIncrementally) {
  test::EventLog log;
  BufferBudget budget;
  AppLayer engine(analyzer_registry(), with_weird(), log, budget);
  AppFlow state;
  FlowInfo flow = test::test_flow(6379);
  engine.start(state, flow, Transport::Tcp);
  const uint64_t kBig = uint64_t(2) << 30;
  std::string head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(kBig) + "\r\n";
  engine.data(state, C, bytes(head));
  std::string chunk(1 << 20, 'x');
  for (uint64_t sent = 0; sent < kBig; sent += chunk.size()) engine.data(state, C, bytes(chunk));
  engine.data(state, C, bytes("\r\n" + cmd({"AUTH", "big", "pw"})));
  engine.data(state, S, bytes("+OK\r\n+OK\r\n"));
  EXPECT_EQ(engine.stats().analyzer_errors, 0u);
  EXPECT_EQ(engine.stats().analyzer_tail_overflows, 0u);
  EXPECT_EQ(budget.held, 0u);
  engine.close(state);
  auto a = auths(log);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].user + a[0].result, "bigsuccess");
}

// Counts auth events by result straight from the events (no JSON text: 100 000 of them).
struct ResultCounts final : EventSink {
  std::map<std::string, size_t> by_result;
  size_t weird = 0;
  std::string last;  // password/result of the last auth event
  void emit(const Event& e) override {
    std::string_view kind = e.kind();
    if (kind == "weird") ++weird;
    if (kind != "auth") return;
    const auto& d = e.doc();
    std::string result = d["result"].GetString();
    ++by_result[result];
    last = std::string(d["password"].GetString()) + "/" + result;
  }
};

void play_into(EventSink& sink, const std::vector<Turn>& turns) {
  BufferBudget budget;
  AppLayer engine(analyzer_registry(), with_weird(), sink, budget);
  AppFlow state;
  FlowInfo flow = test::test_flow(6379);
  engine.start(state, flow, Transport::Tcp);
  for (const auto& t : turns) engine.data(state, t.dir, bytes(t.bytes));
  engine.close(state);
}

// 100 000 logins on one connection: answered one by one they all become events; sent
// all at once before any reply, the queue stays capped and the excess is reported
// unknown (with an anomaly) while the replies after it still pair with the right command.
TEST(RedisAnalyzer, HundredThousandAuthsStayBounded) {
  constexpr size_t kN = 100000;
  std::string one = cmd({"AUTH", "u", "p"});
  std::string all, replies;
  for (size_t i = 0; i < kN; ++i) all += one, replies += "-WRONGPASS no\r\n";
  all += cmd({"AUTH", "u", "last"});
  replies += "+OK\r\n";
  ResultCounts a;
  play_into(a, {{C, all}, {S, replies}});
  EXPECT_EQ(a.by_result["unknown"] + a.by_result["failure"] + a.by_result["success"], kN + 1);
  EXPECT_GT(a.by_result["unknown"], 0u);
  EXPECT_GT(a.by_result["failure"], 0u);
  EXPECT_EQ(a.by_result["success"], 1u);
  EXPECT_EQ(a.last, "last/success");
  EXPECT_GT(a.weird, 0u);

  std::vector<Turn> ping_pong;
  for (size_t i = 0; i < kN; ++i)
    ping_pong.push_back({C, one}), ping_pong.push_back({S, "+OK\r\n"});
  ResultCounts b;
  play_into(b, ping_pong);
  EXPECT_EQ(b.by_result["success"], kN);
  EXPECT_EQ(b.by_result.size(), 1u);
  EXPECT_EQ(b.weird, 0u);
}

TEST(RedisAnalyzer, BadInputIsNamedAndStops) {
  auto run = [](std::vector<Turn> turns) {
    return weird(test::play(analyzer_registry(), test::test_flow(6379), turns, {}, with_weird()));
  };
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "*1\r\n";
  EXPECT_EQ(run({{C, cmd({"PING"})}, {S, deep}}), std::vector<std::string>{"redis.too_deep"});
  EXPECT_EQ(run({{C, "*1\r\n$4\r\nPINGxx\r\n"}}), std::vector<std::string>{"redis.bad_message"});
  EXPECT_EQ(run({{C, cmd({"PING"})}, {S, "?what\r\n"}}),
            std::vector<std::string>{"redis.bad_message"});
  EXPECT_EQ(run({{C, cmd({"PING"})}, {S, "+" + std::string(20000, 'a')}}),
            std::vector<std::string>{"redis.line_too_long"});
  EXPECT_EQ(run({{C, "AUTH \"open\r\n"}}), std::vector<std::string>{"redis.bad_message"});
  EXPECT_EQ(run({{S, "+OK\r\n"}, {C, cmd({"PING"})}, {S, "+OK\r\n+OK\r\n"}}),
            std::vector<std::string>{"redis.unexpected_reply"});
}

TEST(RespReader, KeepsCappedItemsAndCounts) {
  redis::RespReader r(true);
  std::string big(3000, 'z');
  std::string in = cmd({"SET", "key", big, "a", "b", "c", "d", "e", "f", "g"});
  auto res = r.next(bytes(in));
  ASSERT_EQ(res.status, redis::RespReader::Status::Message);
  EXPECT_EQ(res.consumed, in.size());
  EXPECT_EQ(r.message().count, 10u);
  EXPECT_EQ(r.message().items, redis::kMaxItems);
  EXPECT_EQ(r.message().item[2].size(), redis::kMaxItemBytes);
  EXPECT_EQ(r.message().item[7], "e");
}

// ---- protocol variants (RESP2/RESP3 specification, servers before and after ACLs) -----

// Plays `turns` on 6379 and on 16379 (claimed by content), every split alike; the logins.
std::vector<Auth> variant_auths(const std::vector<Turn>& turns) {
  auto log = test::play(analyzer_registry(), test::test_flow(6379), turns, {}, with_weird());
  EXPECT_TRUE(weird(log).empty());
  for (uint16_t port : {6379, 16379})
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "")
        << port;
  return auths(log);
}

TEST(RedisVariants, RefusalsOfServersBeforeAcls) {
  // Redis before 6 says "-ERR invalid password"; with no password set, AUTH is refused too.
  auto a =
      variant_auths({{C, cmd({"AUTH", "guess1"})},
                     {S, "-ERR invalid password\r\n"},
                     {C, "AUTH guess2\r\n"},
                     {S, "-ERR Client sent AUTH, but no password is set\r\n"},
                     {C, cmd({"AUTH", "default", "guess3"})},
                     {S, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"}});
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].user, "default");
  EXPECT_EQ(a[0].result, "failure");
  EXPECT_EQ(a[0].reason, "ERR invalid password");
  EXPECT_EQ(a[1].password, "guess2");
  EXPECT_EQ(a[1].result, "failure");
  EXPECT_EQ(a[2].result, "failure");
  EXPECT_EQ(a[2].reason, "WRONGPASS invalid username-password pair or user is disabled.");
}

TEST(RedisVariants, PipelinedAuthThenCommandsInOneSegment) {
  // A client that does not wait: the refused AUTH's -NOAUTH followers are not logins.
  auto a =
      variant_auths({{C, cmd({"AUTH", "wrong"}) + cmd({"SELECT", "2"}) + cmd({"GET", "k"}) +
                             cmd({"AUTH", "right"}) + cmd({"GET", "k"})},
                     {S,
                      "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                      "-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n"
                      "+OK\r\n$1\r\nv\r\n"}});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].password, "wrong");
  EXPECT_EQ(a[0].result, "failure");
  EXPECT_EQ(a[1].password, "right");
  EXPECT_EQ(a[1].result, "success");
}

TEST(RedisVariants, ClientCommandsAroundHello) {
  // redis-py 5: HELLO 3 AUTH, then CLIENT SETINFO twice and CLIENT SETNAME, pipelined.
  std::string hello_map =
      "%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n$4\r\nrole\r\n$6\r\nmaster\r\n";
  auto a = variant_auths(
      {{C, cmd({"HELLO", "3", "AUTH", "svc", "svc-pw"}) +
               cmd({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}) +
               cmd({"CLIENT", "SETINFO", "LIB-VER", "5.0.1"}) + cmd({"CLIENT", "SETNAME", "w1"})},
       {S, hello_map + "+OK\r\n+OK\r\n+OK\r\n"},
       {C, cmd({"CLIENT", "ID"})},
       {S, ":12\r\n"},
       // HELLO 2 answers with a RESP2 array of the same properties.
       {C, cmd({"HELLO", "2", "AUTH", "svc", "svc-pw2"})},
       {S, "*4\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:2\r\n"},
       // HELLO without AUTH is no login; the AUTH after it is.
       {C, cmd({"HELLO", "3"}) + cmd({"AUTH", "svc", "x"})},
       {S, hello_map + "-WRONGPASS invalid username-password pair or user is disabled.\r\n"}});
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].mechanism, "HELLO AUTH");
  EXPECT_EQ(a[0].result, "success");
  EXPECT_EQ(a[1].password, "svc-pw2");
  EXPECT_EQ(a[1].result, "success");
  EXPECT_EQ(a[2].mechanism, "AUTH");
  EXPECT_EQ(a[2].result, "failure");
}

TEST(RedisVariants, HelloTheServerCannotCheckIsNoVerdict) {
  // A server before Redis 6 knows no HELLO (Redis 5 quotes the arguments, password
  // included, in its error; Redis 3 does not); HELLO with a protocol version the server
  // does not speak is refused with -NOPROTO, a bad option with a syntax error, before the
  // AUTH option is read. None of these looked at the password: unknown, and the quoted
  // password is cut from the reason. The AUTH a client falls back to is the verdict.
  auto a =
      variant_auths({{C, cmd({"HELLO", "3", "AUTH", "svc", "pw-one"})},
                     {S,
                      "-ERR unknown command `HELLO`, with args beginning with: `3`, `AUTH`, `svc`, "
                      "`pw-one`, \r\n"},
                     {C, cmd({"AUTH", "pw-one"})},
                     {S, "-ERR invalid password\r\n"},
                     {C, "HELLO 3 AUTH default pw-two\r\n"},
                     {S, "-ERR unknown command 'HELLO'\r\n"},
                     {C, cmd({"HELLO", "4", "AUTH", "svc", "pw-three"})},
                     {S, "-NOPROTO unsupported protocol version\r\n"},
                     {C, cmd({"HELLO", "3", "AUTH", "svc", "pw-four", "SETNAME"})},
                     {S, "-ERR Syntax error in HELLO option 'SETNAME'\r\n"},
                     {C, cmd({"HELLO", "3", "AUTH", "svc", "pw-five"})},
                     {S, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"}});
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0].result, "unknown");
  EXPECT_EQ(a[0].password, "pw-one");
  EXPECT_EQ(a[0].reason,
            "credential not checked: the server does not know HELLO: ERR unknown command `HELLO`");
  EXPECT_EQ(a[1].result, "failure");  // the fallback AUTH is checked
  EXPECT_EQ(a[2].result, "unknown");
  EXPECT_EQ(a[2].mechanism, "HELLO AUTH");
  EXPECT_EQ(a[3].result, "unknown");
  EXPECT_EQ(a[3].reason,
            "credential not checked: the server refused the HELLO protocol version: NOPROTO "
            "unsupported protocol version");
  EXPECT_EQ(a[4].result, "unknown");
  EXPECT_EQ(a[5].result, "failure");
  EXPECT_EQ(a[5].password, "pw-five");
  for (const Auth& x : a) EXPECT_EQ(x.reason.find("pw-"), std::string::npos) << x.reason;
}

TEST(RedisVariants, AuthArityRefusedByServerBeforeAcls) {
  // AUTH with a username to a server before ACLs (Redis 5) is refused for its arity.
  auto a = variant_auths({{C, cmd({"AUTH", "svc", "pw-six"})},
                          {S, "-ERR wrong number of arguments for 'auth' command\r\n"}});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].user, "svc");
  EXPECT_EQ(a[0].result, "unknown");
  EXPECT_EQ(a[0].reason,
            "credential not checked: the server refused the arguments of AUTH: ERR wrong number "
            "of arguments for 'auth' command");
}

TEST(RedisVariants, InlineAuthInsideMulti) {
  auto a = variant_auths({{C, "MULTI\r\nAUTH \"pw with space\"\r\nPING\r\nEXEC\r\n"},
                          {S, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+PONG\r\n"}});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].password, "pw with space");
  EXPECT_EQ(a[0].result, "success");
}

}  // namespace
}  // namespace netsift
