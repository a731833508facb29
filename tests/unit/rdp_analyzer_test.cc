// RDP connection requests (MS-RDPBCGR 2.2.1.1, 2.2.1.2) through the real engine: the
// mstshash cookie becomes an `auth` event with result unknown, whatever the negotiation.
#include "analyzers/rdp/rdp_analyzer.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/registry.h"

namespace netsift {
namespace {

using test::Turn;

// TPKT (RFC 1006) + X.224 TPDU (LI, code, DST-REF, SRC-REF, class) + variable part.
std::string tpkt(uint8_t code, const std::string& variable) {
  std::string tpdu =
      std::string{char(6 + variable.size()), char(code), 0, 0, 0x12, 0x34, 0} + variable;
  size_t len = 4 + tpdu.size();
  return std::string{3, 0, char(len >> 8), char(len)} + tpdu;
}
std::string neg(uint8_t type, uint32_t value) {
  return std::string{char(type),       0, 8, 0, char(value), char(value >> 8), char(value >> 16),
                     char(value >> 24)};
}

rapidjson::Document only_auth(const test::EventLog& log) {
  rapidjson::Document out;
  int n = 0;
  for (const auto& l : log.lines) {
    rapidjson::Document d;
    d.Parse(l.data(), l.size());  // sized: no SSE2 reads past the string
    if (std::string(d["event"].GetString()) == "auth") out.CopyFrom(d, out.GetAllocator()), ++n;
  }
  EXPECT_EQ(n, 1);
  return out;
}

TEST(RdpAnalyzer, CookieWithNegotiationAtEverySplit) {
  // mstsc: cookie, RDP_NEG_REQ asking for SSL | HYBRID; the server selects HYBRID (CredSSP).
  std::vector<Turn> turns = {
      {Dir::ToServer, tpkt(0xE0, "Cookie: mstshash=CORP\\alice\r\n" + neg(1, 3))},
      {Dir::ToClient, tpkt(0xD0, neg(2, 2))},
      {Dir::ToServer, std::string("\x16\x03\x01\x00\x05hello", 10)},  // TLS follows
  };
  for (uint16_t port : {3389, 13389}) {
    auto d = only_auth(test::play(analyzer_registry(), test::test_flow(port), turns));
    EXPECT_STREQ(d["service"].GetString(), "rdp");
    EXPECT_STREQ(d["user"].GetString(), "CORP\\alice");
    EXPECT_STREQ(d["mechanism"].GetString(), "rdp_cookie");
    EXPECT_STREQ(d["result"].GetString(), "unknown");
    EXPECT_TRUE(d["tls"].GetBool());
    EXPECT_STREQ(d["selected_protocol"].GetString(), "hybrid");
    ASSERT_EQ(d["requested_protocols"].Size(), 2u);
    EXPECT_STREQ(d["requested_protocols"][0].GetString(), "ssl");
    EXPECT_STREQ(d["requested_protocols"][1].GetString(), "hybrid");
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "");
  }
}

// Byte for byte as [MS-RDPBCGR] lays the PDUs out, written as hex here rather than with
// the builders above: the Client X.224 Connection Request (2.2.1.1: TPKT version 3,
// length 0x002c; X.224 LI 0x27, CR 0xe0, DST-REF 0, SRC-REF 0, class 0; routingToken
// "Cookie: mstshash=eltons" CR LF; RDP_NEG_REQ type 1, flags 0, length 8,
// requestedProtocols PROTOCOL_RDP 0) and the Server X.224 Connection Confirm (2.2.1.2:
// LI 0x0e, CC 0xd0, SRC-REF 0x1234; RDP_NEG_RSP type 2, flags 0, length 8,
// selectedProtocol PROTOCOL_RDP 0).
std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    if (h[i] == ' ') {
      --i;
      continue;
    }
    out.push_back(char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(RdpAnalyzer, SpecificationConnectionRequestByteExact) {
  const std::string request = unhex(
      "03 00 00 2c 27 e0 00 00 00 00 00 43 6f 6f 6b 69 65 3a 20 6d 73 74 73 68 61 73 68 3d "
      "65 6c 74 6f 6e 73 0d 0a 01 00 08 00 00 00 00 00");
  const std::string confirm = unhex("03 00 00 13 0e d0 00 00 12 34 00 02 00 08 00 00 00 00 00");
  ASSERT_EQ(request.size(), 0x2cu);                            // TPKT length
  ASSERT_EQ(size_t(uint8_t(request[4])), request.size() - 5);  // X.224 LI
  ASSERT_EQ(confirm.size(), 0x13u);
  std::vector<Turn> turns = {{Dir::ToServer, request}, {Dir::ToClient, confirm}};
  for (uint16_t port : {3389, 33890}) {
    auto d = only_auth(test::play(analyzer_registry(), test::test_flow(port), turns));
    EXPECT_STREQ(d["user"].GetString(), "eltons");
    EXPECT_STREQ(d["mechanism"].GetString(), "rdp_cookie");
    EXPECT_STREQ(d["result"].GetString(), "unknown");
    EXPECT_FALSE(d["tls"].GetBool());
    EXPECT_STREQ(d["selected_protocol"].GetString(), "rdp");
    ASSERT_EQ(d["requested_protocols"].Size(), 1u);
    EXPECT_STREQ(d["requested_protocols"][0].GetString(), "rdp");
    EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(port), turns), "");
  }
}

