// PostgreSQL login analysis: startup-phase messages built byte by byte from the
// protocol documentation ("Message Formats"), played through the real app-layer engine,
// cut at every offset.
#include "analyzers/pgsql/pgsql_analyzer.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/registry.h"

namespace netsift {
namespace {

using test::Turn;

std::string be32(uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}
std::string cstr(const std::string& s) {
  return s + std::string(1, '\0');
}
std::string message(char type, const std::string& body) {
  return std::string(1, type) + be32(uint32_t(body.size() + 4)) + body;
}
std::string startup(const std::vector<std::pair<std::string, std::string>>& params,
                    uint32_t version = 0x00030000) {
  std::string body = be32(version);
  for (const auto& [k, v] : params) body += cstr(k) + cstr(v);
  body += std::string(1, '\0');
  return be32(uint32_t(body.size() + 4)) + body;
}
const std::string kSslRequest = be32(8) + be32(80877103);
const std::string kGssEncRequest = be32(8) + be32(80877104);

std::string auth(uint32_t code, const std::string& data = "") {
  return message('R', be32(code) + data);
}
std::string ready() {
  return message('Z', "I");
}
std::string parameter_status(const std::string& k, const std::string& v) {
  return message('S', cstr(k) + cstr(v));
}
std::string error(const std::string& sev, const std::string& code, const std::string& msg) {
  return message('E', std::string("S") + cstr(sev) + "V" + cstr(sev) + "C" + cstr(code) + "M" +
                          cstr(msg) + "Fauth.c" + std::string(1, '\0') + "L323" +
                          std::string(1, '\0') + std::string(1, '\0'));
}

const std::vector<std::pair<std::string, std::string>> kParams = {{"user", "alice"},
                                                                  {"database", "bench"},
                                                                  {"application_name", "psql"},
                                                                  {"client_encoding", "UTF8"}};

using test::has;
using test::str;

// Plays on port 5432 and on 6543 (claimed by the client's first message), checks every
// split, returns the events.
std::vector<rapidjson::Document> run(const std::vector<Turn>& turns) {
  auto first = test::play(analyzer_registry(), test::test_flow(5432), turns);
  for (uint16_t port : {5432, 6543}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), turns);
    EXPECT_EQ(log.lines.size(), first.lines.size()) << "port " << port;
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "")
        << "port " << port;
  }
  return test::parse_events(first);
}

std::string after_ok() {
  return auth(0) + parameter_status("server_version", "15.5") + message('K', be32(7) + be32(9)) +
         ready();
}

