// DNS message parsing with hand-built messages: names (compression, loops, limits,
// escaping), record data of each rendered type, EDNS, damage at every cut, and the
// analyzer's TCP framing split at every offset, and the probe that claims DNS on other ports.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/dns/dns_analyzer.h"
#include "analyzers/dns/dns_message.h"
#include "analyzers/registry.h"
#include "packet_builder.h"

namespace netsift {
namespace {

using test::Bytes;
using test::put16;
using test::put32;

void put_name(Bytes& b, std::initializer_list<std::string> labels) {
  for (const auto& l : labels) {
    b.push_back(uint8_t(l.size()));
    test::append(b, l);
  }
  b.push_back(0);
}

Bytes header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
  Bytes b;
  for (uint16_t v : {id, flags, qd, an, ns, ar}) put16(b, v);
  return b;
}

// Record with a compressed owner (pointer to offset 12, the question's name).
void put_record(Bytes& b, uint16_t type, const Bytes& rdata, uint32_t ttl = 300) {
  test::append(b, Bytes{0xc0, 12});
  put16(b, type);
  put16(b, 1);
  put32(b, ttl);
  put16(b, uint16_t(rdata.size()));
  test::append(b, rdata);
}

struct Parsed {
  Event event{"dns", 0};
  bool ok = false;
  const rapidjson::Value& operator[](const char* k) const { return event.doc()[k]; }
  bool has(const char* k) const { return event.doc().HasMember(k); }
};

std::unique_ptr<Parsed> parse(const Bytes& msg) {
  auto p = std::make_unique<Parsed>();
  p->ok = dns::add_message(ByteView(msg.data(), msg.size()), p->event);
  return p;
}

std::string rdata_of(const Parsed& p, size_t i) {
  return p["answers"][rapidjson::SizeType(i)]["rdata"].GetString();
}

Bytes response_with(uint16_t type, const Bytes& rdata) {
  Bytes m = header(7, 0x8180, 1, 1, 0, 0);
  put_name(m, {"www", "example", "com"});
  put16(m, type);
  put16(m, 1);
  put_record(m, type, rdata);
  return m;
}

TEST(Dns, QueryHeaderAndQuestion) {
  Bytes m = header(0xbeef, 0x0100, 1, 0, 0, 0);
  put_name(m, {"www", "example", "com"});
  put16(m, 28);
  put16(m, 1);
  auto p = parse(m);
  ASSERT_TRUE(p->ok);
  EXPECT_FALSE(p->has("error"));
  EXPECT_EQ((*p)["header"]["id"].GetUint(), 0xbeefu);
  EXPECT_FALSE((*p)["header"]["qr"].GetBool());
  EXPECT_TRUE((*p)["header"]["rd"].GetBool());
  EXPECT_STREQ((*p)["header"]["opcode"].GetString(), "QUERY");
  EXPECT_STREQ((*p)["header"]["rcode"].GetString(), "NOERROR");
  EXPECT_STREQ((*p)["questions"][0]["qname"].GetString(), "www.example.com");
  EXPECT_STREQ((*p)["questions"][0]["qtype"].GetString(), "AAAA");
  EXPECT_STREQ((*p)["questions"][0]["qclass"].GetString(), "IN");
}

TEST(Dns, RecordDataInPresentationForm) {
  EXPECT_EQ(rdata_of(*parse(response_with(1, {192, 0, 2, 7})), 0), "192.0.2.7");
  Bytes v6(16, 0);
  v6[0] = 0x20;
  v6[1] = 0x01;
  v6[15] = 1;
  EXPECT_EQ(rdata_of(*parse(response_with(28, v6)), 0), "2001::1");
  Bytes mx;
  put16(mx, 10);
  test::append(mx, Bytes{4, 'm', 'a', 'i', 'l', 0xc0, 16});  // mail + "example.com"
  EXPECT_EQ(rdata_of(*parse(response_with(15, mx)), 0), "10 mail.example.com");
  Bytes txt = {5, 'h', 'e', 'l', 'l', 'o', 4, 'a', '"', 0x01, 'b'};
  EXPECT_EQ(rdata_of(*parse(response_with(16, txt)), 0), "\"hello\" \"a\\\"\\001b\"");
  Bytes srv;
  put16(srv, 1);
  put16(srv, 2);
  put16(srv, 5060);
  put_name(srv, {"sip", "example", "com"});
  EXPECT_EQ(rdata_of(*parse(response_with(33, srv)), 0), "1 2 5060 sip.example.com");
  Bytes soa;
  test::append(soa, Bytes{2, 'n', 's', 0xc0, 16});
  test::append(soa, Bytes{0xc0, 16});
  for (uint32_t v : {2024010101u, 7200u, 3600u, 1209600u, 300u}) put32(soa, v);
  EXPECT_EQ(rdata_of(*parse(response_with(6, soa)), 0),
            "ns.example.com example.com 2024010101 7200 3600 1209600 300");
  Bytes caa = {0, 5, 'i', 's', 's', 'u', 'e', 'c', 'a', '.', 'o', 'r', 'g'};
  EXPECT_EQ(rdata_of(*parse(response_with(257, caa)), 0), "0 issue \"ca.org\"");
  EXPECT_EQ(rdata_of(*parse(response_with(65280, {0xde, 0xad})), 0), "\\# 2 DEAD");
  // Data that does not fit its type falls back to the RFC 3597 form.
  EXPECT_EQ(rdata_of(*parse(response_with(1, {1, 2, 3})), 0), "\\# 3 010203");
}

TEST(Dns, EdnsExtendedRcodeAndOptRecord) {
  Bytes m = header(1, 0x8400, 0, 0, 0, 1);
  m.push_back(0);  // root owner
  put16(m, 41);
  put16(m, 1232);
  put32(m, 0x01008000);  // extended rcode 1 (-> 16 BADVERS), version 0, DO
  put16(m, 0);
  auto p = parse(m);
  EXPECT_STREQ((*p)["header"]["rcode"].GetString(), "BADVERS");
  const auto& opt = (*p)["additional"][0];
  EXPECT_STREQ(opt["rname"].GetString(), ".");
  EXPECT_STREQ(opt["rtype"].GetString(), "OPT");
  EXPECT_EQ(opt["udp_payload_size"].GetUint(), 1232u);
  EXPECT_TRUE(opt["dnssec_ok"].GetBool());
}

TEST(Dns, NamesCompressionLoopsAndLimits) {
  std::string out;
  size_t pos = 0;
  // A pointer to itself, a forward pointer, and two pointers to each other all fail.
  Bytes self = {0xc0, 0x00};
  EXPECT_FALSE(dns::read_name(ByteView(self.data(), self.size()), pos, out));
  Bytes forward = {0xc0, 0x02, 0x00};
  pos = 0;
  EXPECT_FALSE(dns::read_name(ByteView(forward.data(), forward.size()), pos, out));
  Bytes mutual = {1, 'a', 0xc0, 0x04, 1, 'b', 0xc0, 0x00};
  pos = 4;
  EXPECT_FALSE(dns::read_name(ByteView(mutual.data(), mutual.size()), pos, out));
  // Backward chains work and `pos` ends after the first pointer.
  Bytes chain = {3,   'c', 'o',  'm', 0, 7,   'e', 'x', 'a',  'm', 'p',
                 'l', 'e', 0xc0, 0,   3, 'w', 'w', 'w', 0xc0, 5};
  pos = 15;
  ASSERT_TRUE(dns::read_name(ByteView(chain.data(), chain.size()), pos, out));
  EXPECT_EQ(out, "www.example.com");
  EXPECT_EQ(pos, chain.size());
  // Dots and bytes outside printable ASCII inside labels are escaped.
  Bytes odd = {3, 'a', '.', 0xff, 0};
  pos = 0;
  ASSERT_TRUE(dns::read_name(ByteView(odd.data(), odd.size()), pos, out));
  EXPECT_EQ(out, "a\\.\\255");
  // Longer than 255 bytes on the wire.
  Bytes longname;
  for (int i = 0; i < 5; ++i) {
    longname.push_back(63);
    longname.insert(longname.end(), 63, 'x');
  }
  longname.push_back(0);
  pos = 0;
  EXPECT_FALSE(dns::read_name(ByteView(longname.data(), longname.size()), pos, out));
}

TEST(Dns, EveryCutIsReportedNeverCrashes) {
  Bytes srv;
  put16(srv, 1);
  put16(srv, 2);
  put16(srv, 5060);
  put_name(srv, {"sip", "example", "com"});
  Bytes m = response_with(33, srv);
  for (size_t n = 0; n < m.size(); ++n) {
    auto p = parse(Bytes(m.begin(), m.begin() + long(n)));
    if (n < 12) {
      EXPECT_FALSE(p->ok) << n;
    } else {
      ASSERT_TRUE(p->ok) << n;
      EXPECT_TRUE(p->has("error")) << "cut at " << n;
    }
  }
  EXPECT_FALSE(parse(m)->has("error"));
}

TEST(Dns, SectionsBeyondTheRecordCapAreReportedNotMisread) {
  // 1,100 answers of 16 bytes (pointer owner, A): past the shown 1,024 the message is cut,
  // so the authority section is not read from the middle of the answers.
  Bytes m = header(9, 0x8180, 1, 1100, 1, 0);
  put_name(m, {"big", "example"});
  put16(m, 1);
  put16(m, 1);
  for (int i = 0; i < 1100; ++i) put_record(m, 1, {10, 0, uint8_t(i >> 8), uint8_t(i)});
  put_record(m, 2, {0xc0, 12});
  auto p = parse(m);
  ASSERT_TRUE(p->ok);
  EXPECT_EQ((*p)["answers"].Size(), 1024u);
  EXPECT_EQ((*p)["authority"].Size(), 0u);
  ASSERT_TRUE(p->has("error"));
  EXPECT_STREQ((*p)["error"].GetString(),
               "answers: 1100 records claimed, only the first 1024 shown");
}

struct Collect final : EventSink {
  std::vector<std::string> qnames;
  void emit(const Event& e) override {
    qnames.push_back(e.doc()["questions"][0]["qname"].GetString());
  }
};

TEST(Dns, TcpFramingSplitAtEveryOffset) {
  Bytes q1 = header(1, 0x0100, 1, 0, 0, 0);
  put_name(q1, {"one", "example"});
  put16(q1, 1);
  put16(q1, 1);
  Bytes q2 = header(2, 0x0100, 1, 0, 0, 0);
  put_name(q2, {"two", "example"});
  put16(q2, 1);
  put16(q2, 1);
  Bytes stream;
  for (const Bytes* q : {&q1, &q2}) {
    put16(stream, uint16_t(q->size()));
    test::append(stream, *q);
  }
  FlowInfo flow;
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    auto analyzer = kDnsTcpAnalyzer.make(AnalyzerContext{&flow});
    Collect sink;
    Bytes tail;
    for (auto [from, to] : {std::pair{size_t(0), cut}, std::pair{cut, stream.size()}}) {
      test::append(tail, Bytes(stream.begin() + long(from), stream.begin() + long(to)));
      ParseResult r = analyzer->on_data(Dir::ToServer, ByteView(tail.data(), tail.size()), sink);
      ASSERT_NE(r.kind, ParseResult::Error);
      if (r.kind == ParseResult::NeedMore) {
        tail.erase(tail.begin(), tail.begin() + long(r.consumed));
      } else {
        tail.clear();
      }
    }
    analyzer->on_close(sink);  // unanswered queries are written when the flow ends
    EXPECT_EQ(sink.qnames, (std::vector<std::string>{"one.example", "two.example"}))
        << "split at " << cut;
  }
}

