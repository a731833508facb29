// MySQL/MariaDB login analysis: connection-phase messages built byte by byte from the
// protocol documentation (MySQL "Connection Phase", MariaDB "Connection" pages), played
// through the real app-layer engine, cut at every offset.
#include "analyzers/mysql/mysql_analyzer.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <zlib.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/mysql/mysql_packets.h"
#include "analyzers/registry.h"

namespace netsift {
namespace {

using test::Turn;

std::string le16(uint32_t v) {
  return {char(v & 0xff), char((v >> 8) & 0xff)};
}
std::string le24(uint32_t v) {
  return {char(v & 0xff), char((v >> 8) & 0xff), char((v >> 16) & 0xff)};
}
std::string le32(uint32_t v) {
  return le16(v & 0xffff) + le16(v >> 16);
}
std::string cstr(const std::string& s) {
  return s + std::string(1, '\0');
}
std::string lenenc(const std::string& s) {
  return std::string(1, char(s.size())) + s;  // all test strings are < 251 bytes
}
std::string packet(uint8_t seq, const std::string& payload) {
  return le24(uint32_t(payload.size())) + std::string(1, char(seq)) + payload;
}
std::string repeat(const std::string& unit, size_t n) {
  std::string s;
  while (s.size() < n) s += unit;
  return s.substr(0, n);
}

constexpr uint32_t kServerCaps = 0xa0ff | 0x807ff7ff;  // everything a MySQL 8 server offers
constexpr uint32_t kClientCaps = mysql::kProtocol41 | mysql::kSecureConnection |
                                 mysql::kPluginAuth | mysql::kConnectAttrs |
                                 mysql::kPluginAuthLenencData | mysql::kConnectWithDb |
                                 0x1 /* long password */ | 0x2000 /* transactions */;

const std::string kScramble1 = "abcdefgh";      // auth-plugin-data-part-1
const std::string kScramble2 = "ijklmnopqrst";  // part 2 (12 bytes + NUL on the wire)

// Handshake v10 with the given default plugin.
std::string greeting(const std::string& plugin, uint32_t caps = kServerCaps,
                     const std::string& version = "8.0.36") {
  std::string p = std::string("\x0a") + cstr(version) + le32(42) + kScramble1 +
                  std::string(1, '\0') + le16(caps & 0xffff) + "\xff" + le16(2) + le16(caps >> 16) +
                  "\x15" + std::string(10, '\0') + kScramble2 + std::string(1, '\0') + cstr(plugin);
  return packet(0, p);
}

std::string attributes() {
  std::string a = lenenc("_client_name") + lenenc("libmariadb") + lenenc("_pid") + lenenc("4242");
  return lenenc(a);
}

std::string login(const std::string& user, const std::string& response, const std::string& db,
                  const std::string& plugin, uint32_t caps = kClientCaps) {
  std::string p =
      le32(caps) + le32(16777216) + "\x21" + std::string(23, '\0') + cstr(user) + lenenc(response);
  if (caps & mysql::kConnectWithDb) p += cstr(db);
  if (caps & mysql::kPluginAuth) p += cstr(plugin);
  if (caps & mysql::kConnectAttrs) p += attributes();
  return packet(1, p);
}

std::string ok_packet(uint8_t seq) {
  return packet(seq, std::string("\x00\x00\x00\x02\x00\x00\x00", 7));
}
std::string err_packet(uint8_t seq, uint16_t code, const std::string& state,
                       const std::string& msg) {
  return packet(seq, std::string("\xff") + le16(code) + "#" + state + msg);
}

const std::string kResponse20 = repeat("\x11\x22\x33\x44\x55", 20);
const std::string kResponse32 = repeat("\x9a\x8b\x7c\x6d", 32);

using test::has;
using test::str;

// Plays `turns` on port 3306 and on 13306 (claimed by the greeting), checks that every
// split gives the same events, and returns the auth events.
std::vector<rapidjson::Document> run(const std::vector<Turn>& turns) {
  auto first = test::play(analyzer_registry(), test::test_flow(3306), turns);
  for (uint16_t port : {3306, 13306}) {
    auto log = test::play(analyzer_registry(), test::test_flow(port), turns);
    EXPECT_EQ(log.lines.size(), first.lines.size()) << "port " << port;
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "")
        << "port " << port;
  }
  return test::parse_events(first);
}

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string o;
  for (unsigned char c : s) o += {d[c >> 4], d[c & 15]};
  return o;
}