TEST(RdpAnalyzer, NegotiationFailureAndNoAnswer) {
  std::vector<Turn> refused = {
      {Dir::ToServer, tpkt(0xE0, "Cookie: mstshash=bob\r\n" + neg(1, 0))},
      {Dir::ToClient, tpkt(0xD0, neg(3, 5))},
  };
  auto d = only_auth(test::play(analyzer_registry(), test::test_flow(3389), refused));
  EXPECT_STREQ(d["user"].GetString(), "bob");
  EXPECT_STREQ(d["result"].GetString(), "unknown");
  EXPECT_STREQ(d["reason"].GetString(), "negotiation failure 5 HYBRID_REQUIRED_BY_SERVER");
  EXPECT_FALSE(d["tls"].GetBool());
  std::vector<Turn> unanswered = {{Dir::ToServer, tpkt(0xE0, "Cookie: mstshash=eve\r\n")}};
  d = only_auth(test::play(analyzer_registry(), test::test_flow(3389), unanswered));
  EXPECT_STREQ(d["user"].GetString(), "eve");
}

TEST(RdpAnalyzer, NoCookieNoEventAndProbeIsPrecise) {
  std::vector<Turn> token = {
      {Dir::ToServer, tpkt(0xE0, "Cookie: msts=3640205228.15629.0000\r\n" + neg(1, 1))},
      {Dir::ToClient, tpkt(0xD0, neg(2, 1))},
  };
  auto log = test::play(analyzer_registry(), test::test_flow(3389), token);
  for (const auto& k : log.kinds) EXPECT_NE(k, "auth");
  const AnalyzerSpec* spec = find_analyzer("rdp");
  ASSERT_NE(spec, nullptr);
  auto probe = [&](Dir d, const std::string& s) {
    return spec->probe(d, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  EXPECT_EQ(probe(Dir::ToServer, tpkt(0xE0, "Cookie: mstshash=x\r\n")), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToServer, std::string("\x03\x00", 2)), Confidence::Maybe);
  EXPECT_EQ(probe(Dir::ToClient, tpkt(0xD0, neg(2, 1))), Confidence::Yes);
  EXPECT_EQ(probe(Dir::ToServer, tpkt(0xD0, "")), Confidence::No);
  EXPECT_EQ(probe(Dir::ToServer, "GET / HTTP/1.1\r\n"), Confidence::No);
  EXPECT_EQ(probe(Dir::ToServer, std::string("\x03\x00\x00\x2f\x00\xe0", 6)), Confidence::No);
}

// nmap -sV sends its TerminalServerCookie probe (bytes from a real run) to every port. On
// a port of another protocol, found by content, a server that hangs up or answers in
// its own protocol confirms no RDP connection: no event (on 3389 it is still reported).
TEST(RdpAnalyzer, NmapProbeToAnotherServiceIsNoLogin) {
  const std::string probe = std::string("\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00", 11) +
                            "Cookie: mstshash=nmap\r\n" +
                            std::string("\x01\x00\x08\x00\x03\x00\x00\x00", 8);
  std::vector<Turn> hung_up = {{Dir::ToServer, probe}};
  auto log = test::play(analyzer_registry(), test::test_flow(15432), hung_up);
  for (const auto& k : log.kinds) EXPECT_NE(k, "auth");
  std::vector<Turn> other = {{Dir::ToServer, probe},
                             {Dir::ToClient, std::string("E\0\0\0\x0bSFATAL\0\0", 13)}};
  log = test::play(analyzer_registry(), test::test_flow(15432), other);
  for (const auto& k : log.kinds) EXPECT_NE(k, "auth");
  log = test::play(analyzer_registry(), test::test_flow(3389), other);
  for (const auto& k : log.kinds) EXPECT_NE(k, "auth");
  auto d = only_auth(test::play(analyzer_registry(), test::test_flow(3389), hung_up));
  EXPECT_STREQ(d["user"].GetString(), "nmap");
  EXPECT_STREQ(d["result"].GetString(), "unknown");
  std::vector<Turn> confirmed = {{Dir::ToServer, probe}, {Dir::ToClient, tpkt(0xD0, neg(2, 1))}};
  d = only_auth(test::play(analyzer_registry(), test::test_flow(15432), confirmed));
  EXPECT_STREQ(d["user"].GetString(), "nmap");

  // The RDP ports are the config's when it names them (`protocols.rdp: [3390]`): an
  // unconfirmed request is reported on 3390, and no longer on 3389.
  AppLayerConfig config;
  config.ports["rdp"] = {3390};
  d = only_auth(test::play(analyzer_registry(), test::test_flow(3390), hung_up, {}, config));
  EXPECT_STREQ(d["user"].GetString(), "nmap");
  log = test::play(analyzer_registry(), test::test_flow(3389), hung_up, {}, config);
  for (const auto& k : log.kinds) EXPECT_NE(k, "auth");
}

}  // namespace
}  // namespace netsift
