// Micro-benchmarks of the per-packet hot paths: decoding, text and JSON rendering, TCP
// reassembly of in-order segments, and HTTP bodies (SHA-256 alone, gzip decoding and
// SHA-256: the floor under the HTTP analyzer's cost). Run: build/bench/bench_hot_paths
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../tests/unit/zlib_compress.h"
#include "analyzers/http/body.h"
#include "capture/file_reader.h"
#include "decode/decoder.h"
#include "flow/tcp_stream.h"
#include "output/line_writer.h"
#include "output/packet_printer.h"

namespace netsift {
namespace {

std::vector<uint8_t> http_frame() {
  std::vector<uint8_t> b = {0,    1, 2,    3,    4,    5,    6,    7,    8,  9,  10, 11, 0x08, 0x00,
                            0x45, 0, 0,    0,    0,    1,    0x40, 0,    64, 6,  0,  0,  10,   0,
                            0,    1, 10,   0,    0,    2,    0x9c, 0x40, 0,  80, 0,  0,  0x03, 0xe8,
                            0,    0, 0x07, 0xd0, 0x50, 0x18, 2,    0,    0,  0,  0,  0};
  std::string payload =
      "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\n\r\n";
  payload.resize(1400, 'x');
  b.insert(b.end(), payload.begin(), payload.end());
  uint16_t total = uint16_t(b.size() - 14);
  b[16] = uint8_t(total >> 8);
  b[17] = uint8_t(total);
  return b;
}

RawPacket raw_of(const std::vector<uint8_t>& b) {
  RawPacket r;
  r.data = ByteView(b.data(), b.size());
  r.caplen = r.wirelen = uint32_t(b.size());
  r.linktype = linktype::kEthernet;
  r.ts = 1'600'000'000'000'000'000;
  return r;
}

void BM_Decode(benchmark::State& state) {
  auto b = http_frame();
  RawPacket raw = raw_of(b);
  Decoder decoder;
  PacketView v;
  for (auto _ : state) {
    decoder.decode(raw, v);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(int64_t(state.iterations() * b.size()));
}
BENCHMARK(BM_Decode);

template <bool kJson>
void BM_Render(benchmark::State& state) {
  auto b = http_frame();
  RawPacket raw = raw_of(b);
  PacketView v;
  Decoder().decode(raw, v);
  OutputBuffer out(open("/dev/null", O_WRONLY));
  auto printer = kJson ? make_json_packet_printer(out, {}) : make_text_packet_printer(out, {});
  uint64_t frame = 0;
  for (auto _ : state) printer->print(v, ++frame);
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_Render<false>)->Name("BM_RenderText");
BENCHMARK(BM_Render<true>)->Name("BM_RenderJson");

// Decoding and rendering of real traffic: the first 40,000 packets (or
// NETSIFT_BENCH_COUNT) of the capture named by NETSIFT_BENCH_PCAP (e.g.
// /tmp/bench/bench-200m.pcap), held in memory as in the file. As `packets` does, each
// 1 MiB stretch is first copied into one recycled buffer (as read() would), so the
// packets are as warm as they are there; the figure is `packets` less the kernel. The
// A/B metric for printer and decoder work: a synthetic frame misses the mix of
// payloads, addresses and numbers, and packets spread over 25 MB miss every cache.
struct Capture {
  std::vector<uint8_t> bytes;      // the packets' bytes, one after another
  std::vector<RawPacket> packets;  // data: offsets into bytes until the copy
  std::vector<size_t> offsets;
};
const Capture* bench_capture() {
  static const Capture capture = [] {
    Capture c;
    const char* path = std::getenv("NETSIFT_BENCH_PCAP");
    if (!path) return c;
    const char* count = std::getenv("NETSIFT_BENCH_COUNT");
    const size_t limit = count ? size_t(std::atol(count)) : 40000;
    FileReader reader(path);
    if (!reader.open()) return c;
    RawPacket raw;
    while (c.packets.size() < limit && reader.next(raw) == PacketSource::Status::Packet) {
      c.offsets.push_back(c.bytes.size());
      c.bytes.insert(c.bytes.end(), raw.data.begin(), raw.data.end());
      c.packets.push_back(raw);
    }
    return c;
  }();
  return &capture;
}

template <bool kJson>
void BM_CapturePackets(benchmark::State& state) {
  const Capture* c = bench_capture();
  if (c->packets.empty()) {
    state.SkipWithError("set NETSIFT_BENCH_PCAP to a capture file");
    return;
  }
  constexpr size_t kChunk = 1u << 20;
  std::vector<uint8_t> hot(kChunk + (256u << 10));
  std::vector<RawPacket> packets = c->packets;
  Decoder decoder;
  PacketView v;
  OutputBuffer out(open("/dev/null", O_WRONLY));
  auto printer = kJson ? make_json_packet_printer(out, {}) : make_text_packet_printer(out, {});
  uint64_t frame = 0;
  for (auto _ : state) {
    size_t i = 0;
    while (i < packets.size()) {
      // The packets starting in the next 1 MiB (at least one), copied together.
      const size_t from = c->offsets[i];
      size_t j = i;
      while (j < packets.size() && (j == i || c->offsets[j] + packets[j].caplen - from <= kChunk))
        ++j;
      const size_t to = c->offsets[j - 1] + packets[j - 1].caplen;
      if (to - from > hot.size()) hot.resize(to - from);
      std::memcpy(hot.data(), c->bytes.data() + from, to - from);
      for (; i < j; ++i) {
        packets[i].data = ByteView(hot.data() + (c->offsets[i] - from), packets[i].caplen);
        decoder.decode(packets[i], v);
        printer->print(v, ++frame);
      }
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations() * packets.size()));
}
BENCHMARK(BM_CapturePackets<false>)->Name("BM_CapturePacketsText")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CapturePackets<true>)->Name("BM_CapturePacketsJson")->Unit(benchmark::kMillisecond);
// DATA= of every packet: escaping the first 64 payload bytes of the same packets
// (hot in cache: the escaping alone).
void BM_EscapePayloads(benchmark::State& state) {
  const Capture* c = bench_capture();
  if (c->packets.empty()) {
    state.SkipWithError("set NETSIFT_BENCH_PCAP to a capture file");
    return;
  }
  std::vector<std::vector<uint8_t>> payloads;
  Decoder decoder;
  PacketView v;
  for (size_t i = 0; i < c->packets.size() && payloads.size() < 2000; ++i) {
    RawPacket raw = c->packets[i];
    raw.data = ByteView(c->bytes.data() + c->offsets[i], raw.caplen);
    decoder.decode(raw, v);
    ByteView p = v.payload();
    if (!p.empty())
      payloads.emplace_back(p.begin(), p.begin() + long(std::min<size_t>(p.size(), 64)));
  }
  std::vector<char> out(64 * 5 + 64);
  size_t total = 0;
  for (auto _ : state) {
    for (const auto& p : payloads)
      total += escape_to(ByteView(p.data(), p.size()), out.data(), false);
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * payloads.size()));
}
BENCHMARK(BM_EscapePayloads);

struct NullReceiver final : StreamReceiver {
  uint64_t bytes = 0;
  void on_stream_data(int, uint64_t, ByteView d) override { bytes += d.size(); }
  void on_stream_gap(int, uint64_t, uint64_t) override {}
};

void BM_ReassembleInOrder(benchmark::State& state) {
  std::vector<uint8_t> seg(1448, 'a');
  NullReceiver rx;
  BufferBudget budget;
  TcpStream stream(0, rx, budget, 1 << 20);
  stream.on_syn(0);
  uint32_t seq = 1;
  for (auto _ : state) {
    stream.on_segment(seq, ByteView(seg.data(), seg.size()), false);
    seq += uint32_t(seg.size());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * seg.size()));
}
BENCHMARK(BM_ReassembleInOrder);