// Queries wait for their response (same id): the query says answered, the response
// carries the round-trip time; what is never answered is reported at the end.
TEST(Dns, QueriesPairedWithResponsesByIdWithRtt) {
  auto message = [](uint16_t id, uint16_t flags, const char* name) {
    Bytes m = header(id, flags, 1, 0, 0, 0);
    put_name(m, {name, "example"});
    put16(m, 1);
    put16(m, 1);
    return m;
  };
  FlowInfo flow;
  auto analyzer = kDnsUdpAnalyzer.make(AnalyzerContext{&flow});
  test::EventLog log;
  auto send = [&](Dir d, const Bytes& m) {
    analyzer->on_data(d, ByteView(m.data(), m.size()), log);
  };
  flow.now = 1'000'000'000;
  send(Dir::ToServer, message(7, 0x0100, "a"));
  flow.now += 2'000'000;
  send(Dir::ToServer, message(8, 0x0100, "b"));
  EXPECT_TRUE(log.lines.empty());  // both still waiting
  flow.now += 23'000'000;
  send(Dir::ToClient, message(7, 0x8180, "a"));
  ASSERT_EQ(log.lines.size(), 2u);
  EXPECT_NE(log.lines[0].find("\"direction\":\"query\""), std::string::npos);
  EXPECT_NE(log.lines[0].find("\"answered\":true"), std::string::npos);
  EXPECT_NE(log.lines[1].find("\"rtt\":0.025"), std::string::npos) << log.lines[1];
  // A response to no query of this flow has no rtt.
  send(Dir::ToClient, message(99, 0x8180, "c"));
  ASSERT_EQ(log.lines.size(), 3u);
  EXPECT_EQ(log.lines[2].find("rtt"), std::string::npos);
  analyzer->on_close(log);
  ASSERT_EQ(log.lines.size(), 4u);
  EXPECT_NE(log.lines[3].find("\"answered\":false"), std::string::npos);
  EXPECT_NE(log.lines[3].find("b.example"), std::string::npos);
}

}  // namespace
}  // namespace netsift