TEST(MysqlAnalyzer, ProbeRecognisesGreetingsOnly) {
  auto b = [](const std::string& s) {
    return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  std::string g = greeting("mysql_native_password");
  EXPECT_EQ(probe_mysql(Dir::ToClient, b(g)), Confidence::Yes);
  for (size_t cut = 1; cut < g.size(); ++cut)
    EXPECT_EQ(probe_mysql(Dir::ToClient, b(g.substr(0, cut))), Confidence::Maybe) << cut;
  EXPECT_EQ(probe_mysql(Dir::ToServer, b(g)), Confidence::No);
  EXPECT_EQ(probe_mysql(Dir::ToClient, b("HTTP/1.1 200 OK\r\n")), Confidence::No);
  EXPECT_EQ(probe_mysql(Dir::ToClient, b("220 mail.example.com ESMTP\r\n")), Confidence::No);
  EXPECT_EQ(probe_mysql(Dir::ToClient, b("SSH-2.0-OpenSSH_9.2\r\n")), Confidence::No);
  // An ERR in place of the greeting is not claimed by content (no login follows).
  EXPECT_EQ(probe_mysql(Dir::ToClient, b(err_packet(0, 1130, "HY000", "Host not allowed"))),
            Confidence::No);
  // The version must be text starting with a digit; the filler after part 1 is zero.
  std::string bad = g;
  bad[5] = 'x';
  EXPECT_EQ(probe_mysql(Dir::ToClient, b(bad)), Confidence::No);
  bad = g;
  bad[4 + 1 + 7 + 4 + 8] = 1;
  EXPECT_EQ(probe_mysql(Dir::ToClient, b(bad)), Confidence::No);
}

TEST(MysqlAnalyzer, NativePasswordSuccessWithAttributes) {
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password", kServerCaps,
                                          "5.5.5-10.11.6-MariaDB-0+deb12u1")},
                 {Dir::ToServer, login("alice", kResponse20, "shop", "mysql_native_password")},
                 {Dir::ToClient, ok_packet(2)}});
  ASSERT_EQ(ev.size(), 1u);
  const auto& e = ev[0];
  EXPECT_EQ(str(e, "event"), "auth");
  EXPECT_EQ(str(e, "service"), "mysql");
  EXPECT_EQ(str(e, "user"), "alice");
  EXPECT_EQ(str(e, "database"), "shop");
  EXPECT_EQ(str(e, "mechanism"), "mysql_native_password");
  EXPECT_EQ(str(e, "result"), "success");
  EXPECT_EQ(str(e, "server_version"), "5.5.5-10.11.6-MariaDB-0+deb12u1");
  EXPECT_EQ(str(e["credential"], "salt"), hex(kScramble1 + kScramble2));
  EXPECT_EQ(str(e["credential"], "response"), hex(kResponse20));
  EXPECT_EQ(str(e, "hash"),
            std::string("$mysqlna$") + hex(kScramble1 + kScramble2) + "*" + hex(kResponse20));
  EXPECT_EQ(e["hash_mode"].GetUint(), 11200u);
  EXPECT_EQ(str(e["client_attributes"], "_client_name"), "libmariadb");
  EXPECT_EQ(str(e["client_attributes"], "_pid"), "4242");
  EXPECT_FALSE(e["tls"].GetBool());
  EXPECT_FALSE(has(e, "password"));
}

TEST(MysqlAnalyzer, FailureCarriesCodeStateAndMessage) {
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, login("root", kResponse20, "", "mysql_native_password")},
                 {Dir::ToClient,
                  err_packet(2, 1045, "28000",
                             "Access denied for user 'root'@'localhost' (using password: YES)")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "failure");
  EXPECT_EQ(str(ev[0], "reason"),
            "1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)");
  EXPECT_FALSE(has(ev[0], "database"));
}

TEST(MysqlAnalyzer, EmptyPasswordIsReportedAsSuch) {
  auto ev =
      run({{Dir::ToClient, greeting("mysql_native_password")},
           {Dir::ToServer, login("guest", "", "", "mysql_native_password")},
           {Dir::ToClient, err_packet(2, 1045, "28000", "Access denied (using password: NO)")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "password"), "");
  EXPECT_FALSE(has(ev[0], "hash"));
  EXPECT_FALSE(has(ev[0], "credential"));
}

TEST(MysqlAnalyzer, AuthSwitchToEd25519) {
  std::string nonce = repeat("N0nce-", 32);
  std::string signature = repeat("\x01\x02\x03\xfe", 64);
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, login("ed", kResponse20, "", "mysql_native_password")},
                 {Dir::ToClient, packet(2, std::string("\xfe") + cstr("client_ed25519") + nonce)},
                 {Dir::ToServer, packet(3, signature)},
                 {Dir::ToClient, ok_packet(4)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "client_ed25519");
  EXPECT_EQ(str(ev[0]["credential"], "salt"), hex(nonce));
  EXPECT_EQ(str(ev[0]["credential"], "response"), hex(signature));
  EXPECT_FALSE(has(ev[0], "hash"));
  EXPECT_EQ(str(ev[0], "result"), "success");
}

// MariaDB 11.6+ parsec ("Authentication Plugin - PARSEC", and the ext-salt format of the
// MariaDB protocol pages): AuthSwitchRequest with a 32-byte server nonce, the client's
// empty packet asking for the ext-salt, the ext-salt ('P', iteration factor, 18-byte salt:
// MariaDB sends it without the 0x01 MySQL puts before plugin data), then the client's
// 32-byte nonce and the ed25519 signature of both nonces by the PBKDF2-SHA512 derived key.
// The signature below is real: password "parsec-Secret7", 2048 iterations, and it checks
// against these nonces and salt.
TEST(MysqlVariants, ParsecGivesWhatAnOfflineCheckNeeds) {
  std::string server_nonce, salt, client_nonce;
  for (int i = 0x40; i < 0x60; ++i) server_nonce += char(i);
  for (int i = 0xa0; i < 0xb2; ++i) salt += char(i);
  for (int i = 0x10; i < 0x30; ++i) client_nonce += char(i);
  const std::string sig_hex =
      "e5b8565532270af68c2322810512c0560538986fc78fa65698059f88de7502fab07776b4d3dfef18df625dc0"
      "9b431001f83be5ac94c1b82298e1bc1187c2ae04";
  std::string signature;
  for (size_t i = 0; i < sig_hex.size(); i += 2)
    signature += char(std::stoi(sig_hex.substr(i, 2), nullptr, 16));
  auto exchange = [&](bool prefixed, const std::string& last) {
    return std::vector<Turn>{
        {Dir::ToClient, greeting("mysql_native_password", kServerCaps, "11.8.2-MariaDB")},
        {Dir::ToServer, login("pa", kResponse20, "shop", "mysql_native_password")},
        {Dir::ToClient, packet(2, std::string("\xfe") + cstr("parsec") + server_nonce)},
        {Dir::ToServer, packet(3, "")},
        {Dir::ToClient, packet(4, std::string(prefixed ? "\x01" : "") + "P\x01" + salt)},
        {Dir::ToServer, packet(5, client_nonce + signature)},
        {Dir::ToClient, last}};
  };
  for (bool prefixed : {false, true}) {
    auto ev = run(exchange(prefixed, ok_packet(6)));
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(str(ev[0], "mechanism"), "parsec");
    EXPECT_EQ(str(ev[0], "user"), "pa");
    EXPECT_EQ(str(ev[0], "result"), "success");
    const auto& c = ev[0]["credential"];
    EXPECT_EQ(str(c, "server_nonce"), hex(server_nonce));
    EXPECT_EQ(str(c, "kdf"), "pbkdf2-sha512");
    EXPECT_EQ(str(c, "iterations"), "2048");
    EXPECT_EQ(str(c, "salt"), hex(salt));
    EXPECT_EQ(str(c, "client_nonce"), hex(client_nonce));
    EXPECT_EQ(str(c, "signature"), sig_hex);
    EXPECT_FALSE(has(ev[0], "password"));  // the empty packet is no empty password
    EXPECT_FALSE(has(ev[0], "hash"));
  }
  auto ev = run(exchange(false, err_packet(6, 1045, "28000",
                                           "Access denied for user 'pa'@'10.0.0.5' (using "
                                           "password: YES)")));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "failure");
  EXPECT_EQ(str(ev[0]["credential"], "signature"), sig_hex);
  EXPECT_FALSE(has(ev[0], "credential_accepted"));
  // --redact masks every credential value.
  AppLayerConfig config;
  config.redact = true;
  auto log = test::play(analyzer_registry(), test::test_flow(3306), exchange(false, ok_packet(6)),
                        {}, config);
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.lines[0].find(sig_hex), std::string::npos);
}

