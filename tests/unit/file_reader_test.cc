#include "capture/file_reader.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "zlib_compress.h"

namespace netsift {
namespace {

using Bytes = std::vector<uint8_t>;

void le32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
}
void be32(Bytes& b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(uint8_t(v >> (8 * i)));
}
void le16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v));
  b.push_back(uint8_t(v >> 8));
}

class TempFile {
 public:
  explicit TempFile(const Bytes& content) {
    char tmpl[] = "/tmp/netsift-test-XXXXXX";
    int fd = mkstemp(tmpl);
    path_ = tmpl;
    if (!content.empty()) {
      EXPECT_EQ(write(fd, content.data(), content.size()), ssize_t(content.size()));
    }
    close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct ReadResult {
  std::vector<RawPacket> packets;
  std::vector<Bytes> data;
  bool error = false;
  std::string message;
};

ReadResult read_path(const std::string& path, ReadAheadPolicy policy = {}) {
  FileReader reader(path, policy);
  ReadResult r;
  if (!reader.open()) {
    r.error = true;
    r.message = reader.error();
    return r;
  }
  RawPacket p;
  for (;;) {
    auto s = reader.next(p);
    if (s == PacketSource::Status::Packet) {
      r.packets.push_back(p);
      r.data.emplace_back(p.data.begin(), p.data.end());
      continue;
    }
    if (s == PacketSource::Status::Error) {
      r.error = true;
      r.message = reader.error();
    }
    break;
  }
  return r;
}

ReadResult read_all(const Bytes& file, ReadAheadPolicy policy = {}) {
  TempFile tmp(file);
  return read_path(tmp.path(), policy);
}

Bytes pcap(bool big_endian, bool nanos, int packets) {
  Bytes b;
  auto w32 = [&](uint32_t v) {
    if (big_endian) {
      be32(b, v);
    } else {
      le32(b, v);
    }
  };
  auto w16 = [&](uint16_t v) {
    if (big_endian) {
      b.push_back(uint8_t(v >> 8));
      b.push_back(uint8_t(v));
    } else {
      le16(b, v);
    }
  };
  w32(nanos ? 0xa1b23c4d : 0xa1b2c3d4);
  w16(2);
  w16(4);
  w32(0);
  w32(0);
  w32(65535);
  w32(1);
  for (int i = 0; i < packets; ++i) {
    w32(1000 + i);
    w32(nanos ? 123456789 : 123456);
    w32(3);
    w32(60);
    b.push_back(uint8_t(i));
    b.push_back(0xaa);
    b.push_back(0xbb);
  }
  return b;
}

TEST(FileReader, PcapAllByteOrdersAndResolutions) {
  for (bool be : {false, true}) {
    for (bool ns : {false, true}) {
      auto r = read_all(pcap(be, ns, 3));
      ASSERT_FALSE(r.error) << r.message;
      ASSERT_EQ(r.packets.size(), 3u);
      EXPECT_EQ(r.packets[1].ts, 1001 * kNsPerSec + (ns ? 123456789 : 123456000));
      EXPECT_EQ(r.packets[2].caplen, 3u);
      EXPECT_EQ(r.packets[2].wirelen, 60u);
      EXPECT_EQ(r.packets[0].linktype, 1);
      EXPECT_EQ(r.data[2], (Bytes{2, 0xaa, 0xbb}));
    }
  }
}

TEST(FileReader, PcapFilesJoinedWithCatAreReadAsOne) {
  // `cat a.pcap b.pcap c.pcap`: each later file header is read as such, with its own
  // byte order and resolution, not as a record (which used to end the run as corrupt).
  Bytes joined = pcap(false, false, 3);
  for (const Bytes& more : {pcap(true, true, 2), pcap(false, true, 1)})
    joined.insert(joined.end(), more.begin(), more.end());
  for (bool ahead : {false, true}) {
    ReadAheadPolicy policy;
    policy.mode = ahead ? ReadAheadPolicy::Mode::On : ReadAheadPolicy::Mode::Off;
    auto r = read_all(joined, policy);
    ASSERT_FALSE(r.error) << r.message;
    ASSERT_EQ(r.packets.size(), 6u);
    EXPECT_EQ(r.packets[2].ts, 1002 * kNsPerSec + 123456000);
    EXPECT_EQ(r.packets[3].ts, 1000 * kNsPerSec + 123456789);
    EXPECT_EQ(r.packets[5].ts, 1000 * kNsPerSec + 123456789);
    EXPECT_EQ(r.data[4], (Bytes{1, 0xaa, 0xbb}));
  }
  // A second file's header cut short: said so, after the first file's packets.
  Bytes cut = pcap(false, false, 1);
  Bytes second = pcap(false, false, 0);
  cut.insert(cut.end(), second.begin(), second.begin() + 20);
  auto r = read_all(cut);
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.packets.size(), 1u);
  EXPECT_NE(r.message.find("truncated pcap file header (20 of 24 bytes) of a second file at "
                           "byte offset 43"),
            std::string::npos)
      << r.message;
}

TEST(FileReader, ARunOfJoinedPcapHeadersDoesNotGrowTheStack) {
  // Hostile input: 100,000 file headers in a row (a .gz makes millions small), read on a
  // thread with a 1 MiB stack. A reader that called itself per header overflowed it in
  // builds without tail calls (the ASan one).
  Bytes joined = pcap(false, false, 1);
  const Bytes header(joined.begin(), joined.begin() + 24);
  for (int i = 0; i < 100000; ++i) joined.insert(joined.end(), header.begin(), header.end());
  const Bytes last = pcap(true, true, 1);
  joined.insert(joined.end(), last.begin(), last.end());
  struct Job {
    const Bytes* file;
    ReadResult result;
  } job{&joined, {}};
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 1u << 20), 0);
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void* p) -> void* {
                  auto* j = static_cast<Job*>(p);
                  j->result = read_all(*j->file);
                  return nullptr;
                },
                &job),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  ASSERT_FALSE(job.result.error) << job.result.message;
  ASSERT_EQ(job.result.packets.size(), 2u);
  EXPECT_EQ(job.result.packets[1].ts, 1000 * kNsPerSec + 123456789);
}