TEST(PgsqlAnalyzer, ProbeRecognisesFirstMessagesOnly) {
  auto b = [](const std::string& s) {
    return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  std::string s = startup(kParams);
  EXPECT_EQ(probe_pgsql(Dir::ToServer, b(s)), Confidence::Yes);
  for (size_t cut = 1; cut < s.size(); ++cut)
    EXPECT_EQ(probe_pgsql(Dir::ToServer, b(s.substr(0, cut))), Confidence::Maybe) << cut;
  EXPECT_EQ(probe_pgsql(Dir::ToServer, b(kSslRequest)), Confidence::Yes);
  EXPECT_EQ(probe_pgsql(Dir::ToServer, b(kGssEncRequest)), Confidence::Yes);
  EXPECT_EQ(probe_pgsql(Dir::ToClient, b(kSslRequest)), Confidence::No);
  EXPECT_EQ(probe_pgsql(Dir::ToServer, b("GET / HTTP/1.1\r\n")), Confidence::No);
  EXPECT_EQ(probe_pgsql(Dir::ToServer, b(message('Q', cstr("select 1")))), Confidence::No);
  // A length word claiming more than the server's 10000-byte limit.
  EXPECT_EQ(probe_pgsql(Dir::ToServer, b(be32(20000) + be32(0x00030000))), Confidence::No);
  // Parameter names are identifiers; a startup without "user" is refused by servers.
  EXPECT_EQ(probe_pgsql(Dir::ToServer, b(startup({{"us er", "x"}}))), Confidence::No);
  EXPECT_EQ(probe_pgsql(Dir::ToServer, b(startup({{"database", "x"}}))), Confidence::No);
}

TEST(PgsqlAnalyzer, Md5LoginWithHashLine) {
  auto ev = run({{Dir::ToServer, startup(kParams)},
                 {Dir::ToClient, auth(5, "\x01\x02\xfe\xff")},
                 {Dir::ToServer, message('p', cstr(std::string("md5") + std::string(32, 'a')))},
                 {Dir::ToClient, after_ok()}});
  ASSERT_EQ(ev.size(), 1u);
  const auto& e = ev[0];
  EXPECT_EQ(str(e, "service"), "pgsql");
  EXPECT_EQ(str(e, "user"), "alice");
  EXPECT_EQ(str(e, "database"), "bench");
  EXPECT_EQ(str(e, "application_name"), "psql");
  EXPECT_EQ(str(e, "mechanism"), "md5");
  EXPECT_EQ(str(e["credential"], "salt"), "0102feff");
  EXPECT_EQ(str(e["credential"], "response"), std::string(32, 'a'));
  EXPECT_EQ(str(e, "hash"), std::string("$postgres$alice*0102feff*") + std::string(32, 'a'));
  EXPECT_EQ(e["hash_mode"].GetUint(), 11100u);
  EXPECT_EQ(str(e, "result"), "success");
}

TEST(PgsqlAnalyzer, CleartextFailureWithErrorFields) {
  auto ev = run({{Dir::ToServer, startup(kParams)},
                 {Dir::ToClient, auth(3)},
                 {Dir::ToServer, message('p', cstr("pg-Secret3"))},
                 {Dir::ToClient,
                  error("FATAL", "28P01", "password authentication failed for user \"alice\"")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "cleartext");
  EXPECT_EQ(str(ev[0], "password"), "pg-Secret3");
  EXPECT_EQ(str(ev[0], "result"), "failure");
  EXPECT_EQ(str(ev[0], "reason"), "FATAL 28P01 password authentication failed for user \"alice\"");
}

TEST(PgsqlAnalyzer, ScramSha256MessagesAsCredential) {
  std::string cf = "n,,n=,r=rOprNGfwEbeRWgbNEkqO";
  std::string sf =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  std::string cfin =
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+"
      "Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  std::string sfin = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
  auto ev =
      run({{Dir::ToServer, startup(kParams)},
           {Dir::ToClient, auth(10, cstr("SCRAM-SHA-256") + std::string(1, '\0'))},
           {Dir::ToServer, message('p', cstr("SCRAM-SHA-256") + be32(uint32_t(cf.size())) + cf)},
           {Dir::ToClient, auth(11, sf)},
           {Dir::ToServer, message('p', cfin)},
           {Dir::ToClient, auth(12, sfin) + after_ok()}});
  ASSERT_EQ(ev.size(), 1u);
  const auto& c = ev[0]["credential"];
  EXPECT_EQ(str(ev[0], "mechanism"), "SCRAM-SHA-256");
  EXPECT_EQ(str(c, "client_first"), cf);
  EXPECT_EQ(str(c, "server_first"), sf);
  EXPECT_EQ(str(c, "client_final"), cfin);
  EXPECT_EQ(str(c, "server_final"), sfin);
  EXPECT_FALSE(has(ev[0], "hash"));
  EXPECT_EQ(str(ev[0], "result"), "success");
}

TEST(PgsqlAnalyzer, ScramPlusIsTheClientsChoice) {
  std::string cf = "p=tls-server-end-point,,n=,r=abc";
  auto ev = run(
      {{Dir::ToServer, startup(kParams)},
       {Dir::ToClient,
        auth(10, cstr("SCRAM-SHA-256-PLUS") + cstr("SCRAM-SHA-256") + std::string(1, '\0'))},
       {Dir::ToServer, message('p', cstr("SCRAM-SHA-256-PLUS") + be32(uint32_t(cf.size())) + cf)},
       {Dir::ToClient, auth(11, "r=abcdef,s=c2FsdA==,i=4096")},
       {Dir::ToServer, message('p', "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsAAAA,r=abcdef,p=AAAA")},
       {Dir::ToClient, error("FATAL", "28P01", "password authentication failed")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(str(ev[0]["credential"], "client_first"), cf);
  EXPECT_EQ(str(ev[0], "result"), "failure");
}

TEST(PgsqlAnalyzer, RefusedSslThenPlainStartup) {
  auto ev = run({{Dir::ToServer, kSslRequest},
                 {Dir::ToClient, "N"},
                 {Dir::ToServer, startup(kParams)},
                 {Dir::ToClient, auth(3)},
                 {Dir::ToServer, message('p', cstr("pw"))},
                 {Dir::ToClient, after_ok()}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_FALSE(ev[0]["tls"].GetBool());
  EXPECT_EQ(str(ev[0], "password"), "pw");
  EXPECT_EQ(str(ev[0], "result"), "success");
  // GSSENC refused, then SSL refused, then the startup.
  ev = run({{Dir::ToServer, kGssEncRequest},
            {Dir::ToClient, "N"},
            {Dir::ToServer, kSslRequest},
            {Dir::ToClient, "N"},
            {Dir::ToServer, startup(kParams)},
            {Dir::ToClient, after_ok()}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "none");
  EXPECT_EQ(str(ev[0], "result"), "success");
}

TEST(PgsqlAnalyzer, AClientThatGivesUpMadeNoAttempt) {
  // sslmode=require against a server without SSL: the client hangs up after 'N'.
  auto ev = run({{Dir::ToServer, kSslRequest}, {Dir::ToClient, "N"}});
  EXPECT_EQ(ev.size(), 0u);
  // Accepted SSL, then the client hangs up before its ClientHello.
  ev = run({{Dir::ToServer, kSslRequest}, {Dir::ToClient, "S"}});
  EXPECT_EQ(ev.size(), 0u);
}

TEST(PgsqlAnalyzer, AcceptedSslIsAnEncryptedAttempt) {
  auto ev = run({{Dir::ToServer, kSslRequest},
                 {Dir::ToClient, "S"},
                 {Dir::ToServer, "\x16\x03\x01\x00\x04helo"},
                 {Dir::ToClient, "\x16\x03\x03\x00\x02hi"}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0]["tls"].GetBool());
  EXPECT_EQ(str(ev[0], "user"), "");
  EXPECT_EQ(str(ev[0], "result"), "unknown");
}

TEST(PgsqlAnalyzer, ClientThatDoesNotSendThePasswordIsUnknown) {
  // libpq without a password: it learns that one is needed and closes (psql then asks).
  auto ev = run({{Dir::ToServer, startup(kParams)},
                 {Dir::ToClient, auth(10, cstr("SCRAM-SHA-256") + std::string(1, '\0'))}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "SCRAM-SHA-256");
  EXPECT_EQ(str(ev[0], "result"), "unknown");
  EXPECT_FALSE(has(ev[0], "credential"));
}

TEST(PgsqlAnalyzer, SuccessOnlyAtReadyForQuery) {
  // AuthenticationOk, then the role turns out not to exist.
  auto ev =
      run({{Dir::ToServer, startup(kParams)},
           {Dir::ToClient, auth(0) + error("FATAL", "28000", "role \"alice\" does not exist")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "failure");
  EXPECT_EQ(str(ev[0], "reason"), "FATAL 28000 role \"alice\" does not exist");
  EXPECT_FALSE(has(ev[0], "credential_accepted"));  // trust: no credential was offered
  // AuthenticationOk and the capture ends before ReadyForQuery.
  ev = run({{Dir::ToServer, startup(kParams)}, {Dir::ToClient, auth(0)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "unknown");
}

// The password was right, then the server refused the session (PostgreSQL checks the
// database, the role's LOGIN and connection limits only after AuthenticationOk): still a
// failure, with the reason, and credential_accepted says the password was correct. A
// password failure carries no such field.
TEST(PgsqlAnalyzer, FatalAfterAuthenticationOkKeepsTheAcceptedCredential) {
  std::string md5 = "md5" + std::string(32, 'a');
  for (auto [code, msg] :
       {std::pair<std::string, std::string>{"3D000", "database \"nope\" does not exist"},
        {"28000", "role \"alice\" is not permitted to log in"},
        {"53300", "too many connections for role \"alice\""}}) {
    auto ev = run({{Dir::ToServer, startup(kParams)},
                   {Dir::ToClient, auth(5, "\x01\x02\x03\x04")},
                   {Dir::ToServer, message('p', cstr(md5))},
                   {Dir::ToClient, auth(0) + parameter_status("server_version", "15.5") +
                                       error("FATAL", code, msg)}});
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(str(ev[0], "result"), "failure");
    EXPECT_EQ(str(ev[0], "reason"), "FATAL " + code + " " + msg);
    ASSERT_TRUE(has(ev[0], "credential_accepted"));
    EXPECT_TRUE(ev[0]["credential_accepted"].GetBool());
    EXPECT_EQ(str(ev[0], "hash").substr(0, 10), "$postgres$");
  }
  auto ev = run({{Dir::ToServer, startup(kParams)},
                 {Dir::ToClient, auth(3)},
                 {Dir::ToServer, message('p', cstr("wrong"))},
                 {Dir::ToClient, error("FATAL", "28P01", "password authentication failed")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "failure");
  EXPECT_FALSE(has(ev[0], "credential_accepted"));
}

// OAUTHBEARER (PostgreSQL 18, RFC 7628 over SASL), as the protocol documentation's
// example runs it: a discovery connection (no token; the server answers the JSON error
// status, the client ends its half with 0x01, the server fails the exchange), then a
// second connection with the bearer token.
TEST(PgsqlVariants, OAuthBearerDiscoveryThenToken) {
  const std::string kv = "\x01";
  const std::string status =
      "{\"status\":\"invalid_token\",\"openid-configuration\":"
      "\"https://idp.example/.well-known/openid-configuration\",\"scope\":\"openid pg\"}";
  auto initial = [&](const std::string& data) {
    return message('p', cstr("OAUTHBEARER") + be32(uint32_t(data.size())) + data);
  };
  const std::vector<std::pair<std::string, std::string>> params = {{"user", "svc_app"},
                                                                   {"database", "orders"}};
  // The server refuses: the JSON status, the client's 0x01, the error.
  auto refused = [&](const std::string& initial_data) {
    return run({{Dir::ToServer, startup(params)},
                {Dir::ToClient, auth(10, cstr("OAUTHBEARER") + std::string(1, '\0'))},
                {Dir::ToServer, initial(initial_data)},
                {Dir::ToClient, auth(11, status)},
                {Dir::ToServer, message('p', kv)},
                {Dir::ToClient, error("FATAL", "28000",
                                      "OAuth bearer authentication failed for user \"svc_app\"")}});
  };
  auto discovery = refused("n,," + kv + "auth=" + kv + kv);
  ASSERT_EQ(discovery.size(), 1u);
  EXPECT_EQ(str(discovery[0], "mechanism"), "OAUTHBEARER");
  EXPECT_EQ(str(discovery[0], "user"), "svc_app");
  EXPECT_EQ(str(discovery[0], "result"), "unknown");  // no credential was tried
  EXPECT_EQ(str(discovery[0], "reason"),
            "OAUTHBEARER discovery, no token sent: FATAL 28000 OAuth bearer authentication "
            "failed for user \"svc_app\"");
  EXPECT_EQ(str(discovery[0], "oauth_error"), status);
  EXPECT_FALSE(has(discovery[0], "credential"));

  const std::string token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl";
  auto ok = run({{Dir::ToServer, startup(params)},
                 {Dir::ToClient, auth(10, cstr("OAUTHBEARER") + std::string(1, '\0'))},
                 {Dir::ToServer, initial("n,a=svc_app," + kv + "host=db.example" + kv +
                                         "port=5432" + kv + "auth=Bearer " + token + kv + kv)},
                 {Dir::ToClient, after_ok()}});
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(str(ok[0], "result"), "success");
  EXPECT_EQ(str(ok[0]["credential"], "token"), token);
  EXPECT_EQ(str(ok[0]["credential"], "authzid"), "svc_app");
  EXPECT_FALSE(has(ok[0], "password"));

  // A token the validator rejects: the JSON status, then a real failure.
  auto bad = refused("n,," + kv + "auth=bearer  expired.token" + kv + kv);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(str(bad[0], "result"), "failure");
  EXPECT_EQ(str(bad[0]["credential"], "token"), "expired.token");
  EXPECT_EQ(str(bad[0], "oauth_error"), status);
  EXPECT_FALSE(has(bad[0], "credential_accepted"));
}

TEST(PgsqlVariants, OAuthBearerTokenIsRedacted) {
  const std::string kv = "\x01";
  std::string data = "n,," + kv + "auth=Bearer s3cr3t-t0ken" + kv + kv;
  std::vector<Turn> turns = {
      {Dir::ToServer, startup(kParams)},
      {Dir::ToClient, auth(10, cstr("OAUTHBEARER") + std::string(1, '\0'))},
      {Dir::ToServer, message('p', cstr("OAUTHBEARER") + be32(uint32_t(data.size())) + data)},
      {Dir::ToClient, after_ok()}};
  AppLayerConfig config;
  config.redact = true;
  auto log = test::play(analyzer_registry(), test::test_flow(5432), turns, {}, config);
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.lines[0].find("s3cr3t"), std::string::npos) << log.lines[0];
  EXPECT_NE(log.lines[0].find("\"token\":\"<redacted>\""), std::string::npos) << log.lines[0];
}

TEST(PgsqlAnalyzer, MidstreamInventsNothing) {
  auto ev = test::play(analyzer_registry(), test::test_flow(5432),
                       {{Dir::ToServer, message('Q', cstr("select 1"))},
                        {Dir::ToClient, message('C', cstr("SELECT 1")) + ready()},
                        {Dir::ToServer, message('p', cstr("password"))},
                        {Dir::ToClient, after_ok()}});
  EXPECT_EQ(ev.lines.size(), 0u);
  ev = test::play(analyzer_registry(), test::test_flow(5432),
                  {{Dir::ToClient, after_ok()}, {Dir::ToServer, message('X', "")}});
  EXPECT_EQ(ev.lines.size(), 0u);
  // A cancel request is PostgreSQL but no login.
  ev = test::play(analyzer_registry(), test::test_flow(6543),
                  {{Dir::ToServer, be32(16) + be32(80877102) + be32(1) + be32(2)}});
  EXPECT_EQ(ev.lines.size(), 0u);
}

TEST(PgsqlAnalyzer, ProtocolTwoStartup) {
  std::string s = be32(296) + be32(0x00020000);
  auto field = [](const std::string& v, size_t n) { return v + std::string(n - v.size(), '\0'); };
  s += field("olddb", 64) + field("old", 32) + std::string(64 * 3, '\0');
  auto ev = run({{Dir::ToServer, s}, {Dir::ToClient, auth(0) + ready()}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "user"), "old");
  EXPECT_EQ(str(ev[0], "database"), "olddb");
}

TEST(PgsqlAnalyzer, HostileLengthsStayBounded) {
  FlowInfo flow = test::test_flow(5432);
  AnalyzerOptions options(kPgsqlAnalyzer.options);
  AnalyzerContext context{&flow, &kPgsqlAnalyzer, &options};
  auto a = kPgsqlAnalyzer.make(context);
  test::EventLog out;
  auto feed = [&](Dir d, std::string_view s) {
    return a->on_data(d, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()), out);
  };
  EXPECT_EQ(feed(Dir::ToServer, startup(kParams)).kind, ParseResult::Ok);
  // A NoticeResponse claiming 1 GiB: passed over as it arrives, never buffered.
  EXPECT_EQ(feed(Dir::ToClient, std::string("N") + be32(0x40000000) + "xx").kind, ParseResult::Ok);
  std::string chunk(1 << 16, 'n');
  for (uint64_t left = 0x40000000 - 4 - 2; left;) {
    size_t n = size_t(std::min<uint64_t>(left, chunk.size()));
    ASSERT_EQ(feed(Dir::ToClient, std::string_view(chunk).substr(0, n)).kind, ParseResult::Ok);
    left -= n;
  }
  // An authentication request claiming 16 MiB is skipped with an anomaly, not buffered.
  EXPECT_EQ(feed(Dir::ToClient, std::string("R") + be32(0x01000000) + be32(3)).kind,
            ParseResult::Ok);
  EXPECT_EQ(feed(Dir::ToClient, chunk).kind, ParseResult::Ok);
  // A length below 4 is not PostgreSQL.
  EXPECT_EQ(feed(Dir::ToServer, std::string("p") + be32(2)).kind, ParseResult::Error);
  a->on_close(out);
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_NE(out.lines[0].find("\"result\":\"unknown\""), std::string::npos);
}

// ---- protocol variants the specification allows ("Message Flow", "Message Formats") ---

// The names of the anomalies `turns` raise (weird events on).
std::vector<std::string> anomalies_of(const std::vector<Turn>& turns) {
  AppLayerConfig config;
  config.weird_events = true;
  auto log = test::play(analyzer_registry(), test::test_flow(5432), turns, {}, config);
  std::vector<std::string> names;
  for (const auto& d : test::parse_events(log))
    if (str(d, "event") == "weird") names.push_back(str(d, "name"));
  return names;
}

TEST(PgsqlVariants, Protocol32WithNegotiationAndLongCancelKey) {
  // PostgreSQL 18's libpq asks for 3.2 with a `_pq_.` option; a server that speaks 3.0
  // answers NegotiateProtocolVersion ('v': newest minor it speaks, the options it does
  // not know) and goes on. A 3.2 server's BackendKeyData carries a 32-byte key.
  auto params = kParams;
  params.emplace_back("_pq_.test_option", "on");
  std::vector<Turn> turns = {
      {Dir::ToServer, startup(params, 0x00030002)},
      {Dir::ToClient, message('v', be32(0) + be32(1) + cstr("_pq_.test_option")) + auth(3)},
      {Dir::ToServer, message('p', cstr("pw18"))},
      {Dir::ToClient, auth(0) + parameter_status("server_version", "18.1") +
                          message('K', be32(77) + std::string(32, '\x5c')) + ready()}};
  auto ev = run(turns);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "user"), "alice");
  EXPECT_EQ(str(ev[0], "password"), "pw18");
  EXPECT_EQ(str(ev[0], "result"), "success");
  EXPECT_TRUE(anomalies_of(turns).empty());
}

TEST(PgsqlVariants, CancelRequestIsNoLoginWhateverItsKeyLength) {
  auto b = [](const std::string& s) {
    return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  // Protocol 3.0: a 4-byte secret key; 3.2: 4 to 256 bytes (PostgreSQL 18 sends 32).
  for (size_t key : {4, 32, 256}) {
    std::string cancel =
        be32(uint32_t(12 + key)) + be32(80877102) + be32(4242) + std::string(key, '\x11');
    EXPECT_EQ(probe_pgsql(Dir::ToServer, b(cancel)), Confidence::Yes) << key;
    EXPECT_EQ(run({{Dir::ToServer, cancel}}).size(), 0u) << key;
  }
  // Past 256 bytes it is no CancelRequest.
  std::string too_long = be32(12 + 257) + be32(80877102) + be32(1) + std::string(257, '\x11');
  EXPECT_EQ(probe_pgsql(Dir::ToServer, b(too_long)), Confidence::No);
}

TEST(PgsqlVariants, ReplicationStartup) {
  // pg_basebackup / logical replication: `replication=database` (or true) in the startup.
  auto ev = run({{Dir::ToServer, startup({{"user", "replicator"},
                                          {"replication", "database"},
                                          {"database", "app"},
                                          {"application_name", "pg_recvlogical"}})},
                 {Dir::ToClient, auth(5, "\x0a\x0b\x0c\x0d")},
                 {Dir::ToServer, message('p', cstr(std::string("md5") + std::string(32, 'b')))},
                 {Dir::ToClient, after_ok()}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "user"), "replicator");
  EXPECT_EQ(str(ev[0], "database"), "app");
  EXPECT_EQ(str(ev[0], "application_name"), "pg_recvlogical");
  EXPECT_EQ(str(ev[0], "hash"),
            std::string("$postgres$replicator*0a0b0c0d*") + std::string(32, 'b'));
  EXPECT_EQ(str(ev[0], "result"), "success");
}

TEST(PgsqlVariants, NoticesAndParametersBeforeTheOutcome) {
  // The server may send NoticeResponse ('N') and ParameterStatus ('S') at any time.
  std::string notice =
      message('N', std::string("SWARNING") + std::string(1, '\0') + "C01000" +
                       std::string(1, '\0') + "Mpassword expires soon" + std::string(2, '\0'));
  auto ev = run({{Dir::ToServer, startup(kParams)},
                 {Dir::ToClient, notice + auth(3)},
                 {Dir::ToServer, message('p', cstr("pw"))},
                 {Dir::ToClient, notice + auth(0) + notice + parameter_status("TimeZone", "UTC") +
                                     message('K', be32(7) + be32(9)) + notice + ready()}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "success");
  EXPECT_EQ(str(ev[0], "password"), "pw");
}

TEST(PgsqlVariants, ErrorInTheMiddleOfSasl) {
  std::string cf = "n,,n=,r=nonce1";
  auto ev =
      run({{Dir::ToServer, startup(kParams)},
           {Dir::ToClient, auth(10, cstr("SCRAM-SHA-256") + std::string(1, '\0'))},
           {Dir::ToServer, message('p', cstr("SCRAM-SHA-256") + be32(uint32_t(cf.size())) + cf)},
           {Dir::ToClient, error("FATAL", "08P01", "malformed SCRAM message")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "failure");
  EXPECT_EQ(str(ev[0], "reason"), "FATAL 08P01 malformed SCRAM message");
  EXPECT_EQ(str(ev[0]["credential"], "client_first"), cf);
  EXPECT_FALSE(has(ev[0]["credential"], "server_first"));
}

TEST(PgsqlVariants, ScramPlusWithChannelBindingData) {
  // The GS2 header "p=tls-server-end-point" and the binding data in the client-final's
  // c= attribute; the user comes from the startup (SCRAM's n= is empty for PostgreSQL).
  std::string cf = "p=tls-server-end-point,,n=,r=Zm9vYmFy";
  std::string cfin = "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsq80rFqLs3xZ,r=Zm9vYmFyMTIz,p=cHJvb2Y=";
  auto ev = run(
      {{Dir::ToServer, startup(kParams)},
       {Dir::ToClient,
        auth(10, cstr("SCRAM-SHA-256-PLUS") + cstr("SCRAM-SHA-256") + std::string(1, '\0'))},
       {Dir::ToServer, message('p', cstr("SCRAM-SHA-256-PLUS") + be32(uint32_t(cf.size())) + cf)},
       {Dir::ToClient, auth(11, "r=Zm9vYmFyMTIz,s=c2FsdA==,i=4096")},
       {Dir::ToServer, message('p', cfin)},
       {Dir::ToClient, auth(12, "v=dmVyaWZpZXI=") + after_ok()}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "user"), "alice");
  EXPECT_EQ(str(ev[0], "mechanism"), "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(str(ev[0]["credential"], "client_final"), cfin);
  EXPECT_EQ(str(ev[0], "result"), "success");
}

TEST(PgsqlVariants, AcceptedGssEncryptionIsAnEncryptedAttempt) {
  // GSSENCRequest answered 'G': GSSAPI-wrapped packets follow, no credential visible.
  auto ev = run({{Dir::ToServer, kGssEncRequest},
                 {Dir::ToClient, "G"},
                 {Dir::ToServer, be32(40) + std::string(40, '\x60')}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0]["tls"].GetBool());
  EXPECT_EQ(str(ev[0], "result"), "unknown");
}

}  // namespace
}  // namespace netsift