// Errors MariaDB sends only once the password was accepted (checked against MariaDB
// 10.11: each comes with the right password, 1045 with a wrong one): still failures,
// with credential_accepted.
TEST(MysqlVariants, RefusalsAfterTheRightPasswordSayItWasAccepted) {
  struct Case {
    uint16_t code;
    const char* state;
    const char* message;
    bool accepted;
  };
  for (const Case& c :
       {Case{1044, "42000", "Access denied for user 'alice'@'%' to database 'secret'", true},
        Case{1049, "42000", "Unknown database 'nodb'", true},
        Case{4151, "HY000", "Access denied, this account is locked", true},
        Case{1226, "42000", "User 'lim' has exceeded the 'max_user_connections' resource", true},
        Case{1045, "28000", "Access denied for user 'alice'@'127.0.0.1' (using password: YES)",
             false}}) {
    auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                   {Dir::ToServer, login("alice", kResponse20, "secret", "mysql_native_password")},
                   {Dir::ToClient, err_packet(2, c.code, c.state, c.message)}});
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(str(ev[0], "result"), "failure");
    EXPECT_EQ(has(ev[0], "credential_accepted"), c.accepted) << c.code;
    EXPECT_EQ(str(ev[0], "reason").substr(0, 4), std::to_string(c.code));
  }
}