TEST(FileReader, TruncatedPcapKeepsEarlierPacketsAndNamesOffset) {
  Bytes full = pcap(false, false, 3);
  // Cut inside the third record at every possible position.
  size_t third = 24 + 2 * 19;
  for (size_t cut = third + 1; cut < full.size(); ++cut) {
    auto r = read_all(Bytes(full.begin(), full.begin() + long(cut)));
    EXPECT_TRUE(r.error) << cut;
    EXPECT_EQ(r.packets.size(), 2u) << cut;
    EXPECT_NE(r.message.find("byte offset " + std::to_string(third)), std::string::npos)
        << r.message;
  }
  auto r = read_all(Bytes(full.begin(), full.begin() + 10));
  EXPECT_TRUE(r.error);
  EXPECT_TRUE(read_all(Bytes{1, 2, 3, 4, 5, 6, 7, 8}).error);
  EXPECT_TRUE(read_all(Bytes{}).error);
}

// pcapng writer for tests: little- or big-endian sections.
struct Ng {
  bool be = false;
  Bytes b;
  void w32(uint32_t v) {
    if (be) {
      be32(b, v);
    } else {
      le32(b, v);
    }
  }
  void w16(uint16_t v) {
    if (be) {
      b.push_back(uint8_t(v >> 8));
      b.push_back(uint8_t(v));
    } else {
      le16(b, v);
    }
  }
  void block(uint32_t type, const Bytes& body_in) {
    Bytes body = body_in;
    while (body.size() % 4) body.push_back(0);
    w32(type);
    w32(uint32_t(12 + body.size()));
    b.insert(b.end(), body.begin(), body.end());
    w32(uint32_t(12 + body.size()));
  }
  Bytes u32(uint32_t v) const {
    Bytes o;
    if (be) {
      be32(o, v);
    } else {
      le32(o, v);
    }
    return o;
  }
  Bytes u16(uint16_t v) const {
    Bytes o;
    if (be) {
      o.push_back(uint8_t(v >> 8));
      o.push_back(uint8_t(v));
    } else {
      le16(o, v);
    }
    return o;
  }
  void shb() {
    Bytes body = u32(0x1A2B3C4D);
    auto v = u16(1);
    body.insert(body.end(), v.begin(), v.end());
    v = u16(0);
    body.insert(body.end(), v.begin(), v.end());
    body.insert(body.end(), 8, 0xff);  // section length unknown
    block(0x0A0D0D0A, body);
  }
  void idb(uint16_t linktype, int tsresol = -1) {
    Bytes body = u16(linktype);
    auto z = u16(0);
    body.insert(body.end(), z.begin(), z.end());
    auto s = u32(65535);
    body.insert(body.end(), s.begin(), s.end());
    if (tsresol >= 0) {
      auto c = u16(9), l = u16(1);
      body.insert(body.end(), c.begin(), c.end());
      body.insert(body.end(), l.begin(), l.end());
      body.push_back(uint8_t(tsresol));
      body.insert(body.end(), 3, 0);
      auto e = u32(0);
      body.insert(body.end(), e.begin(), e.end());
    }
    block(1, body);
  }
  void epb(uint32_t ifc, uint64_t ts, const Bytes& data) {
    Bytes body = u32(ifc);
    auto hi = u32(uint32_t(ts >> 32)), lo = u32(uint32_t(ts));
    body.insert(body.end(), hi.begin(), hi.end());
    body.insert(body.end(), lo.begin(), lo.end());
    auto cl = u32(uint32_t(data.size()));
    body.insert(body.end(), cl.begin(), cl.end());
    body.insert(body.end(), cl.begin(), cl.end());
    body.insert(body.end(), data.begin(), data.end());
    block(6, body);
  }
};

