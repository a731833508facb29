// http::Body's content decoding: the decoded bytes and their SHA-256 equal what zlib
// compressed, however the stream is cut into pieces; the gzip forms that occur (several
// members, a file name in the header) decode; damage (a wrong CRC-32 or Adler-32, bytes
// after the end, no gzip at all) is a decode error; a bomb stops at the limit.
#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <nettle/sha2.h>
#include <zstd.h>

#include <random>
#include <string>

#include "analyzers/http/body.h"
#include "core/wire_text.h"
#include "zlib_compress.h"

namespace netsift::http {
namespace {

std::string compress(const std::string& in, int window_bits, int level = 6) {
  return compress_with_zlib(in, window_bits, level);
}

std::string sha256_hex(const std::string& s) {
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, s.size(), reinterpret_cast<const uint8_t*>(s.data()));
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(&c, sizeof d, d);
  return hex_string(ByteView(d, sizeof d));
}

// Collects every decoded byte.
struct Collect final : BodyConsumer {
  std::string* out;
  bool* complete;
  Collect(std::string* o, bool* c) : out(o), complete(c) {}
  void data(ByteView d) override { out->append(reinterpret_cast<const char*>(d.data()), d.size()); }
  void end(bool c, std::string_view) override { *complete = c; }
};

struct Decoded {
  std::string bytes;
  bool complete = false;
  Body::Problem problem = Body::Problem::None;
  std::string sha;
  bool hash_valid = false;
};

// Feeds `wire` in pieces of `piece` bytes (the last one shorter).
Decoded decode(std::string_view coding, const std::string& wire, size_t piece) {
  Decoded r;
  Body body;
  BodyLimits limits;
  body.start(coding, limits, std::make_unique<Collect>(&r.bytes, &r.complete));
  for (size_t at = 0; at < wire.size(); at += piece) {
    size_t n = std::min(piece, wire.size() - at);
    body.add(ByteView(reinterpret_cast<const uint8_t*>(wire.data()) + at, n));
  }
  body.finish(true);
  r.problem = body.problem();
  r.sha = body.sha256_hex();
  r.hash_valid = body.hash_valid();
  return r;
}

std::string sample_text(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  static const char* kWords[] = {"GET ", "index ", "\n", "header ", "<p>", "zz", "\x01\xff"};
  std::string s;
  while (s.size() < n) s += kWords[rng() % 7];
  s.resize(n);
  return s;
}

TEST(HttpBody, EveryCodingAtEveryPieceSizeMatchesZlib) {
  const std::string text = sample_text(200'000, 1) + std::string(50'000, 'a');
  struct Case {
    const char* coding;
    int bits;
  } cases[] = {{"gzip", 31}, {"x-gzip", 31}, {"deflate", 15}, {"deflate", -15}};
  for (const Case& c : cases) {
    const std::string wire = compress(text, c.bits);
    for (size_t piece : {size_t(1), size_t(2), size_t(7), size_t(1448), size_t(65536)}) {
      Decoded d = decode(c.coding, wire, piece);
      ASSERT_EQ(d.problem, Body::Problem::None) << c.coding << ' ' << c.bits << ' ' << piece;
      ASSERT_EQ(d.bytes.size(), text.size()) << c.coding << ' ' << c.bits << ' ' << piece;
      ASSERT_TRUE(d.bytes == text) << c.coding << ' ' << c.bits << ' ' << piece;
      EXPECT_TRUE(d.complete);
      EXPECT_TRUE(d.hash_valid);
      EXPECT_EQ(d.sha, sha256_hex(text));
    }
  }
}

std::string zstd_compress(const std::string& in, int level, int window_log = 0) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);  // damage is then always seen
  if (window_log) ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log);
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress2(c, out.data(), out.size(), in.data(), in.size());
  ZSTD_freeCCtx(c);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