TEST(MysqlAnalyzer, SwitchToNativeUsesTheNewScramble) {
  std::string scramble = repeat("S", 20);
  auto ev = run({{Dir::ToClient, greeting("caching_sha2_password")},
                 {Dir::ToServer, login("bob", kResponse32, "", "caching_sha2_password")},
                 {Dir::ToClient,
                  packet(2, std::string("\xfe") + cstr("mysql_native_password") + cstr(scramble))},
                 {Dir::ToServer, packet(3, kResponse20)},
                 {Dir::ToClient, ok_packet(4)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "mysql_native_password");
  EXPECT_EQ(str(ev[0], "hash"), std::string("$mysqlna$") + hex(scramble) + "*" + hex(kResponse20));
}

TEST(MysqlAnalyzer, CachingSha2FastAuth) {
  auto ev = run({{Dir::ToClient, greeting("caching_sha2_password")},
                 {Dir::ToServer, login("carol", kResponse32, "", "caching_sha2_password")},
                 {Dir::ToClient, packet(2, "\x01\x03")},
                 {Dir::ToClient, ok_packet(3)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "caching_sha2_password");
  EXPECT_EQ(str(ev[0]["credential"], "salt"), hex(kScramble1 + kScramble2));
  EXPECT_EQ(str(ev[0]["credential"], "response"), hex(kResponse32));
  EXPECT_FALSE(has(ev[0], "hash"));
  EXPECT_EQ(str(ev[0], "result"), "success");
}

TEST(MysqlAnalyzer, CachingSha2FullAuthWithRsaKeyRequest) {
  std::string pem = std::string("-----BEGIN PUBLIC KEY-----\n") +
                    repeat("MIIBIjANBgkqhkiG9w0B", 360) + "\n-----END PUBLIC KEY-----\n";
  std::string encrypted = repeat(std::string("\x5a\x00\xc3\x81", 4), 256);
  auto ev = run({{Dir::ToClient, greeting("caching_sha2_password")},
                 {Dir::ToServer, login("carol", kResponse32, "", "caching_sha2_password")},
                 {Dir::ToClient, packet(2, "\x01\x04")},
                 {Dir::ToServer, packet(3, "\x02")},
                 {Dir::ToClient, packet(4, std::string("\x01") + pem)},
                 {Dir::ToServer, packet(5, encrypted)},
                 {Dir::ToClient, ok_packet(6)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "caching_sha2_password");
  EXPECT_EQ(str(ev[0]["credential"], "response"), hex(kResponse32));
  EXPECT_EQ(str(ev[0]["credential"], "rsa_encrypted_password"), hex(encrypted));
  EXPECT_FALSE(has(ev[0], "password"));
}

TEST(MysqlAnalyzer, CachingSha2FullAuthInClear) {
  auto ev = run({{Dir::ToClient, greeting("caching_sha2_password")},
                 {Dir::ToServer, login("carol", kResponse32, "", "caching_sha2_password")},
                 {Dir::ToClient, packet(2, "\x01\x04")},
                 {Dir::ToServer, packet(3, cstr("s3cret pass"))},
                 {Dir::ToClient, err_packet(4, 1045, "28000", "Access denied")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "password"), "s3cret pass");
  EXPECT_EQ(str(ev[0], "result"), "failure");
}

TEST(MysqlAnalyzer, Sha256PasswordAfterSwitch) {
  std::string scramble = repeat("T", 20);
  std::string encrypted = repeat("\x81\x7f\x00\x10", 256);
  auto ev = run(
      {{Dir::ToClient, greeting("caching_sha2_password")},
       {Dir::ToServer, login("dsm1", kResponse32, "", "caching_sha2_password")},
       {Dir::ToClient, packet(2, std::string("\xfe") + cstr("sha256_password") + cstr(scramble))},
       {Dir::ToServer, packet(3, "\x01")},
       {Dir::ToClient, packet(4, "\x01-----BEGIN PUBLIC KEY-----\nAAAA\n")},
       {Dir::ToServer, packet(5, encrypted)},
       {Dir::ToClient, err_packet(6, 1045, "28000", "Access denied")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "sha256_password");
  EXPECT_EQ(str(ev[0]["credential"], "salt"), hex(scramble));
  EXPECT_EQ(str(ev[0]["credential"], "rsa_encrypted_password"), hex(encrypted));
  EXPECT_EQ(str(ev[0], "result"), "failure");
}

TEST(MysqlAnalyzer, ClearPasswordAndDialogGiveTheCleartext) {
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, login("ldap", kResponse20, "", "mysql_native_password")},
                 {Dir::ToClient, packet(2, std::string("\xfe") + cstr("mysql_clear_password"))},
                 {Dir::ToServer, packet(3, cstr("Clear-1"))},
                 {Dir::ToClient, ok_packet(4)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "mysql_clear_password");
  EXPECT_EQ(str(ev[0], "password"), "Clear-1");
  EXPECT_FALSE(has(ev[0], "credential"));

  // PAM through the dialog plugin: a normal question, then the last, a password one.
  ev = run({{Dir::ToClient, greeting("mysql_native_password")},
            {Dir::ToServer, login("pam", kResponse20, "", "mysql_native_password")},
            {Dir::ToClient, packet(2, std::string("\xfe") + cstr("dialog") + "\x02Token: ")},
            {Dir::ToServer, packet(3, cstr("123456"))},
            {Dir::ToClient, packet(4, "\x01\x05Password: ")},
            {Dir::ToServer, packet(5, cstr("Pam-pass"))},
            {Dir::ToClient, ok_packet(6)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "dialog");
  EXPECT_EQ(str(ev[0], "password"), "Pam-pass");
}

TEST(MysqlAnalyzer, ChangeUserIsANewAttemptWithItsOwnOutcome) {
  std::string change = std::string("\x11") + cstr("root2") + "\x14" + kResponse20 + cstr("db2") +
                       le16(0x21) + cstr("mysql_native_password") + attributes();
  std::string query = "\x03SELECT 1";
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, login("root", kResponse20, "", "mysql_native_password")},
                 {Dir::ToClient, ok_packet(2)},
                 {Dir::ToServer, packet(0, query)},
                 {Dir::ToClient, packet(1, "\x01") + packet(2, "column-def") + packet(3, "row")},
                 {Dir::ToServer, packet(0, change)},
                 {Dir::ToClient, err_packet(1, 1045, "28000", "Access denied for user 'root2'")}});
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(str(ev[0], "user"), "root");
  EXPECT_EQ(str(ev[0], "result"), "success");
  EXPECT_FALSE(has(ev[0], "change_user"));
  EXPECT_EQ(str(ev[1], "user"), "root2");
  EXPECT_EQ(str(ev[1], "database"), "db2");
  EXPECT_EQ(str(ev[1], "result"), "failure");
  EXPECT_TRUE(ev[1]["change_user"].GetBool());
  EXPECT_EQ(str(ev[1], "hash"),
            std::string("$mysqlna$") + hex(kScramble1 + kScramble2) + "*" + hex(kResponse20));
}

TEST(MysqlAnalyzer, SslRequestIsATlsAttemptWithoutCredentials) {
  std::string ssl =
      packet(1, le32(kClientCaps | mysql::kSsl) + le32(16777216) + "\x21" + std::string(23, '\0'));
  std::string client_hello = "\x16\x03\x01\x00\x05hello";
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, ssl},
                 {Dir::ToServer, client_hello},
                 {Dir::ToClient, "\x16\x03\x03\x00\x02hi"}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0]["tls"].GetBool());
  EXPECT_EQ(str(ev[0], "user"), "");
  EXPECT_EQ(str(ev[0], "result"), "unknown");
  EXPECT_FALSE(has(ev[0], "credential"));
  // TLS bytes in the same segment as the SSLRequest.
  ev = run(
      {{Dir::ToClient, greeting("mysql_native_password")}, {Dir::ToServer, ssl + client_hello}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0]["tls"].GetBool());
  // A client that sends the SSLRequest and then hangs up made no attempt.
  ev = run({{Dir::ToClient, greeting("mysql_native_password")}, {Dir::ToServer, ssl}});
  EXPECT_EQ(ev.size(), 0u);
}

TEST(MysqlAnalyzer, NothingInventedWithoutALogin) {
  // The server refuses the host in place of a greeting.
  auto ev = test::play(analyzer_registry(), test::test_flow(3306),
                       {{Dir::ToClient, err_packet(0, 1130, "HY000", "Host is not allowed")}});
  EXPECT_EQ(ev.lines.size(), 0u);
  // Midstream: the capture begins with a query and its result.
  ev =
      test::play(analyzer_registry(), test::test_flow(3306),
                 {{Dir::ToServer, packet(0, "\x03SELECT 1")},
                  {Dir::ToClient, packet(1, "\x01") + ok_packet(2)},
                  {Dir::ToServer, packet(0, std::string("\x11") + cstr("x") + cstr("") + cstr(""))},
                  {Dir::ToClient, ok_packet(1)}});
  EXPECT_EQ(ev.lines.size(), 0u);
  // Midstream from the server side (a result set packet with sequence 1).
  ev = test::play(analyzer_registry(), test::test_flow(3306),
                  {{Dir::ToClient, packet(1, "\x01")}, {Dir::ToServer, packet(0, "\x0e")}});
  EXPECT_EQ(ev.lines.size(), 0u);
}

TEST(MysqlAnalyzer, UnansweredLoginIsUnknownAtClose) {
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, login("alice", kResponse20, "", "mysql_native_password")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "unknown");
  EXPECT_EQ(str(ev[0], "user"), "alice");
}

TEST(MysqlAnalyzer, OldServersAndHandshakeResponse320) {
  // A 4.0-era server: no CLIENT_PROTOCOL_41, 8-byte scramble only, no plugin.
  uint32_t caps = 0x1 | 0x4 | mysql::kConnectWithDb;
  std::string g = packet(0, std::string("\x0a") + cstr("4.0.27") + le32(7) + kScramble1 +
                                std::string(1, '\0') + le16(caps));
  std::string r =
      packet(1, le16(caps) + le24(0xffffff) + cstr("old") + cstr("ABCDEFGH") + cstr("legacy"));
  auto ev = run({{Dir::ToClient, g}, {Dir::ToServer, r}, {Dir::ToClient, ok_packet(2)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "user"), "old");
  EXPECT_EQ(str(ev[0], "database"), "legacy");
  EXPECT_EQ(str(ev[0], "mechanism"), "mysql_old_password");
  EXPECT_EQ(str(ev[0]["credential"], "salt"), hex(kScramble1));
  EXPECT_EQ(str(ev[0]["credential"], "response"), hex("ABCDEFGH"));
}

TEST(MysqlAnalyzer, HugeDeclaredLengthsAreSkippedNotBuffered) {
  FlowInfo flow = test::test_flow(3306);
  AnalyzerOptions options(kMysqlAnalyzer.options);
  AnalyzerContext context{&flow, &kMysqlAnalyzer, &options};
  auto a = kMysqlAnalyzer.make(context);
  test::EventLog out;
  auto feed = [&](Dir d, const std::string& s) {
    return a->on_data(d, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()), out);
  };
  EXPECT_EQ(feed(Dir::ToClient, greeting("mysql_native_password")).kind, ParseResult::Ok);
  EXPECT_EQ(feed(Dir::ToServer, login("a", kResponse20, "", "mysql_native_password")).kind,
            ParseResult::Ok);
  EXPECT_EQ(feed(Dir::ToClient, ok_packet(2)).kind, ParseResult::Ok);
  // A 16 MiB - 1 query (continued in a second packet) arrives in 64 KiB pieces: each is
  // consumed whole, nothing is asked to be kept.
  std::string chunk(65536, 'x');
  EXPECT_EQ(feed(Dir::ToServer, le24(0xffffff) + std::string("\x00\x03", 2) + chunk).kind,
            ParseResult::Ok);
  size_t left = 0xffffff - 1 - chunk.size();
  while (left) {
    size_t n = std::min(left, chunk.size());
    EXPECT_EQ(feed(Dir::ToServer, chunk.substr(0, n)).kind, ParseResult::Ok);
    left -= n;
  }
  // The continuation packet (sequence 1) starts with 0x11 but is not a command.
  EXPECT_EQ(
      feed(Dir::ToServer, packet(1, std::string("\x11") + cstr("nobody") + cstr("") + cstr("")))
          .kind,
      ParseResult::Ok);
  EXPECT_EQ(feed(Dir::ToClient, ok_packet(2)).kind, ParseResult::Ok);
  EXPECT_EQ(out.lines.size(), 1u);
  // A server packet claiming 16 MiB during authentication is skipped as well.
  std::string change = std::string("\x11") + cstr("eve") + "\x14" + kResponse20 + cstr("");
  EXPECT_EQ(feed(Dir::ToServer, packet(0, change)).kind, ParseResult::Ok);
  EXPECT_EQ(feed(Dir::ToClient, le24(0xfffffe) + "\x01\xff\x15\x04").kind, ParseResult::Ok);
  a->on_close(out);
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_NE(out.lines[1].find("\"result\":\"unknown\""), std::string::npos);
}

// CLIENT_COMPRESS: after the OK both sides send compressed-protocol frames (3-byte
// compressed length, sequence, 3-byte length before compression, 0 for a frame sent as
// is). A COM_CHANGE_USER inside a deflated frame is found and its outcome read from the
// server's (uncompressed-form) frame; a large deflated result set, a frame that does not
// inflate and plain packets mistaken for frames give no event.
std::string frame(uint8_t seq, const std::string& packets, bool deflate) {
  if (!deflate) return le24(uint32_t(packets.size())) + char(seq) + le24(0) + packets;
  uLongf size = compressBound(packets.size());
  std::string z(size, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(z.data()), &size,
                      reinterpret_cast<const Bytef*>(packets.data()), packets.size(), 6),
            Z_OK);
  z.resize(size);
  return le24(uint32_t(z.size())) + char(seq) + le24(uint32_t(packets.size())) + z;
}

TEST(MysqlAnalyzer, CompressedTrafficAfterLoginStillShowsChangeUser) {
  std::string change = std::string("\x11") + cstr("root2") + "\x14" + kResponse20 + cstr("db2") +
                       le16(0x21) + cstr("mysql_native_password") + attributes();
  std::string rows;
  for (int i = 0; i < 200; ++i) rows += packet(uint8_t(2 + i), "row number " + std::to_string(i));
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, login("z", kResponse20, "", "mysql_native_password",
                                       kClientCaps | mysql::kCompress)},
                 {Dir::ToClient, ok_packet(2)},
                 {Dir::ToServer, frame(0, packet(0, "\x03SELECT * FROM t"), false)},
                 {Dir::ToClient, frame(1, packet(1, "\x01") + rows, true)},
                 {Dir::ToServer, frame(0, packet(0, change), true)},
                 {Dir::ToClient, frame(1, err_packet(1, 1045, "28000", "Access denied"), false)},
                 {Dir::ToServer, frame(0, packet(0, change), true)},
                 {Dir::ToClient, frame(1, ok_packet(1), false)}});
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(str(ev[0], "user"), "z");
  EXPECT_EQ(str(ev[1], "user"), "root2");
  EXPECT_EQ(str(ev[1], "result"), "failure");
  EXPECT_EQ(str(ev[1], "reason"), "1045 (28000): Access denied");
  EXPECT_TRUE(ev[1]["change_user"].GetBool());
  EXPECT_EQ(str(ev[1], "hash"),
            std::string("$mysqlna$") + hex(kScramble1 + kScramble2) + "*" + hex(kResponse20));
  EXPECT_EQ(str(ev[2], "result"), "success");

  // Plain packets after a compressed login, and a frame that does not inflate: no event.
  std::string bad = frame(0, packet(0, change), true);
  bad[12] ^= 0x55;
  auto quiet = test::play(analyzer_registry(), test::test_flow(3306),
                          {{Dir::ToClient, greeting("mysql_native_password")},
                           {Dir::ToServer, login("z", kResponse20, "", "mysql_native_password",
                                                 kClientCaps | mysql::kCompress)},
                           {Dir::ToClient, ok_packet(2)},
                           {Dir::ToServer, bad},
                           {Dir::ToClient, frame(1, ok_packet(1), false)},
                           {Dir::ToServer, packet(0, change)},
                           {Dir::ToClient, ok_packet(1)}});
  ASSERT_EQ(quiet.lines.size(), 1u);
  EXPECT_NE(quiet.lines[0].find("\"user\":\"z\""), std::string::npos);
}

