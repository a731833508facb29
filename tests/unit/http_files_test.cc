// --extract-files through the real engine: each body once under its SHA-256 with a
// sidecar, multipart parts as their own files, nothing written for a body with a hole,
// and a symlink planted at the target name neither followed nor replaced.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "analyzer_harness.h"
#include "analyzers/http/http_analyzer.h"

namespace netsift {
namespace {

namespace fs = std::filesystem;
const std::array<AnalyzerSpec, 1> kSpecs = {kHttpAnalyzer};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/netsift-files-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

AppLayerConfig extract_to(const fs::path& dir) {
  AppLayerConfig config;
  AnalyzerOptions o(kHttpAnalyzer.options);
  std::string error;
  EXPECT_TRUE(o.set("extract_dir", dir.string(), error)) << error;
  config.options.emplace("http", o);
  return config;
}

// sha256("hello")
constexpr const char* kHelloSha =
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

TEST(HttpFiles, BodyWrittenOnceWithSidecarNotWorldWritable) {
  TempDir t;
  std::string get = "GET /greeting HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
  test::play(kSpecs, test::test_flow(80),
             {{Dir::ToServer, get}, {Dir::ToClient, ok}, {Dir::ToServer, get}, {Dir::ToClient, ok}},
             {}, extract_to(t.path));
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(t.path)) {
    ++n;
    struct stat st;
    ASSERT_EQ(lstat(e.path().c_str(), &st), 0);
    EXPECT_FALSE(st.st_mode & S_IWOTH) << e.path();
    EXPECT_TRUE(S_ISREG(st.st_mode)) << e.path();
  }
  EXPECT_EQ(n, 2u);  // the body once (sent twice) and its sidecar
  EXPECT_EQ(read(t.path / kHelloSha), "hello");
  std::string side = read(t.path / (std::string(kHelloSha) + ".json"));
  EXPECT_NE(side.find("\"uri\":\"/greeting\""), std::string::npos) << side;
  EXPECT_NE(side.find("\"content_type\":\"text/plain\""), std::string::npos) << side;
  EXPECT_NE(side.find("\"flow\":\"tcp 192.0.2.1:40000 -> 192.0.2.2:80\""), std::string::npos);
}

TEST(HttpFiles, PlantedSymlinkNeitherFollowedNorReplaced) {
  TempDir t;
  fs::path victim = t.path / "victim";
  { std::ofstream(victim) << "untouched"; }
  fs::path sub = t.path / "out";
  fs::create_directory(sub);
  fs::create_symlink(victim, sub / kHelloSha);
  fs::create_symlink(victim, sub / (std::string(kHelloSha) + ".json"));
  test::play(kSpecs, test::test_flow(80),
             {{Dir::ToServer, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
              {Dir::ToClient, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"}},
             {}, extract_to(sub));
  EXPECT_EQ(read(victim), "untouched");
  EXPECT_TRUE(fs::is_symlink(sub / kHelloSha));
  for (const auto& e : fs::directory_iterator(sub))
    EXPECT_NE(e.path().filename().string().rfind(".tmp", 0), 0u) << "temporary left behind";
}

TEST(HttpFiles, MultipartPartsSeparatelyAndNothingForABodyWithAHole) {
  TempDir t;
  std::string body =
      "--xyz\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
      "--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n\x01\x02\r\n--xy\x03\r\n--xyz--\r\n";
  std::string req =
      "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; "
      "boundary=xyz\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  FlowInfo flow = test::test_flow(80);
  test::EventLog log;
  BufferBudget budget;
  AppLayer engine(kSpecs, extract_to(t.path), log, budget);
  AppFlow state;
  engine.start(state, flow, Transport::Tcp);
  auto send = [&](Dir d, const std::string& s) {
    engine.data(state, d, ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  for (size_t i = 0; i < req.size(); i += 7) send(Dir::ToServer, req.substr(i, 7));  // cut anywhere
  send(Dir::ToClient, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  // A second upload loses bytes: no file for it.
  send(Dir::ToServer, "POST /lost HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\n\r\nabcd");
  engine.gap(state, Dir::ToServer, 10);
  send(Dir::ToServer, "efghij");
  send(Dir::ToClient, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  engine.close(state);
  EXPECT_EQ(read(t.path / kHelloSha), "hello");  // part "note"
  std::string part2 = std::string("\x01\x02\r\n--xy\x03", 9);
  bool found_part2 = false, found_whole = false, found_lost = false;
  for (const auto& e : fs::directory_iterator(t.path)) {
    if (e.path().extension() == ".json") continue;
    std::string content = read(e.path());
    found_part2 |= content == part2;
    found_whole |= content == body;
    found_lost |= content.find("abcd") != std::string::npos;
  }
  EXPECT_TRUE(found_part2);  // a near-delimiter inside the part does not end it
  EXPECT_TRUE(found_whole);
  EXPECT_FALSE(found_lost);
  bool sidecar_has_filename = false;
  for (const auto& e : fs::directory_iterator(t.path)) {
    if (e.path().extension() == ".json")
      sidecar_has_filename |= read(e.path()).find("\"filename\":\"a.bin\"") != std::string::npos;
  }
  EXPECT_TRUE(sidecar_has_filename);
}

}  // namespace
}  // namespace netsift

namespace netsift {
namespace {

// The directory is opened once per engine, by its first HTTP flow, not again per flow:
// renamed after the first flow, it still receives the second flow's body (a per-flow
// open would recreate the old name and write there).
TEST(HttpFiles, DirectoryOpenedOncePerEngine) {
  TempDir t;
  fs::path dir = t.path / "files", moved = t.path / "moved";
  test::EventLog log;
  BufferBudget budget;
  AppLayer engine(kSpecs, extract_to(dir), log, budget);
  auto exchange = [&](uint16_t client_port, const std::string& body) {
    FlowInfo flow = test::test_flow(80);
    flow.client_port = client_port;
    AppFlow state;
    engine.start(state, flow, Transport::Tcp);
    std::string get = "GET /f HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string ok =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    engine.data(state, Dir::ToServer,
                ByteView(reinterpret_cast<const uint8_t*>(get.data()), get.size()));
    engine.data(state, Dir::ToClient,
                ByteView(reinterpret_cast<const uint8_t*>(ok.data()), ok.size()));
    engine.close(state);
  };
  exchange(40001, "hello");
  ASSERT_TRUE(fs::exists(dir / kHelloSha));
  fs::rename(dir, moved);
  exchange(40002, "second body");
  EXPECT_FALSE(fs::exists(dir)) << "the directory was opened again by name";
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(moved)) files += e.path().extension() != ".json";
  EXPECT_EQ(files, 2u);
}

}  // namespace
}  // namespace netsift
