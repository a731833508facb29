// HTTP analyzer through the real app-layer engine: every exchange shape the analyzer
// claims to handle, each cut at every offset (check_every_split) so the events cannot
// depend on TCP segmentation. Messages are written byte for byte from RFC 9112.
#include "analyzers/http/http_analyzer.h"

#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/http/body.h"
#include "analyzers/http/headers.h"
#include "analyzers/http/http_auth.h"
#include "zlib_compress.h"

namespace netsift {
namespace {

using test::Turn;
constexpr Dir C = Dir::ToServer;
constexpr Dir S = Dir::ToClient;

const std::array<AnalyzerSpec, 1> kSpecs = {kHttpAnalyzer};

struct Parsed {
  std::vector<rapidjson::Document> http, auth;
  std::string all;  // every event, for failure messages
};

Parsed run(const std::vector<Turn>& turns, uint16_t port = 80, AppLayerConfig config = {}) {
  test::EventLog log = test::play(kSpecs, test::test_flow(port), turns, {}, std::move(config));
  Parsed p;
  for (size_t i = 0; i < log.lines.size(); ++i) {
    p.all += log.lines[i] + "\n";
    rapidjson::Document d = test::parse_event(log.lines[i]);
    if (log.kinds[i] == std::string("http")) p.http.push_back(std::move(d));
    if (log.kinds[i] == std::string("auth")) p.auth.push_back(std::move(d));
  }
  return p;
}

using test::str;
uint64_t num(const rapidjson::Value& e, const char* key) {
  auto it = e.FindMember(key);
  return it != e.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : ~0ull;
}
bool flag(const rapidjson::Value& e, const char* key) {
  auto it = e.FindMember(key);
  return it != e.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}
bool has_anomaly(const rapidjson::Value& e, const std::string& name) {
  auto it = e.FindMember("anomalies");
  if (it == e.MemberEnd()) return false;
  for (const auto& v : it->value.GetArray()) {
    if (name == v.GetString()) return true;
  }
  return false;
}

std::string gzip(const std::string& in, int window_bits = 31) {
  return compress_with_zlib(in, window_bits);
}

std::string brotli(const std::string& in) {
  size_t size = BrotliEncoderMaxCompressedSize(in.size());
  std::string out(size, '\0');
  BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, in.size(),
                        reinterpret_cast<const uint8_t*>(in.data()), &size,
                        reinterpret_cast<uint8_t*>(out.data()));
  out.resize(size);
  return out;
}

std::string chunked(const std::string& body, size_t piece) {
  std::string out;
  for (size_t i = 0; i < body.size(); i += piece) {
    std::string part = body.substr(i, piece);
    char len[32];
    snprintf(len, sizeof len, "%zx\r\n", part.size());
    out += len + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

const std::string kGet =
    "GET /index.html?a=1 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: t/1\r\n\r\n";
const std::string kOk =
    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";

TEST(HttpAnalyzer, ProbeClaimsRequestsAndStatusLinesOnly) {
  auto probe = [](Dir d, std::string s) {
    return kHttpAnalyzer.probe(d, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  EXPECT_EQ(probe(C, "GET / HTTP/1.1\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(C, "PROPFIND /x HTTP/1.1\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(C, "GET /x\r\n"), Confidence::Yes);  // HTTP/0.9
  EXPECT_EQ(probe(C, "GE"), Confidence::Maybe);
  EXPECT_EQ(probe(S, "HTTP/1.1 200 OK\r\n"), Confidence::Yes);
  EXPECT_EQ(probe(S, "HTTP/1"), Confidence::Maybe);
  // Look-alikes of other protocols stay unclaimed.
  EXPECT_EQ(probe(C, "OPTIONS rtsp://h/ RTSP/1.0\r\n"), Confidence::No);
  EXPECT_EQ(probe(C, "INVITE sip:a@b SIP/2.0\r\n"), Confidence::No);
  EXPECT_EQ(probe(S, "RTSP/1.0 200 OK\r\n"), Confidence::No);
  EXPECT_EQ(probe(C, "USER anonymous\r\n"), Confidence::No);
  EXPECT_EQ(probe(S, "220 ftp ready\r\n"), Confidence::No);
  EXPECT_EQ(probe(C, "\x16\x03\x01\x02\x00"), Confidence::No);
}

TEST(HttpAnalyzer, OneExchangeEveryField) {
  std::vector<Turn> turns = {{C, kGet}, {S, kOk}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 1u);
  const auto& e = p.http[0];
  EXPECT_EQ(str(e, "req_method"), "GET");
  EXPECT_EQ(str(e, "req_uri"), "/index.html?a=1");
  EXPECT_EQ(str(e, "req_version"), "1.1");
  EXPECT_EQ(str(e, "host"), "example.org");
  EXPECT_EQ(str(e, "user_agent"), "t/1");
  EXPECT_EQ(str(e, "resp_status"), "200");
  EXPECT_EQ(str(e, "resp_reason"), "OK");
  EXPECT_EQ(str(e, "resp_body"), "hello");
  EXPECT_EQ(num(e, "resp_body_len"), 5u);
  EXPECT_EQ(str(e, "content_type"), "text/html");
  EXPECT_EQ(str(e, "resp_body_sha256"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(str(e["req_headers"], "host"), "example.org");
  EXPECT_EQ(str(e["resp_headers"], "content-length"), "5");
  EXPECT_FALSE(e.HasMember("anomalies"));
}

TEST(HttpAnalyzer, AlsoOnAnyPortByContent) {
  Parsed p = run({{C, kGet}, {S, kOk}}, 5555);
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(str(p.http[0], "resp_status"), "200");
}

TEST(HttpAnalyzer, EmittedWhenCompleteNotAtClose) {
  // Three transactions on one keep-alive connection: each event exists before the next
  // request is even sent.
  FlowInfo flow = test::test_flow(80);
  test::EventLog log;
  BufferBudget budget;
  AppLayer engine(kSpecs, {}, log, budget);
  AppFlow state;
  engine.start(state, flow, Transport::Tcp);
  for (int i = 0; i < 3; ++i) {
    engine.data(state, C, ByteView(reinterpret_cast<const uint8_t*>(kGet.data()), kGet.size()));
    engine.data(state, S, ByteView(reinterpret_cast<const uint8_t*>(kOk.data()), kOk.size()));
    EXPECT_EQ(log.lines.size(), size_t(i + 1));
  }
  engine.close(state);
  EXPECT_EQ(log.lines.size(), 3u);
}

TEST(HttpAnalyzer, PipelinedRequestsPairInOrder) {
  std::string reqs =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
      "HEAD /c HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string resps =
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
      "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nBB"
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  std::vector<Turn> turns = {{C, reqs}, {S, resps}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 3u);
  EXPECT_EQ(str(p.http[0], "req_uri"), "/a");
  EXPECT_EQ(str(p.http[0], "resp_body"), "A");
  EXPECT_EQ(str(p.http[1], "req_uri"), "/b");
  EXPECT_EQ(str(p.http[1], "resp_status"), "404");
  EXPECT_EQ(str(p.http[1], "resp_body"), "BB");
  EXPECT_EQ(str(p.http[2], "req_method"), "HEAD");  // no body despite Content-Length
  EXPECT_EQ(num(p.http[2], "resp_body_len"), 0u);
  EXPECT_EQ(num(p.http[2], "trans_depth"), 3u);
}

TEST(HttpAnalyzer, NoBodyFor204And304) {
  std::vector<Turn> turns = {{C, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n"},
                             {S, "HTTP/1.1 204 No Content\r\n\r\n"},
                             {C, "GET /y HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"e\"\r\n\r\n"},
                             {S, "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"},
                             {C, "GET /z HTTP/1.1\r\nHost: h\r\n\r\n"},
                             {S, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 3u) << p.all;
  EXPECT_EQ(str(p.http[0], "resp_status"), "204");
  EXPECT_EQ(str(p.http[1], "resp_status"), "304");
  EXPECT_EQ(str(p.http[2], "resp_body"), "ok") << p.all;
}

TEST(HttpAnalyzer, ContinueThenUpload) {
  std::vector<Turn> turns = {
      {C, "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"},
      {S, "HTTP/1.1 100 Continue\r\n\r\n"},
      {C, "data"},
      {S, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(str(p.http[0], "resp_status"), "201");
  EXPECT_EQ(str(p.http[0], "req_body"), "data");
  EXPECT_TRUE(flag(p.http[0], "continued"));
}

// Informational responses other than 100 (102 Processing, 103 Early Hints, RFC 8297,
// possibly several) come before the final one, which answers the same request; libhtp
// alone takes the first for the final response.
TEST(HttpAnalyzer, EarlyHintsAndProcessingBeforeTheFinalResponse) {
  std::vector<Turn> turns = {
      {C, kGet + "GET /two HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"},
      {S,
       "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
       "HTTP/1.1 103 Early Hints\r\nLink: </t.js>; rel=preload\r\n\r\n" +
           kOk +
           "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
           "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"}};
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 2u) << p.all;
  EXPECT_EQ(str(p.http[0], "req_uri"), "/index.html?a=1");
  EXPECT_EQ(str(p.http[0], "resp_status"), "200");
  EXPECT_EQ(str(p.http[0], "resp_body"), "hello");
  EXPECT_EQ(p.all.find("rel=preload"), std::string::npos) << "not the final headers";
  EXPECT_EQ(str(p.http[1], "resp_status"), "200");
  EXPECT_EQ(str(p.http[1], "resp_body"), "two");
  EXPECT_TRUE(flag(p.http[1], "continued"));
  EXPECT_EQ(p.all.find("anomalies"), std::string::npos) << p.all;
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
}

// HTTP/2 in the clear with prior knowledge (curl --http2-prior-knowledge, gRPC without
// TLS): the connection preface is reported as one exchange, upgrade "h2c", and the binary
// frames after it are not parsed (they were a request "SM" and responses without
// requests), on a port found by probing too.
TEST(HttpAnalyzer, Http2PrefaceWithPriorKnowledge) {
  const std::string settings("\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64", 15);
  const std::string headers("\x00\x00\x05\x01\x05\x00\x00\x00\x01\x82\x86\x84\x41\x8a", 14);
  std::vector<Turn> turns = {{C, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings + headers},
                             {S, settings + "HTTP/1.1 200 OK\r\n\r\n"},
                             {C, "GET / HTTP/1.1\r\n\r\n"}};
  for (uint16_t port : {80, 50051}) {
    Parsed p = run(turns, port);
    ASSERT_EQ(p.http.size(), 1u) << p.all;
    EXPECT_EQ(str(p.http[0], "req_method"), "PRI");
    EXPECT_EQ(str(p.http[0], "req_version"), "2.0");
    EXPECT_EQ(str(p.http[0], "upgrade"), "h2c");
    EXPECT_EQ(str(p.http[0], "resp_status"), "<absent>");
    EXPECT_EQ(p.all.find("anomalies"), std::string::npos) << p.all;
    EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(port), turns), "") << port;
  }
  // A server that speaks no HTTP/2 answers the preface in HTTP/1 (nginx: 400): that is
  // the exchange's response, and nothing was switched.
  std::vector<Turn> refused = {
      {C, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings},
      {S, "HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad"}};
  Parsed p = run(refused);
  ASSERT_EQ(p.http.size(), 1u) << p.all;
  EXPECT_EQ(str(p.http[0], "resp_status"), "400");
  EXPECT_FALSE(p.http[0].HasMember("upgrade")) << p.all;
  EXPECT_EQ(p.all.find("anomalies"), std::string::npos) << p.all;
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), refused), "");
  // No answer before the end: still the preface, upgrade h2c.
  p = run({refused[0]});
  ASSERT_EQ(p.http.size(), 1u) << p.all;
  EXPECT_EQ(str(p.http[0], "upgrade"), "h2c");
}

TEST(HttpAnalyzer, Http10CloseDelimitedAndHttp09) {
  std::vector<Turn> turns = {{C, "GET /old HTTP/1.0\r\n\r\n"},
                             {S, "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil the end"}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(str(p.http[0], "resp_body"), "until the end");
  EXPECT_EQ(str(p.http[0], "resp_version"), "1.0");

  std::vector<Turn> old = {{C, "GET /zeek.html\r\n"}, {S, "<html>hi</html>\n"}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), old), "");
  p = run(old);
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(str(p.http[0], "req_version"), "0.9");
  EXPECT_EQ(str(p.http[0], "resp_status"), "<absent>");
  EXPECT_EQ(str(p.http[0], "resp_body"), "<html>hi</html>\\n");
}

// A 206 multipart/byteranges response with neither Content-Length nor chunked coding
// (as an IIS server sent one in FTPv6-1.pcap) is delimited by the connection's close
// (RFC 9112 6.3), not refused; what is reported keeps the type as sent.
TEST(HttpAnalyzer, ByterangesWithoutLengthReadUntilClose) {
  std::string body =
      "\r\n--B1\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-4/20\r\n\r\nhello\r\n"
      "--B1\r\nContent-Type: text/plain\r\nContent-Range: bytes "
      "15-19/20\r\n\r\nworld\r\n--B1--\r\n";
  std::vector<Turn> turns = {
      {C, "GET /f HTTP/1.1\r\nHost: h\r\nRange: bytes=0-4,15-19\r\n\r\n"},
      {S,
       "HTTP/1.1 206 Partial Content\r\nAccept-Ranges: bytes\r\n"
       "Content-Type: Multipart/Byteranges; boundary=B1\r\nConnection: keep-alive\r\n\r\n" +
           body}};
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 1u) << p.all;
  EXPECT_EQ(str(p.http[0], "resp_status"), "206");
  EXPECT_FALSE(p.http[0].HasMember("anomalies")) << p.all;
  EXPECT_EQ(num(p.http[0], "resp_body_len"), body.size());
  EXPECT_EQ(str(p.http[0], "content_type"), "multipart/byteranges") << p.all;
  EXPECT_NE(p.all.find("Multipart/Byteranges; boundary=B1"), std::string::npos) << p.all;
  EXPECT_EQ(p.all.find("Multipart;Byteranges"), std::string::npos) << p.all;
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  // After an interim 100 in the same segment, and on a keep-alive connection after
  // another exchange.
  std::vector<Turn> more = {{C, kGet},
                            {S, kOk},
                            {C, "GET /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"},
                            {S,
                             "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 206 Partial Content\r\n"
                             "content-type: multipart/byteranges; boundary=B1\r\n\r\n" +
                                 body}};
  p = run(more);
  ASSERT_EQ(p.http.size(), 2u) << p.all;
  EXPECT_EQ(str(p.http[1], "resp_status"), "206");
  EXPECT_EQ(num(p.http[1], "resp_body_len"), body.size()) << p.all;
  EXPECT_FALSE(p.http[1].HasMember("anomalies")) << p.all;
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), more), "");
}

// The same 206 pipelined right behind an earlier response, both in one segment: the
// byteranges header block does not start the feed call, and it must still be read as
// one (every kind of earlier response: Content-Length, chunked, no body).
TEST(HttpAnalyzer, ByterangesWithoutLengthAfterAnotherResponseInOneSegment) {
  std::string body =
      "\r\n--B1\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-4/20\r\n\r\nhello\r\n"
      "--B1--\r\n";
  std::string range_get = "GET /f HTTP/1.1\r\nHost: h\r\nRange: bytes=0-4\r\n\r\n";
  std::string partial =
      "HTTP/1.1 206 Partial Content\r\nContent-Type: multipart/byteranges; boundary=B1\r\n"
      "Connection: keep-alive\r\n\r\n" +
      body;
  struct Case {
    const char* name;
    std::string first_request, first_response, first_status;
  };
  std::vector<Case> cases = {
      {"content-length", kGet, kOk, "200"},
      {"chunked", kGet,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n" +
           chunked("hello\nworld\n", 4),
       "200"},
      {"not-modified", "GET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n\r\n",
       "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", "304"},
      {"head", "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n",
       "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", "200"},
      {"byteranges-with-length", range_get,
       "HTTP/1.1 206 Partial Content\r\nContent-Type: multipart/byteranges; boundary=B1\r\n"
       "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body,
       "206"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<Turn> turns = {{C, c.first_request + range_get}, {S, c.first_response + partial}};
    Parsed p = run(turns);
    ASSERT_EQ(p.http.size(), 2u) << p.all;
    EXPECT_EQ(str(p.http[0], "resp_status"), c.first_status) << p.all;
    EXPECT_EQ(str(p.http[1], "resp_status"), "206") << p.all;
    EXPECT_EQ(num(p.http[1], "resp_body_len"), body.size()) << p.all;
    EXPECT_EQ(str(p.http[1], "content_type"), "multipart/byteranges") << p.all;
    EXPECT_EQ(p.all.find("http.parse_error"), std::string::npos) << p.all;
    EXPECT_EQ(p.all.find("multipart;byteranges"), std::string::npos) << p.all;
    EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  }
}

// A request line longer than probing keeps (4 KiB), in one segment, on a port no
// analyzer names: claimed on its first bytes, so the whole request reaches the parser
// (it used to be cut there and lost, leaving a 414 with no request).
TEST(HttpAnalyzer, OverLongUriOnAProbedPort) {
  std::string uri = "/" + std::string(9000, 'a') + "?q=" + std::string(500, 'b');
  std::vector<Turn> turns = {
      {C, "GET " + uri + " HTTP/1.1\r\nHost: h:8888\r\n\r\n"},
      {S, "HTTP/1.1 414 Request-URI Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"}};
  Parsed p = run(turns, 8888);
  ASSERT_EQ(p.http.size(), 1u) << p.all;
  EXPECT_EQ(str(p.http[0], "req_method"), "GET");
  EXPECT_EQ(str(p.http[0], "req_uri"), uri);
  EXPECT_EQ(str(p.http[0], "resp_status"), "414");
  EXPECT_FALSE(p.http[0].HasMember("anomalies")) << p.all;
  // Not for anything that merely starts like a request: a NUL in the first bytes.
  auto probe = [](std::string s) {
    return kHttpAnalyzer.probe(C, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  EXPECT_EQ(probe("GET " + uri.substr(0, 4000)), Confidence::Yes);
  EXPECT_EQ(probe("GET " + uri.substr(0, 500)), Confidence::Maybe);
  EXPECT_EQ(probe("GET /" + std::string(2000, 'a') + std::string(1, '\0')), Confidence::Maybe);
  EXPECT_EQ(probe("FOO /" + std::string(2000, 'a')), Confidence::Maybe);
}

// A header line longer than libhtp's hard field limit, arriving in pieces (so libhtp
// must buffer it), is named for what it is.
TEST(HttpAnalyzer, OverLongHeaderLineIsHeaderTooLong) {
  std::vector<Turn> turns = {
      {C, "GET /a HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(40000, 'a') + "\r\n\r\n"},
      {S, kOk}};
  test::EventLog log = test::play(kSpecs, test::test_flow(80), turns, [](size_t, size_t size) {
    std::vector<size_t> at;
    for (size_t i = 1460; i < size; i += 1460) at.push_back(i);
    return at;
  });
  std::string all;
  for (const auto& l : log.lines) all += l + "\n";
  EXPECT_NE(all.find("http.header_too_long"), std::string::npos) << all;
  EXPECT_EQ(all.find("http.parse_error"), std::string::npos) << all;
}

// The same on the response side, where libhtp words its error differently.
TEST(HttpAnalyzer, OverLongResponseHeaderLineIsHeaderTooLong) {
  std::vector<Turn> turns = {{C, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"},
                             {S, "HTTP/1.1 200 OK\r\nX-Big: " + std::string(40000, 'b') +
                                     "\r\nContent-Length: 0\r\n\r\n"}};
  test::EventLog log = test::play(kSpecs, test::test_flow(80), turns, [](size_t, size_t size) {
    std::vector<size_t> at;
    for (size_t i = 1400; i < size; i += 1400) at.push_back(i);
    return at;
  });
  std::string all;
  for (const auto& l : log.lines) all += l + "\n";
  EXPECT_NE(all.find("http.header_too_long"), std::string::npos) << all;
  EXPECT_EQ(all.find("http.parse_error"), std::string::npos) << all;
}

TEST(HttpAnalyzer, ChunkedGzipDecodedAndHashed) {
  std::string plain(3000, 'x');
  plain += "end";
  std::string resp =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n" +
      chunked(gzip(plain), 7);
  std::vector<Turn> turns = {{C, kGet}, {S, resp}};
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(num(p.http[0], "resp_body_len"), plain.size());
  EXPECT_EQ(str(p.http[0], "resp_body"), plain);
  EXPECT_EQ(str(p.http[0], "resp_content_encoding"), "gzip");
  EXPECT_FALSE(flag(p.http[0], "resp_body_truncated"));
  // Every split of the response only (the whole conversation would take too long).
  std::vector<Turn> small = {{C, kGet},
                             {S,
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                              "Content-Encoding: gzip\r\n\r\n" +
                                  chunked(gzip("hi there"), 5)}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), small), "");
}

TEST(HttpAnalyzer, DeflateBothFormsAndBrotli) {
  for (int bits : {15, -15}) {  // zlib-wrapped and raw deflate both occur in the wild
    Parsed p = run({{C, kGet},
                    {S, "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " +
                            std::to_string(gzip("deflated!", bits).size()) + "\r\n\r\n" +
                            gzip("deflated!", bits)}});
    ASSERT_EQ(p.http.size(), 1u);
    EXPECT_EQ(str(p.http[0], "resp_body"), "deflated!") << bits;
  }
  std::string br = brotli("brotli body brotli body");
  Parsed p = run({{C, kGet},
                  {S, "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: " +
                          std::to_string(br.size()) + "\r\n\r\n" + br}});
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(str(p.http[0], "resp_body"), "brotli body brotli body");
}

TEST(HttpAnalyzer, GzipBombStoppedAndReported) {
  std::string bomb = gzip(std::string(32 << 20, '\0'));  // 32 MiB of zeros in ~32 KiB
  Parsed p = run({{C, kGet},
                  {S, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                          std::to_string(bomb.size()) + "\r\n\r\n" + bomb}});
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_TRUE(has_anomaly(p.http[0], "http.decompression_bomb"));
  // Stopped at the ratio (100 x the compressed size seen), far from the 32 MiB.
  EXPECT_LT(num(p.http[0], "resp_body_len"), 8u << 20);
  EXPECT_TRUE(flag(p.http[0], "resp_body_truncated"));
  EXPECT_EQ(str(p.http[0], "resp_body_sha256"), "<absent>");
}

TEST(HttpAnalyzer, BodyCutAtTheConfiguredLimitAndBinaryEscaped) {
  AppLayerConfig config;
  AnalyzerOptions o(kHttpAnalyzer.options);
  std::string err;
  ASSERT_TRUE(o.set("max_body", "4", err));
  config.options.emplace("http", o);
  Parsed p =
      run({{C, kGet},
           {S, std::string("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n\x01\x02\"ab\n", 44)}},
          80, config);
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(str(p.http[0], "resp_body"), "\\x01\\x02\"a");
  EXPECT_EQ(num(p.http[0], "resp_body_len"), 6u);
  EXPECT_TRUE(flag(p.http[0], "resp_body_truncated"));
  EXPECT_NE(str(p.http[0], "resp_body_sha256"), "<absent>");  // the whole body's hash
}

TEST(HttpAnalyzer, RepeatedHeadersKept) {
  Parsed p = run({{C, kGet},
                  {S,
                   "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
                   "X-Folded: one\r\n two\r\nContent-Length: 0\r\n\r\n"}});
  ASSERT_EQ(p.http.size(), 1u);
  const auto& h = p.http[0]["resp_headers"];
  ASSERT_TRUE(h["set-cookie"].IsArray());
  EXPECT_EQ(std::string(h["set-cookie"][0].GetString()), "a=1");
  EXPECT_EQ(std::string(h["set-cookie"][1].GetString()), "b=2");
  EXPECT_EQ(str(h, "x-folded"), "one two");
}

TEST(HttpAnalyzer, ConnectAndUpgradeStopParsing) {
  std::vector<Turn> connect = {
      {C, "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n"},
      {S, "HTTP/1.1 200 Connection established\r\n\r\n"},
      {C, "\x16\x03\x01\x00\x05hello"},
      {S, "\x16\x03\x03\x00\x02hi"}};
  Parsed p = run(connect);
  ASSERT_EQ(p.http.size(), 1u) << p.all;
  EXPECT_EQ(str(p.http[0], "upgrade"), "connect");

  std::vector<Turn> ws = {
      {C,
       "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"},
      {S,
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"},
      {S, "\x81\x05hello"},
      {C, "GET /not-http HTTP/1.1\r\n\r\n"}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), ws), "");
  p = run(ws);
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(str(p.http[0], "resp_status"), "101");
  EXPECT_EQ(str(p.http[0], "upgrade"), "websocket");
}

TEST(HttpAnalyzer, RequestWithoutResponseReportedAtClose) {
  std::vector<Turn> turns = {{C, kGet}, {S, kOk}, {C, "GET /never HTTP/1.1\r\nHost: h\r\n\r\n"}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 2u);
  EXPECT_EQ(str(p.http[1], "req_uri"), "/never");
  EXPECT_EQ(str(p.http[1], "resp_status"), "<absent>");
  EXPECT_FALSE(p.http[1].HasMember("resp_headers"));
}

TEST(HttpAnalyzer, ResponseWithoutRequestAndMidstream) {
  // The capture starts inside a response body: skipped up to the next message.
  std::vector<Turn> turns = {
      {S, "tail of a body\r\nmore\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  Parsed p = run(turns);
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(str(p.http[0], "req_method"), "<absent>");
  EXPECT_EQ(str(p.http[0], "resp_body"), "hi");
  EXPECT_TRUE(has_anomaly(p.http[0], "http.response_without_request"));

  std::vector<Turn> mid = {{C, "ody of an upload\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n"},
                           {S, kOk}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), mid), "");
  p = run(mid);
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_EQ(str(p.http[0], "req_uri"), "/next");
  EXPECT_EQ(str(p.http[0], "resp_body"), "hello");
}

TEST(HttpAnalyzer, CaptureThatStartsWithTheServerIsTurnedRound) {
  // The flow table took the server (port 80) for the client: its first packet came first.
  FlowInfo flow = test::test_flow(80);
  std::swap(flow.client_ip, flow.server_ip);
  std::swap(flow.client_port, flow.server_port);
  std::vector<Turn> turns = {
      {C, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"}, {S, kGet}, {C, kOk}};
  EXPECT_EQ(test::check_every_split(kSpecs, flow, turns), "");
  test::EventLog log = test::play(kSpecs, flow, turns);
  ASSERT_EQ(log.lines.size(), 2u);
  rapidjson::Document d = test::parse_event(log.lines[1]);
  EXPECT_EQ(str(d, "req_uri"), "/index.html?a=1");
  EXPECT_EQ(str(d, "resp_body"), "hello");
  EXPECT_EQ(str(d, "src_ip"), "192.0.2.1");  // the real client
  EXPECT_EQ(num(d, "dst_port"), 80u);
}

// The capture starts inside a response body (no line end in it) sent from port 80: that
// side is the server although it spoke first, and the status line that answers the next
// request is found at the start of its segment (example.com-7.pcap).
TEST(HttpAnalyzer, MidstreamBodyFromPort80ThenTheNextExchange) {
  FlowInfo flow = test::test_flow(80);
  std::swap(flow.client_ip, flow.server_ip);
  std::swap(flow.client_port, flow.server_port);
  std::vector<Turn> turns = {{C, std::string("GIF89a\x01\x00 binary tail", 20)},
                             {S, kGet},
                             {C, "HTTP/1.1 304 Not Modified\r\nDate: x\r\n\r\n"}};
  test::EventLog log = test::play(kSpecs, flow, turns);
  std::vector<rapidjson::Document> http;
  for (size_t i = 0; i < log.lines.size(); ++i) {
    if (log.kinds[i] == std::string("http")) http.push_back(test::parse_event(log.lines[i]));
  }
  ASSERT_EQ(http.size(), 1u);
  EXPECT_EQ(str(http[0], "req_uri"), "/index.html?a=1");
  EXPECT_EQ(str(http[0], "resp_status"), "304");
  EXPECT_EQ(num(http[0], "dst_port"), 80u);
}

// A connection that ends before the Content-Length body is all there: the response is
// reported with what came, and no hash (a fragment's hash is no object's).
TEST(HttpAnalyzer, BodyCutByTheEndHasNoHash) {
  Parsed p = run({{C, kGet}, {S, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"}});
  ASSERT_EQ(p.http.size(), 1u) << p.all;
  EXPECT_EQ(str(p.http[0], "resp_status"), "200");
  EXPECT_EQ(num(p.http[0], "resp_body_len"), 7u);
  EXPECT_FALSE(p.http[0].HasMember("resp_body_sha256"));
  p = run({{C, kGet}, {S, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\npartial"}});
  ASSERT_EQ(p.http.size(), 1u);
  EXPECT_TRUE(p.http[0].HasMember("resp_body_sha256"));
}

TEST(HttpAnalyzer, GapInsideBodyBridgedElsewhereResynchronised) {
  FlowInfo flow = test::test_flow(80);
  test::EventLog log;
  BufferBudget budget;
  AppLayer engine(kSpecs, {}, log, budget);
  AppFlow state;
  engine.start(state, flow, Transport::Tcp);
  auto send = [&](Dir d, const std::string& s) {
    engine.data(state, d, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  send(C, kGet);
  send(S, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
  engine.gap(state, S, 6);  // inside the body: bridged
  send(S, "yz");
  send(C, "GET /two HTTP/1.1\r\nHost: h\r\n\r\n");
  send(S, "HTTP/1.1 200 OK\r\nContent-Len");
  engine.gap(state, S, 20);  // inside headers: the parser restarts
  send(C, "GET /three HTTP/1.1\r\nHost: h\r\n\r\n");
  send(S, "junk\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3");
  engine.close(state);
  std::vector<rapidjson::Document> ev;
  for (auto& l : log.lines) {
    rapidjson::Document d = test::parse_event(l);
    if (std::string(d["event"].GetString()) == "http") ev.push_back(std::move(d));
  }
  ASSERT_GE(ev.size(), 3u);
  EXPECT_EQ(num(ev[0], "resp_body_len"), 10u);
  EXPECT_TRUE(has_anomaly(ev[0], "http.body_gap"));
  EXPECT_EQ(str(ev[0], "resp_body_sha256"), "<absent>");
  EXPECT_EQ(str(ev[1], "req_uri"), "/two");
  EXPECT_EQ(str(ev.back(), "req_uri"), "/three") << log.lines.back();
  EXPECT_EQ(str(ev.back(), "resp_body"), "3");
}

TEST(HttpAnalyzer, BasicLoginsSuccessFailureAndChallenge) {
  // dXNlcjpwYTpzcw== is "user:pa:ss": the password keeps its colon.
  std::vector<Turn> turns = {
      {C, "GET /p HTTP/1.1\r\nHost: h\r\n\r\n"},
      {S,
       "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"r\"\r\nContent-Length: "
       "0\r\n\r\n"},
      {C, "GET /p HTTP/1.1\r\nHost: h\r\nAuthorization: Basic dXNlcjpiYWQ=\r\n\r\n"},
      {S, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"},
      {C, "GET /p HTTP/1.1\r\nHost: h\r\nAuthorization: Basic dXNlcjpwYTpzcw==\r\n\r\n"},
      {S, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {C, "GET /p HTTP/1.1\r\nHost: h\r\nAuthorization: Basic dXNlcjpwYTpzcw==\r\n\r\n"}};
  EXPECT_EQ(test::check_every_split(kSpecs, test::test_flow(80), turns), "");
  Parsed p = run(turns);
  ASSERT_EQ(p.auth.size(), 3u);  // the bare challenge is not a login
  EXPECT_EQ(str(p.auth[0], "user"), "user");
  EXPECT_EQ(str(p.auth[0], "password"), "bad");
  EXPECT_EQ(str(p.auth[0], "result"), "failure");
  EXPECT_EQ(str(p.auth[0], "service"), "http");
  EXPECT_EQ(str(p.auth[0], "mechanism"), "Basic");
  EXPECT_EQ(str(p.auth[1], "password"), "pa:ss");
  EXPECT_EQ(str(p.auth[1], "result"), "success");
  EXPECT_EQ(str(p.auth[2], "result"), "unknown");  // no answer before the end
}

TEST(HttpAuth, DigestNtlmBearer) {
  auto d = http::parse_authorization(
      "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
      "algorithm=MD5, nonce=\"7ypf\", nc=00000001, cnonce=\"f2/w\", qop=auth, response=\"8ca5\"");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->scheme, "Digest");
  EXPECT_EQ(d->user, "Mufasa");
  EXPECT_FALSE(d->password);
  EXPECT_EQ(d->credential.size(), 8u);
  // NTLM NEGOTIATE (type 1) is not a login attempt.
  EXPECT_FALSE(
      http::parse_authorization("NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw=="));
  auto b = http::parse_authorization("Bearer abc.def.ghi");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scheme, "Bearer");
  EXPECT_EQ(b->user, "");
}

TEST(HttpHeaders, FoldingRepeatsAndJunk) {
  auto h = http::parse_header_block(
      "GET / HTTP/1.1\r\nA: 1\r\nB:2\r\n\tcont\r\nno colon\r\nA: 3\r\n\r\n");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].name, "a");
  EXPECT_EQ(h[1].value, "2 cont");
  EXPECT_EQ(h[2].value, "3");
}

}  // namespace
}  // namespace netsift