// 1 MiB of HTML-like text (words from a small vocabulary, as the bench capture's pages),
// gzip'd at level 1 as nginx does by default.
const std::string& page_text() {
  static const std::string text = [] {
    static const char* kWords[] = {"window", "segment", "header", "answer",  "stream",
                                   "packet", "buffer",  "query",  "traffic", "server"};
    std::mt19937 rng(3);
    std::string t = "<!doctype html><html><body><p class='c0'>";
    while (t.size() < (1u << 20)) {
      t += kWords[rng() % 10];
      t += rng() % 12 ? " " : "</p>\n<p>";
    }
    return t;
  }();
  return text;
}

// One body through http::Body in pieces of a TCP segment's payload (larger pieces were
// seen to change little).
constexpr size_t kPiece = 1448;
void BM_HttpBody(benchmark::State& state, bool gzip, size_t size) {
  const std::string text = page_text().substr(0, size);
  const std::string wire = gzip ? compress_with_zlib(text, 31, 1) : text;
  http::BodyLimits limits;
  for (auto _ : state) {
    http::Body body;
    body.start(gzip ? "gzip" : "", limits);
    for (size_t at = 0; at < wire.size(); at += kPiece) {
      size_t n = std::min<size_t>(kPiece, wire.size() - at);
      body.add(ByteView(reinterpret_cast<const uint8_t*>(wire.data()) + at, n));
    }
    body.finish(true);
    if (body.decoded_length() != text.size()) state.SkipWithError("decoded length");
  }
  state.SetBytesProcessed(int64_t(state.iterations() * text.size()));
}
// 1 MiB, and 32 KiB: the bench capture's gzip'd pages average 29 KB, so per-body set-up
// (decoder state, hash context) counts as much as per-byte speed.
BENCHMARK_CAPTURE(BM_HttpBody, identity_sha256_1M, false, 1 << 20);
BENCHMARK_CAPTURE(BM_HttpBody, gzip_sha256_1M, true, 1 << 20);
BENCHMARK_CAPTURE(BM_HttpBody, identity_sha256_32K, false, 32 << 10);
BENCHMARK_CAPTURE(BM_HttpBody, gzip_sha256_32K, true, 32 << 10);

}  // namespace
}  // namespace netsift