// CLIENT_ZSTD_COMPRESSION_ALGORITHM (MySQL 8.0.18+): the login's last byte is the zstd
// level; after the OK the frames are those of CLIENT_COMPRESS with a zstd payload
// (compressed here with libzstd). A COM_CHANGE_USER inside one is found; a frame that is
// no zstd frame is an anomaly and gives no event.
std::string zstd_frame(uint8_t seq, const std::string& packets) {
  std::string z(ZSTD_compressBound(packets.size()), '\0');
  size_t n = ZSTD_compress(z.data(), z.size(), packets.data(), packets.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  z.resize(n);
  return le24(uint32_t(z.size())) + char(seq) + le24(uint32_t(packets.size())) + z;
}

TEST(MysqlAnalyzer, ZstdCompressedTrafficAfterLoginStillShowsChangeUser) {
  constexpr uint32_t kZstdCaps = kClientCaps | mysql::kZstdCompression;
  std::string zlogin = login("z", kResponse20, "", "mysql_native_password", kZstdCaps);
  // The level byte follows the attributes: one more byte in the packet.
  zlogin += '\x07';
  zlogin[0] = char(uint8_t(zlogin[0]) + 1);
  mysql::LoginRequest parsed;
  ASSERT_TRUE(mysql::parse_login_request(
      ByteView(reinterpret_cast<const uint8_t*>(zlogin.data()) + 4, zlogin.size() - 4), parsed));
  EXPECT_EQ(parsed.zstd_level, 7);
  EXPECT_EQ(parsed.attributes.size(), 2u);

  std::string change = std::string("\x11") + cstr("root2") + "\x14" + kResponse20 + cstr("db2") +
                       le16(0x21) + cstr("mysql_native_password") + attributes();
  std::string rows;
  for (int i = 0; i < 200; ++i) rows += packet(uint8_t(2 + i), "row number " + std::to_string(i));
  // A MySQL 8.0.18+ server offers zstd.
  std::string zgreeting = greeting("mysql_native_password", kServerCaps | mysql::kZstdCompression);
  auto ev = run({{Dir::ToClient, zgreeting},
                 {Dir::ToServer, zlogin},
                 {Dir::ToClient, ok_packet(2)},
                 {Dir::ToServer, zstd_frame(0, packet(0, "\x03SELECT * FROM t"))},
                 {Dir::ToClient, zstd_frame(1, packet(1, "\x01") + rows)},
                 {Dir::ToServer, zstd_frame(0, packet(0, change))},
                 {Dir::ToClient, zstd_frame(1, err_packet(1, 1045, "28000", "Access denied"))},
                 {Dir::ToServer, frame(0, packet(0, change), false)},
                 {Dir::ToClient, frame(1, ok_packet(1), false)}});
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(str(ev[0], "user"), "z");
  EXPECT_EQ(str(ev[0], "result"), "success");
  EXPECT_EQ(str(ev[1], "user"), "root2");
  EXPECT_EQ(str(ev[1], "result"), "failure");
  EXPECT_EQ(str(ev[1], "reason"), "1045 (28000): Access denied");
  EXPECT_TRUE(ev[1]["change_user"].GetBool());
  EXPECT_EQ(str(ev[2], "result"), "success");

  // A zlib frame where zstd is in use, and a zstd frame with a byte flipped: anomalies,
  // no invented attempt.
  std::string bad = zstd_frame(0, packet(0, change));
  bad[bad.size() - 3] ^= 0x55;
  auto quiet = test::play(analyzer_registry(), test::test_flow(3306),
                          {{Dir::ToClient, zgreeting},
                           {Dir::ToServer, zlogin},
                           {Dir::ToClient, ok_packet(2)},
                           {Dir::ToServer, frame(0, packet(0, change), true)},
                           {Dir::ToServer, bad},
                           {Dir::ToClient, zstd_frame(1, ok_packet(1))}});
  ASSERT_EQ(quiet.lines.size(), 1u);
  EXPECT_NE(quiet.lines[0].find("\"user\":\"z\""), std::string::npos);
}

TEST(MysqlAnalyzer, MalformedLoginIsAnError) {
  auto ev = test::play(analyzer_registry(), test::test_flow(3306),
                       {{Dir::ToClient, greeting("mysql_native_password")},
                        {Dir::ToServer, packet(1, le32(kClientCaps) + "short")},
                        {Dir::ToClient, ok_packet(2)}});
  EXPECT_EQ(ev.lines.size(), 0u);
}

// ---- protocol variants the specification allows (MySQL "Connection Phase") -----------

// The events of `turns` played with weird events on: the names of the anomalies.
std::vector<std::string> anomalies_of(const std::vector<Turn>& turns) {
  AppLayerConfig config;
  config.weird_events = true;
  auto log = test::play(analyzer_registry(), test::test_flow(3306), turns, {}, config);
  std::vector<std::string> names;
  for (const auto& d : test::parse_events(log))
    if (str(d, "event") == "weird") names.push_back(str(d, "name"));
  return names;
}

TEST(MysqlVariants, DialogQuestionsMariaDbSendsWithoutAPrefix) {
  // MariaDB sends later dialog (PAM) questions as they are, no 0x01 before the type
  // byte: a password question, then a last ordinary one (a one-time code); the password
  // is the answer to the first.
  std::vector<Turn> turns = {
      {Dir::ToClient, greeting("mysql_native_password")},
      {Dir::ToServer, login("pam2", kResponse20, "", "mysql_native_password")},
      {Dir::ToClient, packet(2, std::string("\xfe") + cstr("dialog") + "\x04Password: ")},
      {Dir::ToServer, packet(3, cstr("Pam-pass2"))},
      {Dir::ToClient, packet(4, "\x05Verification code: ")},
      {Dir::ToServer, packet(5, cstr("424242"))},
      {Dir::ToClient, err_packet(6, 1045, "28000", "Access denied for user 'pam2'")}};
  auto ev = run(turns);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "dialog");
  EXPECT_EQ(str(ev[0], "password"), "Pam-pass2");
  EXPECT_EQ(str(ev[0], "result"), "failure");
  EXPECT_TRUE(anomalies_of(turns).empty());
  // A client whose own plugin is dialog gets the first question so too.
  turns = {{Dir::ToClient, greeting("mysql_native_password")},
           {Dir::ToServer, login("pam3", "", "", "dialog")},
           {Dir::ToClient, packet(2, "\x03Login: ")},
           {Dir::ToServer, packet(3, cstr("pam3"))},
           {Dir::ToClient, packet(4, "\x05Password: ")},
           {Dir::ToServer, packet(5, cstr("Pam-pass3"))},
           {Dir::ToClient, ok_packet(6)}};
  ev = run(turns);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "dialog");
  EXPECT_EQ(str(ev[0], "password"), "Pam-pass3");
  EXPECT_EQ(str(ev[0], "result"), "success");
  EXPECT_TRUE(anomalies_of(turns).empty());
}