namespace netsift {
namespace {

std::string as_string(const test::Bytes& b) {
  return std::string(b.begin(), b.end());
}

struct EventLogCounts {
  size_t events = 0;
  uint64_t malformed = 0, too_short = 0;
};
EventLogCounts count_anomalies(const std::vector<test::Turn>& turns) {
  test::EventLog log;
  BufferBudget budget;
  AppLayer engine(analyzer_registry(), {}, log, budget);
  FlowInfo flow = test::test_flow(53, 17);
  AppFlow state;
  engine.start(state, flow, Transport::Udp);
  for (const auto& t : turns)
    engine.data(state, t.dir,
                ByteView(reinterpret_cast<const uint8_t*>(t.bytes.data()), t.bytes.size()));
  engine.close(state);
  EventLogCounts c;
  c.events = log.lines.size();
  for (const auto& [name, n] : engine.anomaly_counts()) {
    if (name == "dns.malformed") c.malformed = n;
    if (name == "dns.too_short") c.too_short = n;
  }
  return c;
}

// DNS on a port no analyzer names is claimed by its messages (UDP and TCP), through the
// real engine; other traffic that happens to be near DNS's shape is not.
TEST(Dns, ProbeClaimsDnsOnOtherPortsAndNothingElse) {
  test::Bytes q = header(0x1234, 0x0100, 1, 0, 0, 0);
  put_name(q, {"www", "example", "org"});
  put16(q, 1);
  put16(q, 1);
  test::Bytes r = header(0x1234, 0x8180, 1, 1, 0, 0);
  put_name(r, {"www", "example", "org"});
  put16(r, 1);
  put16(r, 1);
  put_record(r, 1, {192, 0, 2, 7});
  std::vector<test::Turn> udp = {{Dir::ToServer, as_string(q)}, {Dir::ToClient, as_string(r)}};
  auto log = test::play(analyzer_registry(), test::test_flow(5300, 17), udp);
  ASSERT_EQ(log.kinds, (std::vector<std::string>{"dns", "dns"}));
  EXPECT_NE(log.lines[1].find("192.0.2.7"), std::string::npos);

  test::Bytes framed;
  put16(framed, uint16_t(q.size()));
  test::append(framed, q);
  test::Bytes framed_r;
  put16(framed_r, uint16_t(r.size()));
  test::append(framed_r, r);
  std::vector<test::Turn> tcp = {{Dir::ToServer, as_string(framed)},
                                 {Dir::ToClient, as_string(framed_r)}};
  log = test::play(analyzer_registry(), test::test_flow(5300), tcp);
  EXPECT_EQ(log.kinds, (std::vector<std::string>{"dns", "dns"}));
  EXPECT_EQ(test::check_every_split(analyzer_registry(), test::test_flow(5300), tcp), "");
  EXPECT_EQ(test::check_interleavings(analyzer_registry(), test::test_flow(5300), tcp), "");

  const AnalyzerSpec& spec = kDnsUdpAnalyzer;
  auto probe = [&](const test::Bytes& b) {
    return spec.probe(Dir::ToServer, ByteView(b.data(), b.size()));
  };
  EXPECT_EQ(probe(q), Confidence::Yes);
  EXPECT_EQ(probe(r), Confidence::Yes);
  test::Bytes trailing = q;
  trailing.push_back(0);
  EXPECT_EQ(probe(trailing), Confidence::No) << "bytes after the last record";
  test::Bytes two_questions = q;
  two_questions[5] = 2;
  EXPECT_EQ(probe(two_questions), Confidence::No);
  test::Bytes answer_in_query = header(1, 0x0100, 1, 1, 0, 0);
  put_name(answer_in_query, {"a", "b"});
  put16(answer_in_query, 1);
  put16(answer_in_query, 1);
  put_record(answer_in_query, 1, {1, 2, 3, 4});
  EXPECT_EQ(probe(answer_in_query), Confidence::No);
  test::Bytes odd_class = header(1, 0x0100, 1, 0, 0, 0);
  put_name(odd_class, {"a", "b"});
  put16(odd_class, 1);
  put16(odd_class, 77);
  EXPECT_EQ(probe(odd_class), Confidence::No);
  // NBNS (port 137) has DNS's layout but NetBIOS-encoded names.
  test::Bytes nbns = header(0x8001, 0x0110, 1, 0, 0, 0);
  put_name(nbns, {"FHEPFCELEHFCEPFFFACACACACACACAAA"});
  put16(nbns, 0x20);
  put16(nbns, 1);
  EXPECT_EQ(probe(nbns), Confidence::No);
  // NTP client request (48 bytes, mode 3) and a few random datagrams.
  test::Bytes ntp(48, 0);
  ntp[0] = 0x23;
  EXPECT_EQ(probe(ntp), Confidence::No);
  uint32_t seed = 1;
  for (int i = 0; i < 1000; ++i) {
    test::Bytes noise(20 + i % 200);
    for (auto& c : noise) c = uint8_t((seed = seed * 1103515245 + 12345) >> 16);
    EXPECT_EQ(probe(noise), Confidence::No) << i;
  }
  // TCP: a length prefix alone waits; a header that cannot be DNS ends it.
  const AnalyzerSpec& tcp_spec = kDnsTcpAnalyzer;
  test::Bytes partial(framed.begin(), framed.begin() + 8);
  EXPECT_EQ(tcp_spec.probe(Dir::ToServer, ByteView(partial.data(), partial.size())),
            Confidence::Maybe);
  std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(tcp_spec.probe(Dir::ToServer,
                           ByteView(reinterpret_cast<const uint8_t*>(get.data()), get.size())),
            Confidence::No);
}

// Damage is counted by name and, when asked, reported as a `weird` event; a datagram
// too short for a header ends DNS on the flow.
TEST(Dns, AnomaliesByNameAndWeirdEvents) {
  test::Bytes cut = header(9, 0x8180, 1, 1, 0, 0);
  put_name(cut, {"example", "org"});
  put16(cut, 1);
  put16(cut, 1);  // the answer the header announces is missing
  std::vector<test::Turn> turns = {
      {Dir::ToClient, as_string(cut)}, {Dir::ToServer, "short"}, {Dir::ToServer, as_string(cut)}};
  AppLayerConfig config;
  config.weird_events = true;
  auto log = test::play(analyzer_registry(), test::test_flow(53, 17), turns, {}, config);
  // The anomaly is reported as the message is read, before its event goes out.
  ASSERT_EQ(log.kinds, (std::vector<std::string>{"weird", "dns", "weird"}));
  EXPECT_NE(log.lines[1].find("\"error\""), std::string::npos);
  EXPECT_NE(log.lines[0].find("\"name\":\"dns.malformed\",\"analyzer\":\"dns\",\"detail\":"),
            std::string::npos)
      << log.lines[0];
  EXPECT_NE(log.lines[2].find("\"name\":\"dns.too_short\""), std::string::npos);
  // Without --weird: the same dns event, the anomalies only counted.
  EventLogCounts counts = count_anomalies(turns);
  EXPECT_EQ(counts.events, 1u);
  EXPECT_EQ(counts.malformed, 1u);
  EXPECT_EQ(counts.too_short, 1u);
}

}  // namespace
}  // namespace netsift