TEST(FileReader, PcapngInterfacesResolutionsSectionsAndUnknownBlocks) {
  for (bool be : {false, true}) {
    Ng ng{be, {}};
    ng.shb();
    ng.idb(1);             // Ethernet, microseconds
    ng.idb(101, 9);        // raw IP, nanoseconds
    ng.idb(1, 0x80 | 10);  // 2^-10 seconds
    ng.epb(0, 1'500'000, {1, 2, 3});
    ng.block(0x0bad, {9, 9, 9, 9});  // unknown: skipped
    ng.epb(1, 2'000'000'001, {4, 5});
    ng.epb(2, 3 * 1024 + 512, {6});
    // Simple Packet Block on interface 0
    Bytes spb = ng.u32(5);
    spb.insert(spb.end(), {7, 7, 7, 7, 7});
    ng.block(3, spb);
    // Second section (opposite byte order) redefines interface 0
    Ng second{!be, {}};
    second.shb();
    second.idb(229);
    second.epb(0, 7'000'000, {8});
    ng.b.insert(ng.b.end(), second.b.begin(), second.b.end());

    auto r = read_all(ng.b);
    ASSERT_FALSE(r.error) << r.message;
    ASSERT_EQ(r.packets.size(), 5u);
    EXPECT_EQ(r.packets[0].linktype, 1);
    EXPECT_EQ(r.packets[0].ts, 1'500'000'000);
    EXPECT_EQ(r.packets[1].linktype, 101);
    EXPECT_EQ(r.packets[1].interface_id, 1u);
    EXPECT_EQ(r.packets[1].ts, 2'000'000'001);
    EXPECT_EQ(r.packets[2].ts, 3 * kNsPerSec + kNsPerSec / 2);
    EXPECT_EQ(r.data[3], (Bytes{7, 7, 7, 7, 7}));
    EXPECT_EQ(r.packets[4].linktype, 229);
    EXPECT_EQ(r.packets[4].ts, 7 * kNsPerSec);
  }
}

TEST(FileReader, PcapAndPcapngFilesJoinedWithCatAreReadAsOne) {
  // `cat a.pcap b.pcapng c.pcap d.pcapng`: each file's header is read where it starts,
  // whichever format came before; both byte orders of each.
  for (bool be : {false, true}) {
    Bytes joined = pcap(be, false, 2);
    Ng ng{!be, {}};
    ng.shb();
    ng.idb(101, 9);
    ng.epb(0, 5'000'000'007, {4, 5});
    joined.insert(joined.end(), ng.b.begin(), ng.b.end());
    const Bytes more = pcap(!be, true, 1);
    joined.insert(joined.end(), more.begin(), more.end());
    joined.insert(joined.end(), ng.b.begin(), ng.b.end());
    for (bool ahead : {false, true}) {
      ReadAheadPolicy policy;
      policy.mode = ahead ? ReadAheadPolicy::Mode::On : ReadAheadPolicy::Mode::Off;
      auto r = read_all(joined, policy);
      ASSERT_FALSE(r.error) << r.message;
      ASSERT_EQ(r.packets.size(), 5u);
      EXPECT_EQ(r.packets[1].ts, 1001 * kNsPerSec + 123456000);
      EXPECT_EQ(r.packets[2].linktype, 101);
      EXPECT_EQ(r.packets[2].ts, 5'000'000'007);
      EXPECT_EQ(r.data[2], (Bytes{4, 5}));
      EXPECT_EQ(r.packets[3].linktype, 1);
      EXPECT_EQ(r.packets[3].ts, 1000 * kNsPerSec + 123456789);
      EXPECT_EQ(r.packets[4].linktype, 101);
    }
  }
  // Hostile: 50,000 alternations of empty files of both formats, on the default stack
  // (ASan build): read in a loop, not by the readers calling each other.
  Ng empty_ng;
  empty_ng.shb();
  const Bytes empty_pcap = pcap(false, false, 0);
  Bytes run = pcap(false, false, 1);
  for (int i = 0; i < 50000; ++i) {
    run.insert(run.end(), empty_ng.b.begin(), empty_ng.b.end());
    run.insert(run.end(), empty_pcap.begin(), empty_pcap.end());
  }
  const Bytes last = pcap(true, true, 1);
  run.insert(run.end(), last.begin(), last.end());
  auto r = read_all(run);
  ASSERT_FALSE(r.error) << r.message;
  EXPECT_EQ(r.packets.size(), 2u);
  // A pcap header cut short after a pcapng file: said so, after the packets before it.
  Ng one;
  one.shb();
  one.idb(1);
  one.epb(0, 1, {1});
  Bytes cut = one.b;
  const Bytes header = pcap(false, false, 0);
  cut.insert(cut.end(), header.begin(), header.begin() + 16);
  auto c = read_all(cut);
  EXPECT_TRUE(c.error);
  EXPECT_EQ(c.packets.size(), 1u);
  EXPECT_NE(c.message.find("truncated pcap file header (16 of 24 bytes) after a pcapng file"),
            std::string::npos)
      << c.message;
}

TEST(FileReader, PcapngCorruptionIsReportedWithOffset) {
  Ng ng;
  ng.shb();
  ng.idb(1);
  ng.epb(0, 1, {1, 2, 3, 4});
  size_t second = ng.b.size();
  ng.epb(0, 2, {5, 6, 7, 8});
  for (size_t cut = second + 1; cut < ng.b.size(); ++cut) {
    auto r = read_all(Bytes(ng.b.begin(), ng.b.begin() + long(cut)));
    EXPECT_TRUE(r.error);
    EXPECT_EQ(r.packets.size(), 1u);
    EXPECT_NE(r.message.find("byte offset " + std::to_string(second)), std::string::npos)
        << r.message;
  }
  Bytes bad = ng.b;
  bad[second + 4] = 0xff;  // absurd block length
  auto r = read_all(bad);
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.packets.size(), 1u);
  // A packet naming an interface that was never declared
  Ng undeclared;
  undeclared.shb();
  undeclared.epb(3, 1, {1});
  EXPECT_TRUE(read_all(undeclared.b).error);
}

TEST(FileReader, NetMon2) {
  // 128-byte header, two frames, then the frame table.
  Bytes b(128, 0);
  const char magic[] = "GMBU";
  std::copy(magic, magic + 4, b.begin());
  b[5] = 2;  // version 2.0
  b[6] = 1;  // Ethernet
  uint16_t systemtime[8] = {2005, 7, 6, 16, 10, 29, 29, 800};
  for (int i = 0; i < 8; ++i) {
    b[8 + i * 2] = uint8_t(systemtime[i]);
    b[9 + i * 2] = uint8_t(systemtime[i] >> 8);
  }
  std::vector<uint32_t> offsets;
  for (uint64_t micros : {0ull, 1500000ull}) {
    offsets.push_back(uint32_t(b.size()));
    Bytes frame;
    le32(frame, uint32_t(micros));
    le32(frame, uint32_t(micros >> 32));
    le32(frame, 60);  // on the wire
    le32(frame, 3);   // captured
    frame.insert(frame.end(), {1, 2, 3});
    b.insert(b.end(), frame.begin(), frame.end());
  }
  uint32_t table = uint32_t(b.size());
  for (uint32_t o : offsets) le32(b, o);
  for (int i = 0; i < 4; ++i) b[24 + i] = uint8_t(table >> (8 * i));
  b[28] = 8;
  auto r = read_all(b);
  ASSERT_FALSE(r.error) << r.message;
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(r.packets[0].ts, 1121509769800000000);  // 2005-07-16 10:29:29.8 UTC
  EXPECT_EQ(r.packets[1].ts, 1121509771300000000);
  EXPECT_EQ(r.packets[1].wirelen, 60u);
  EXPECT_EQ(r.data[1], (Bytes{1, 2, 3}));
  Bytes cut(b.begin(), b.begin() + 150);  // the table is gone
  EXPECT_TRUE(read_all(cut).error);
}

TEST(FileReader, RealCorpusFilesOpen) {
  for (const char* f :
       {"pcapng-multi-interface.pcapng", "http-get.pcap", "sll2-linux_dlt_sll2.pcap"}) {
    FileReader reader(std::string(NETSIFT_EXAMPLES_DIR) + "/" + f);
    ASSERT_TRUE(reader.open()) << reader.error();
    RawPacket p;
    int n = 0;
    while (reader.next(p) == PacketSource::Status::Packet) ++n;
    EXPECT_GT(n, 0) << f;
    EXPECT_TRUE(reader.error().empty()) << reader.error();
  }
}

// A pcap of `count` records whose bytes say which record and offset they are, of sizes
// from 1 byte to ~9 KB, and one of 1.5 MiB (bigger than a block) in the middle.
Bytes numbered_pcap(int count, std::vector<Bytes>& expected) {
  Bytes b;
  le32(b, 0xa1b2c3d4);
  le16(b, 2);
  le16(b, 4);
  le32(b, 0);
  le32(b, 0);
  le32(b, 0x7fffffff);
  le32(b, 1);
  for (int i = 0; i < count; ++i) {
    size_t len = i == count / 2 ? (3u << 19) : 1 + size_t(i) * 7919 % 9000;
    Bytes data(len);
    for (size_t k = 0; k < len; ++k) data[k] = uint8_t(i * 31 + k * 7 + (k >> 8));
    le32(b, uint32_t(i));
    le32(b, 0);
    le32(b, uint32_t(len));
    le32(b, uint32_t(len));
    b.insert(b.end(), data.begin(), data.end());
    expected.push_back(std::move(data));
  }
  return b;
}

// Lent blocks (RawPacket::block): while a consumer holds the blocks of the last
// `window` packets, the reader reads on elsewhere; every held packet's bytes stay as they
// were until let go, and the blocks in use stay few.
// Read ahead (`policy` with lending): a packet may also come unlent (a record gathered
// past the headroom, or the consumer holding all the blocks the thread can spare); its
// bytes are then checked at once, as a consumer would copy them.
void check_lending(const Bytes& file, const std::vector<Bytes>& expected, size_t window,
                   ReadAheadPolicy policy = {.mode = ReadAheadPolicy::Mode::Off}) {
  TempFile tmp(file);
  const bool ahead = policy.mode == ReadAheadPolicy::Mode::On;
  FileReader reader(tmp.path(), policy);
  ASSERT_TRUE(reader.open()) << reader.error();
  struct Held {
    ByteView data;
    PacketBlock* block;
    size_t index;
  };
  std::vector<Held> held;  // oldest first
  std::vector<const PacketBlock*> seen;
  auto let_go = [&](const Held& h) {
    ASSERT_EQ(Bytes(h.data.begin(), h.data.end()), expected[h.index]) << "record " << h.index;
    ASSERT_GT(h.block->holds, 0u);
    --h.block->holds;
  };
  RawPacket p;
  size_t n = 0, lent = 0;
  while (reader.next(p) == PacketSource::Status::Packet) {
    ASSERT_LT(n, expected.size());
    if (ahead && p.block == nullptr) {
      ASSERT_EQ(Bytes(p.data.begin(), p.data.end()), expected[n]) << "record " << n;
      ++n;
      continue;
    }
    ASSERT_NE(p.block, nullptr);
    ++lent;
    ++p.block->holds;
    held.push_back({p.data, p.block, n++});
    if (std::find(seen.begin(), seen.end(), p.block) == seen.end()) seen.push_back(p.block);
    if (held.size() > window) {
      let_go(held.front());
      held.erase(held.begin());
    }
  }
  EXPECT_TRUE(reader.error().empty()) << reader.error();
  EXPECT_EQ(n, expected.size());
  for (const Held& h : held) let_go(h);
  reader.trim();
  if (ahead) {
    // Held blocks are never more than the thread can spare; most packets are lent
    // while the consumer holds a few.
    EXPECT_LE(seen.size(), policy.lending_blocks);
    if (window <= 20) {
      EXPECT_GT(lent, n * 3 / 4) << "window " << window;
    }
    return;
  }
  // ~90 KB of packets held at a time in 512 KiB blocks, plus the big record's own.
  EXPECT_LE(seen.size(), 8u);
}

TEST(FileReader, LentBlocksKeepTheirBytesWhileHeld) {
  std::vector<Bytes> expected;
  Bytes file = numbered_pcap(3000, expected);  // ~15 MB
  check_lending(file, expected, 20);
  check_lending(file, expected, 1);
}

// Read ahead for a consumer that holds blocks (`sessions --workers`): the read-ahead
// blocks are lent, keep their bytes while held, go back to the thread once let go, and
// a consumer that holds many gets unlent packets rather than a reader and a thread
// waiting for each other (a window of 400 packets is ~2 MB: more than the 8 blocks).
TEST(FileReader, ReadAheadLendsItsBlocksWhenAsked) {
  std::vector<Bytes> expected;
  Bytes file = numbered_pcap(3000, expected);
  for (size_t window : {size_t(1), size_t(20), size_t(400)}) {
    // One thread, and several reading blocks side by side (positional reads).
    for (uint32_t threads : {1u, 3u}) {
      check_lending(file, expected, window,
                    {.mode = ReadAheadPolicy::Mode::On,
                     .lending = true,
                     .lending_blocks = 8,
                     .threads = threads,
                     .block = 64u << 10,
                     .headroom = 16u << 10});
    }
  }
  std::string gz = compress_with_zlib(std::string(file.begin(), file.end()), 31, 1);
  check_lending(Bytes(gz.begin(), gz.end()), expected, 20,
                {.mode = ReadAheadPolicy::Mode::On,
                 .lending = true,
                 .lending_blocks = 8,
                 .block = 64u << 10,
                 .headroom = 16u << 10});
}

TEST(FileReader, LentBlocksOfGzipInput) {
  std::vector<Bytes> expected;
  Bytes file = numbered_pcap(1500, expected);
  std::string gz = compress_with_zlib(std::string(file.begin(), file.end()), 31, 1);
  check_lending(Bytes(gz.begin(), gz.end()), expected, 20);
}

// A record of 3 MiB grows the block past FileReader::kMaxLentBlock: its packets are not
// lent (a consumer holding a few blocks would hold gigabytes with huge records).
TEST(FileReader, BlocksGrownByHugeRecordsAreNotLent) {
  Bytes b = pcap(false, false, 0);
  std::vector<size_t> sizes = {100, 3u << 20, 100, 200};
  for (size_t i = 0; i < sizes.size(); ++i) {
    le32(b, uint32_t(i));
    le32(b, 0);
    le32(b, uint32_t(sizes[i]));
    le32(b, uint32_t(sizes[i]));
    b.insert(b.end(), sizes[i], uint8_t(i));
  }
  TempFile tmp(b);
  FileReader reader(tmp.path(), {.mode = ReadAheadPolicy::Mode::Off});
  ASSERT_TRUE(reader.open());
  RawPacket p;
  ASSERT_EQ(reader.next(p), PacketSource::Status::Packet);
  EXPECT_NE(p.block, nullptr);  // a usual block
  for (size_t i = 1; i < sizes.size(); ++i) {
    ASSERT_EQ(reader.next(p), PacketSource::Status::Packet);
    EXPECT_EQ(p.caplen, sizes[i]);
    EXPECT_EQ(p.data[0], uint8_t(i));
    EXPECT_EQ(p.block, nullptr) << i;  // in the grown block
  }
}

// Nobody holds: one block is reused, however long the file.
TEST(FileReader, UnheldReadingReusesOneBlock) {
  std::vector<Bytes> expected;
  Bytes file = numbered_pcap(600, expected);
  TempFile tmp(file);
  FileReader reader(tmp.path());
  ASSERT_TRUE(reader.open());
  RawPacket p;
  std::vector<const PacketBlock*> seen;
  size_t n = 0;
  while (reader.next(p) == PacketSource::Status::Packet) {
    ASSERT_EQ(Bytes(p.data.begin(), p.data.end()), expected[n++]);
    if (std::find(seen.begin(), seen.end(), p.block) == seen.end()) seen.push_back(p.block);
  }
  EXPECT_EQ(n, expected.size());
  EXPECT_EQ(seen.size(), 1u);
}

// Read ahead on a second thread with blocks far smaller than usual, so records straddle
// blocks, exceed the headroom, and exceed whole blocks: every record, timestamp and
// error must be what the inline reader gives.
std::vector<ReadAheadPolicy> small_read_ahead_policies() {
  using Mode = ReadAheadPolicy::Mode;
  return {{.mode = Mode::On, .block = 64, .headroom = 32, .blocks = 2},
          {.mode = Mode::On, .block = 1000, .headroom = 2000, .blocks = 3},
          {.mode = Mode::On, .block = 7, .headroom = 0, .blocks = 2},
          {.mode = Mode::On, .block = 4096, .headroom = 300, .blocks = 4},
          // Several threads, each reading its blocks at their own offsets (a .gz has
          // one thread whatever is asked).
          {.mode = Mode::On, .threads = 2, .block = 64, .headroom = 32, .blocks = 3},
          {.mode = Mode::On, .threads = 3, .block = 7, .headroom = 0, .blocks = 4},
          {.mode = Mode::On, .threads = 4, .block = 4096, .headroom = 300, .blocks = 8}};
}

void expect_same(const ReadResult& a, const ReadResult& b, const std::string& what) {
  ASSERT_EQ(a.packets.size(), b.packets.size()) << what;
  for (size_t i = 0; i < a.packets.size(); ++i) {
    EXPECT_EQ(a.packets[i].ts, b.packets[i].ts) << what << " #" << i;
    EXPECT_EQ(a.packets[i].caplen, b.packets[i].caplen) << what << " #" << i;
    EXPECT_EQ(a.packets[i].wirelen, b.packets[i].wirelen) << what << " #" << i;
    EXPECT_EQ(a.packets[i].linktype, b.packets[i].linktype) << what << " #" << i;
    EXPECT_EQ(a.data[i], b.data[i]) << what << " #" << i;
  }
  EXPECT_EQ(a.error, b.error) << what;
  // The same message but for the temporary file's name in front.
  auto after_name = [](const std::string& m) { return m.substr(std::min(m.find(": "), m.size())); };
  EXPECT_EQ(after_name(a.message), after_name(b.message)) << what;
}

Bytes pcap_of_varied_sizes(int packets) {
  Bytes b = pcap(false, false, 0);
  uint32_t seed = 12345;
  for (int i = 0; i < packets; ++i) {
    seed = seed * 1103515245 + 12345;
    // Mostly small records, some of a few KiB (beyond the small headrooms and blocks).
    uint32_t len = (seed >> 16) % 7 == 0 ? 1500 + (seed >> 8) % 3000 : (seed >> 8) % 200;
    le32(b, 1000 + i);
    le32(b, uint32_t(i));
    le32(b, len);
    le32(b, len);
    for (uint32_t k = 0; k < len; ++k) b.push_back(uint8_t(i * 31 + k));
  }
  return b;
}

TEST(FileReader, ReadAheadGivesTheInlineReadersRecords) {
  Bytes file = pcap_of_varied_sizes(400);
  ReadResult inline_read = read_all(file, {.mode = ReadAheadPolicy::Mode::Off});
  ASSERT_EQ(inline_read.packets.size(), 400u);
  for (const auto& policy : small_read_ahead_policies()) {
    expect_same(inline_read, read_all(file, policy), "block " + std::to_string(policy.block));
  }
  // Cut inside a record: the same packets, then the same error naming the same offset.
  Bytes cut(file.begin(), file.begin() + ptrdiff_t(file.size() - 700));
  ReadResult inline_cut = read_all(cut, {.mode = ReadAheadPolicy::Mode::Off});
  EXPECT_TRUE(inline_cut.error);
  for (const auto& policy : small_read_ahead_policies()) {
    expect_same(inline_cut, read_all(cut, policy), "cut, block " + std::to_string(policy.block));
  }
}

TEST(FileReader, ReadAheadOnEveryBundledCapture) {
  // pcap, pcapng (several interfaces), gzip'd when present, NetMon (never read ahead).
  for (const char* f : {"pcapng-multi-interface.pcapng", "pcapng-zeek-image.pcapng",
                        "http-get.pcap", "mysql-logins.pcap", "tcp-reassembly.pcap",
                        "sll2-linux_dlt_sll2.pcap", "trunc-ip4-trunc.pcap"}) {
    std::string path = std::string(NETSIFT_EXAMPLES_DIR) + "/" + f;
    ReadResult inline_read = read_path(path, {.mode = ReadAheadPolicy::Mode::Off});
    EXPECT_GT(inline_read.packets.size(), 0u) << f;
    for (const auto& policy : small_read_ahead_policies()) {
      expect_same(inline_read, read_path(path, policy), f);
    }
  }
}

TEST(FileReader, ReadAheadInflatesGzipOnItsThread) {
  Bytes file = pcap_of_varied_sizes(300);
  TempFile plain(file);
  std::string gz = plain.path() + ".gz";
  ASSERT_EQ(std::system(("gzip -c " + plain.path() + " > " + gz).c_str()), 0);
  ReadResult inline_read = read_path(plain.path(), {.mode = ReadAheadPolicy::Mode::Off});
  for (const auto& policy : small_read_ahead_policies()) {
    if (policy.block < 64) continue;  // a thread hand-off per 7 inflated bytes: slow, no new case
    expect_same(inline_read, read_path(gz, policy), "gzip, block " + std::to_string(policy.block));
  }
  // A gzip stream cut short: the error names the inflater's complaint in both modes.
  ASSERT_EQ(std::system(("head -c 2000 " + gz + " > " + gz + ".cut").c_str()), 0);
  ReadResult inline_cut = read_path(gz + ".cut", {.mode = ReadAheadPolicy::Mode::Off});
  EXPECT_TRUE(inline_cut.error);
  EXPECT_NE(inline_cut.message.find("gzip data ends early"), std::string::npos)
      << inline_cut.message;
  for (const auto& policy : small_read_ahead_policies()) {
    if (policy.block < 64) continue;  // a thread hand-off per 7 inflated bytes: slow, no new case
    expect_same(inline_cut, read_path(gz + ".cut", policy),
                "gzip cut, block " + std::to_string(policy.block));
  }
  std::remove(gz.c_str());
  std::remove((gz + ".cut").c_str());
}

TEST(FileReader, ReadAheadLendsNoBlock) {
  Bytes file = pcap_of_varied_sizes(300);
  TempFile tmp(file);
  FileReader reader(tmp.path(), {.mode = ReadAheadPolicy::Mode::On, .block = 4096});
  ASSERT_TRUE(reader.open());
  RawPacket p;
  size_t n = 0;
  while (reader.next(p) == PacketSource::Status::Packet) {
    EXPECT_EQ(p.block, nullptr);  // a consumer that keeps packets must copy them
    ++n;
  }
  EXPECT_EQ(n, 300u);
}

size_t threads_of_this_process() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Files given together are opened together: only the one being read has a thread (and
// its blocks), from its first packet to its end.
TEST(FileReader, ReadAheadLivesFromTheFirstPacketToTheEnd) {
  // Larger than the first read of open() (256 KiB): the thread has work to wait on.
  Bytes file = pcap_of_varied_sizes(3000);
  TempFile tmp(file);
  const size_t before = threads_of_this_process();
  std::vector<std::unique_ptr<FileReader>> readers;
  for (int i = 0; i < 5; ++i) {
    readers.push_back(std::make_unique<FileReader>(
        tmp.path(), ReadAheadPolicy{.mode = ReadAheadPolicy::Mode::On, .block = 4096}));
    ASSERT_TRUE(readers.back()->open());
  }
  EXPECT_EQ(threads_of_this_process(), before);
  RawPacket p;
  ASSERT_EQ(readers[0]->next(p), PacketSource::Status::Packet);
  EXPECT_EQ(threads_of_this_process(), before + 1);
  size_t n = 1;
  while (readers[0]->next(p) == PacketSource::Status::Packet) ++n;
  EXPECT_EQ(n, 3000u);
  EXPECT_EQ(threads_of_this_process(), before);  // ended: joined and freed
}

// A consumer done with a file midway (-c, an error, a stop) calls trim(): the read-ahead
// thread ends at once, and the blocks it still holds keep their bytes until let go.
TEST(FileReader, TrimStopsReadingAheadAndKeepsHeldBlocks) {
  std::vector<Bytes> expected;
  Bytes file = numbered_pcap(3000, expected);
  TempFile tmp(file);
  const size_t before = threads_of_this_process();
  FileReader reader(tmp.path(), {.mode = ReadAheadPolicy::Mode::On,
                                 .lending = true,
                                 .lending_blocks = 8,
                                 .block = 64u << 10,
                                 .headroom = 16u << 10});
  ASSERT_TRUE(reader.open());
  RawPacket p;
  std::vector<std::pair<RawPacket, size_t>> held;
  for (size_t i = 0; i < 200; ++i) {
    ASSERT_EQ(reader.next(p), PacketSource::Status::Packet);
    if (p.block && held.size() < 20) {
      ++p.block->holds;
      held.emplace_back(p, i);
    }
  }
  ASSERT_FALSE(held.empty());
  EXPECT_EQ(threads_of_this_process(), before + 1);
  reader.trim();
  EXPECT_EQ(threads_of_this_process(), before);  // the thread has ended
  for (auto& [packet, index] : held) {
    EXPECT_EQ(Bytes(packet.data.begin(), packet.data.end()), expected[index]) << index;
    --packet.block->holds;
  }
  reader.trim();  // now every block goes
  EXPECT_EQ(reader.next(p), PacketSource::Status::End);
}

TEST(FileReader, ReadAheadStopsCleanlyWhenTheReaderIsDroppedEarly) {
  Bytes file = pcap_of_varied_sizes(2000);
  TempFile tmp(file);
  for (int i = 0; i < 50; ++i) {
    FileReader reader(
        tmp.path(), {.mode = ReadAheadPolicy::Mode::On, .block = 256, .headroom = 64, .blocks = 2});
    ASSERT_TRUE(reader.open());
    RawPacket p;
    for (int k = 0; k < i; ++k) ASSERT_EQ(reader.next(p), PacketSource::Status::Packet);
  }  // each destructor stops its thread, which may be waiting for a free block
}

}  // namespace
}  // namespace netsift