TEST(MysqlVariants, MultiFactorKeepsTheFirstFactorsCredential) {
  // MySQL 8.0.27+: after the password factor, AuthNextFactor (0x02, plugin name, data)
  // starts the next factor; its exchange is not the password's, and OK ends the attempt.
  std::vector<Turn> turns = {
      {Dir::ToClient, greeting("mysql_native_password")},
      {Dir::ToServer, login("mfa", kResponse20, "", "mysql_native_password")},
      {Dir::ToClient, packet(2, std::string("\x02") + cstr("authentication_fido_client") +
                                    repeat("\x07\x01", 40))},
      {Dir::ToServer, packet(3, repeat("\x30\x82\x01", 90))},
      {Dir::ToClient, packet(4, std::string("\x01") + repeat("\x04\x20", 20))},
      {Dir::ToServer, packet(5, cstr("not-a-password"))},
      {Dir::ToClient, ok_packet(6)}};
  auto ev = run(turns);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "mysql_native_password");
  EXPECT_EQ(str(ev[0], "result"), "success");
  EXPECT_EQ(str(ev[0]["credential"], "response"), hex(kResponse20));
  EXPECT_EQ(str(ev[0], "hash"),
            std::string("$mysqlna$") + hex(kScramble1 + kScramble2) + "*" + hex(kResponse20));
  EXPECT_FALSE(has(ev[0], "password"));
  EXPECT_TRUE(anomalies_of(turns).empty());
  // Two passwords (caching_sha2_password twice): the second factor's full authentication
  // does not replace the first factor's response; its refusal is the attempt's outcome.
  ev = run({{Dir::ToClient, greeting("caching_sha2_password")},
            {Dir::ToServer, login("mfa", kResponse32, "", "caching_sha2_password")},
            {Dir::ToClient, packet(2, "\x01\x03")},
            {Dir::ToClient, packet(3, std::string("\x02") + cstr("caching_sha2_password") +
                                          repeat("N", 20) + std::string(1, '\0'))},
            {Dir::ToServer, packet(4, kResponse32)},
            {Dir::ToClient, packet(5, "\x01\x04")},
            {Dir::ToServer, packet(6, cstr("second"))},
            {Dir::ToClient, err_packet(7, 1045, "28000", "Access denied")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0]["credential"], "response"), hex(kResponse32));
  EXPECT_FALSE(has(ev[0], "password"));
  EXPECT_EQ(str(ev[0], "result"), "failure");
}