// zstd (RFC 8878, the HTTP coding of RFC 9659, which curl --compressed and browsers ask
// for): one frame, frames back to back, any piece size; a window over 8 MiB (which a
// server may not send) and damage are decode errors; a bomb stops at the limit.
TEST(HttpBody, ZstdFramesAtEveryPieceSize) {
  const std::string a = sample_text(300'000, 5), b = sample_text(1000, 6);
  const std::string one = zstd_compress(a, 3);
  const std::string two = one + zstd_compress(b, 19);
  ASSERT_FALSE(one.empty());
  for (size_t piece : {size_t(1), size_t(5), size_t(1448), size_t(65536)}) {
    Decoded d = decode("zstd", one, piece);
    ASSERT_EQ(d.problem, Body::Problem::None) << piece;
    EXPECT_TRUE(d.bytes == a) << piece;
    EXPECT_TRUE(d.hash_valid);
    EXPECT_EQ(d.sha, sha256_hex(a));
    d = decode("zstd", two, piece);
    ASSERT_EQ(d.problem, Body::Problem::None) << piece;
    EXPECT_TRUE(d.bytes == a + b) << piece;
  }
  // A 16 MiB window declared by a frame over 16 MiB of data that needs it.
  std::string big = sample_text(9 << 20, 7);
  big += big.substr(0, 4 << 20);
  Decoded wide = decode("zstd", zstd_compress(big, 1, 24), 65536);
  EXPECT_EQ(wide.problem, Body::Problem::DecodeError);
  EXPECT_FALSE(wide.hash_valid);
  std::string damaged = one;
  damaged[damaged.size() / 2] = char(damaged[damaged.size() / 2] ^ 0x55);
  EXPECT_EQ(decode("zstd", damaged, 4096).problem, Body::Problem::DecodeError);
  Decoded bomb = decode("zstd", zstd_compress(std::string(100u << 20, '\0'), 1), 65536);
  EXPECT_EQ(bomb.problem, Body::Problem::Bomb);
  EXPECT_LE(bomb.bytes.size(), BodyLimits().max_decoded);
}

TEST(HttpBody, GzipMembersBackToBackAndAFileNameInTheHeader) {
  std::string a = sample_text(5000, 2), b = sample_text(7000, 3);
  // A member whose header carries FNAME (what gzip(1) writes), then a plain one.
  std::string named = compress(a, 31);
  named[3] = char(named[3] | 0x08);  // FLG.FNAME
  named.insert(10, std::string("page.html\0", 10));
  std::string wire = named + compress(b, 31);
  for (size_t piece : {size_t(1), size_t(3), size_t(4096)}) {
    Decoded d = decode("gzip", wire, piece);
    EXPECT_EQ(d.problem, Body::Problem::None) << piece;
    EXPECT_TRUE(d.bytes == a + b) << piece;
    EXPECT_EQ(d.sha, sha256_hex(a + b)) << piece;
  }
}

TEST(HttpBody, DamageIsADecodeError) {
  const std::string text = sample_text(20'000, 4);
  std::string gz = compress(text, 31);
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] = char(bad_crc[bad_crc.size() - 8] ^ 1);
  std::string zl = compress(text, 15);
  std::string bad_adler = zl;
  bad_adler.back() = char(bad_adler.back() ^ 1);
  std::string raw_then_junk = compress(text, -15) + "junk";
  std::string not_gzip = "this is not gzip at all";
  for (const auto& [coding, wire] :
       {std::pair{"gzip", bad_crc}, std::pair{"deflate", bad_adler},
        std::pair{"deflate", raw_then_junk}, std::pair{"gzip", not_gzip}}) {
    for (size_t piece : {size_t(1), size_t(1448)}) {
      Decoded d = decode(coding, wire, piece);
      EXPECT_EQ(d.problem, Body::Problem::DecodeError) << coding << ' ' << piece;
      EXPECT_FALSE(d.hash_valid) << coding << ' ' << piece;
    }
  }
}

TEST(HttpBody, BombStopsAtTheDecodedLimit) {
  std::string zeros(8 << 20, '\0');
  std::string wire = compress(zeros, 31, 9);
  Body body;
  BodyLimits limits;
  limits.max_decoded = 1 << 20;
  body.start("gzip", limits);
  body.add(ByteView(reinterpret_cast<const uint8_t*>(wire.data()), wire.size()));
  body.finish(true);
  EXPECT_EQ(body.problem(), Body::Problem::Bomb);
  EXPECT_LE(body.decoded_length(), limits.max_decoded);
  EXPECT_TRUE(body.truncated());
  EXPECT_FALSE(body.hash_valid());
}

// The decoders' windows are charged to the engine's memory budget (limits.memory): many
// concurrent encoded bodies cannot each hold up to 16 MiB unseen. A decoder refused
// memory stops with Problem::Memory; every byte charged is given back when the body
// ends, whatever the outcome.
TEST(HttpBody, DecoderMemoryIsChargedAndCapped) {
  const std::string text = sample_text(3 << 20, 9);
  std::string br(BrotliEncoderMaxCompressedSize(text.size()), '\0');
  size_t br_size = br.size();
  ASSERT_TRUE(BrotliEncoderCompress(1, 24, BROTLI_MODE_GENERIC, text.size(),
                                    reinterpret_cast<const uint8_t*>(text.data()), &br_size,
                                    reinterpret_cast<uint8_t*>(br.data())));
  br.resize(br_size);
  struct Case {
    const char* coding;
    std::string wire;
  } cases[] = {{"gzip", compress(text, 31)},
               {"deflate", compress(text, -15)},
               {"br", br},
               {"zstd", zstd_compress(text, 1, 22)}};
  for (const Case& c : cases) {
    for (uint64_t cap : {uint64_t(64) << 20, uint64_t(16) << 10}) {
      BufferBudget budget;
      budget.limit = cap;
      BudgetShare share(budget, 1);
      uint64_t peak = 0;
      Body::Problem problem;
      std::string decoded;
      {
        Body body;
        BodyLimits limits;
        limits.memory = &share;
        body.start(c.coding, limits);
        const auto* at = reinterpret_cast<const uint8_t*>(c.wire.data());
        for (size_t off = 0; off < c.wire.size(); off += 1448) {
          body.add(ByteView(at + off, std::min<size_t>(1448, c.wire.size() - off)));
          peak = std::max(peak, budget.held);
        }
        body.finish(true);
        problem = body.problem();
        EXPECT_LE(budget.held, cap) << c.coding;
        if (cap > (1u << 20)) {
          EXPECT_EQ(problem, Body::Problem::None) << c.coding;
          EXPECT_EQ(body.sha256_hex(), sha256_hex(text)) << c.coding;
          EXPECT_GT(peak, 0u) << c.coding << ": nothing charged";
        } else {
          EXPECT_EQ(problem, Body::Problem::Memory) << c.coding << ' ' << peak;
          EXPECT_FALSE(body.hash_valid()) << c.coding;
        }
      }
      EXPECT_EQ(budget.held, 0u) << c.coding << " cap " << cap << ": memory not given back";
    }
  }
}

}  // namespace
}  // namespace netsift::http