TEST(MysqlVariants, ClientWithoutPluginAuthOrDatabase) {
  // A 4.1 client without CLIENT_PLUGIN_AUTH, CLIENT_CONNECT_WITH_DB, attributes or
  // lenenc auth data: the 1-byte length of CLIENT_SECURE_CONNECTION, nothing after it.
  uint32_t caps = mysql::kProtocol41 | mysql::kSecureConnection | 0x1 | 0x2000;
  auto ev = run({{Dir::ToClient, greeting("caching_sha2_password")},
                 {Dir::ToServer, login("plain41", kResponse20, "ignored", "ignored", caps)},
                 {Dir::ToClient, ok_packet(2)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "user"), "plain41");
  EXPECT_EQ(str(ev[0], "mechanism"), "mysql_native_password");
  EXPECT_FALSE(has(ev[0], "database"));
  EXPECT_FALSE(has(ev[0], "client_attributes"));
  EXPECT_EQ(str(ev[0], "hash"),
            std::string("$mysqlna$") + hex(kScramble1 + kScramble2) + "*" + hex(kResponse20));
  // The same with CLIENT_CONNECT_WITH_DB and an empty database name.
  caps |= mysql::kConnectWithDb;
  ev = run({{Dir::ToClient, greeting("mysql_native_password")},
            {Dir::ToServer, login("plain41", kResponse20, "", "", caps)},
            {Dir::ToClient, ok_packet(2)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_FALSE(has(ev[0], "database"));
  EXPECT_EQ(str(ev[0], "result"), "success");
}

TEST(MysqlVariants, AuthDataLongerThan250BytesIsLengthEncoded) {
  // CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA: 0xfc + 2-byte length for 251..65535 bytes.
  std::string password = repeat("pass-phrase ", 299);
  std::string data = cstr(password);
  std::string p = le32(kClientCaps) + le32(16777216) + "\x21" + std::string(23, '\0') +
                  cstr("longpw") + "\xfc" + le16(uint32_t(data.size())) + data + cstr("db") +
                  cstr("mysql_clear_password") + attributes();
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, packet(1, p)},
                 {Dir::ToClient, ok_packet(2)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "mechanism"), "mysql_clear_password");
  EXPECT_EQ(str(ev[0], "password"), password);
  EXPECT_EQ(str(ev[0], "database"), "db");
  EXPECT_EQ(str(ev[0]["client_attributes"], "_pid"), "4242");
}

TEST(MysqlVariants, ErrorsWithAndWithoutSqlState) {
  // Pre-4.1 servers (and 4.1+ ones to clients without CLIENT_PROTOCOL_41) send no '#'
  // marker: code and message only.
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, login("bob", kResponse20, "", "mysql_native_password")},
                 {Dir::ToClient, packet(2, std::string("\xff") + le16(1045) + "Access denied")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "failure");
  EXPECT_EQ(str(ev[0], "reason"), "1045: Access denied");
  // ERR in place of the greeting (1040 too many connections, with and without the
  // state): no attempt was made.
  for (std::string state : {"", "#08004"}) {
    std::string err = packet(0, std::string("\xff") + le16(1040) + state + "Too many connections");
    ev = run({{Dir::ToClient, err}});
    EXPECT_EQ(ev.size(), 0u) << state;
  }
  // ERR after the greeting, before any login (a handshake timeout): nothing invented.
  ev = run({{Dir::ToClient, greeting("mysql_native_password")},
            {Dir::ToClient,
             err_packet(1, 1158, "08S01", "Got an error reading communication packets")}});
  EXPECT_EQ(ev.size(), 0u);
}

TEST(MysqlVariants, ServerVersionsOfOtherReleases) {
  for (std::string version :
       {"8.0.36", "8.4.3", "9.1.0", "8.0.40-0ubuntu0.22.04.1", "8.0.39-30" /* Percona */,
        "5.7.44-log", "11.4.3-MariaDB-ubu2404", "5.5.5-10.6.18-MariaDB-0ubuntu0.22.04.1"}) {
    auto ev = run({{Dir::ToClient, greeting("caching_sha2_password", kServerCaps, version)},
                   {Dir::ToServer, login("v", kResponse32, "", "caching_sha2_password")},
                   {Dir::ToClient, packet(2, "\x01\x03")},
                   {Dir::ToClient, ok_packet(3)}});
    ASSERT_EQ(ev.size(), 1u) << version;
    EXPECT_EQ(str(ev[0], "server_version"), version);
    EXPECT_EQ(str(ev[0], "result"), "success") << version;
  }
}

TEST(MysqlVariants, CompressionNegotiatedBeforeTheLoginChangesNothingUntilOk) {
  // CLIENT_COMPRESS on both sides: the login packets and the OK are still plain.
  uint32_t caps = kClientCaps | mysql::kCompress;
  auto ev = run({{Dir::ToClient, greeting("mysql_native_password")},
                 {Dir::ToServer, login("zip", kResponse20, "", "mysql_native_password", caps)},
                 {Dir::ToClient, packet(2, std::string("\xfe") + cstr("mysql_native_password") +
                                               repeat("S", 20) + std::string(1, '\0'))},
                 {Dir::ToServer, packet(3, kResponse20)},
                 {Dir::ToClient, ok_packet(4)}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "result"), "success");
  EXPECT_EQ(str(ev[0]["credential"], "salt"), hex(repeat("S", 20)));
}

TEST(MysqlVariants, HandshakeResponse320WithoutDatabase) {
  // No CLIENT_PROTOCOL_41 and no CLIENT_CONNECT_WITH_DB: the auth response runs to the
  // end of the packet (string[EOF]), no NUL.
  uint32_t caps = 0x1 | 0x4;
  std::string g = packet(0, std::string("\x0a") + cstr("3.23.58") + le32(9) + kScramble1 +
                                std::string(1, '\0') + le16(caps));
  auto ev =
      run({{Dir::ToClient, g},
           {Dir::ToServer, packet(1, le16(caps) + le24(0xffffff) + cstr("v320") + "QRSTUVWX")},
           {Dir::ToClient, packet(2, std::string("\xff") + le16(1045) + "Access denied")}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(str(ev[0], "user"), "v320");
  EXPECT_FALSE(has(ev[0], "database"));
  EXPECT_EQ(str(ev[0], "mechanism"), "mysql_old_password");
  EXPECT_EQ(str(ev[0]["credential"], "response"), hex("QRSTUVWX"));
  EXPECT_EQ(str(ev[0], "reason"), "1045: Access denied");
}

}  // namespace
}  // namespace netsift
