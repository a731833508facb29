#include "flow/ip_defrag.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "packet_builder.h"

namespace netsift {
namespace {

using test::Bytes;

// IPv4 fragment carrying payload[off, off+len) of a UDP datagram (header included).
Bytes fragment(const Bytes& datagram, size_t off, size_t len, bool more, uint16_t id = 7) {
  uint16_t frag = uint16_t((more ? 0x2000 : 0) | (off / 8));
  Bytes b = test::ethernet(0x0800);
  Bytes ip = test::ipv4(17, len, {}, frag);
  ip[4] = uint8_t(id >> 8);
  ip[5] = uint8_t(id);
  ip[10] = ip[11] = 0;
  uint16_t c = test::checksum(ip.data(), ip.size());
  ip[10] = uint8_t(c >> 8);
  ip[11] = uint8_t(c);
  test::append(b, ip);
  b.insert(b.end(), datagram.begin() + long(off), datagram.begin() + long(off + len));
  return b;
}

Bytes udp_datagram(size_t payload) {
  Bytes d = test::udp(1234, 53, payload);
  for (size_t i = 0; i < payload; ++i) d.push_back(uint8_t(i * 13));
  return d;
}

struct DefragRun {
  Decoder decoder;
  IpDefragmenter defrag{DefragConfig{}, decoder};
  std::vector<RawPacket> raws;
  std::vector<Bytes> frames;

  IpDefragmenter::Result feed(const Bytes& frame, PacketView& out, TimestampNs ts = 0) {
    frames.push_back(frame);
    RawPacket raw;
    raw.data = ByteView(frames.back().data(), frames.back().size());
    raw.caplen = raw.wirelen = uint32_t(frame.size());
    raw.linktype = linktype::kEthernet;
    raw.ts = ts;
    PacketView v;
    decoder.decode(raw, v);
    return defrag.add(v, out);
  }
};

TEST(IpDefrag, ReassemblesInAnyOrder) {
  Bytes d = udp_datagram(3000 - 8);
  std::vector<Bytes> frags;
  for (size_t off = 0; off < d.size(); off += 1000) {
    frags.push_back(
        fragment(d, off, std::min<size_t>(1000, d.size() - off), off + 1000 < d.size()));
  }
  std::mt19937 rng(1);
  for (int round = 0; round < 6; ++round) {
    std::shuffle(frags.begin(), frags.end(), rng);
    DefragRun run;
    PacketView out;
    int complete = 0;
    for (auto& f : frags) complete += run.feed(f, out) == IpDefragmenter::Result::Complete;
    ASSERT_EQ(complete, 1);
    EXPECT_EQ(out.l4, L4::Udp);
    EXPECT_EQ(out.dst_port, 53);
    EXPECT_EQ(out.payload_len, 3000u - 8);
    EXPECT_EQ(out.problem_count, 0);
    EXPECT_TRUE(std::equal(d.begin() + 8, d.end(), out.payload().begin()));
    EXPECT_EQ(run.defrag.pending(), 0u);
  }
}

TEST(IpDefrag, ConflictingOverlapKeepsFirstAndCounts) {
  Bytes d = udp_datagram(24 - 8);
  Bytes other = d;
  for (size_t i = 16; i < 24; ++i) other[i] ^= 0xff;
  DefragRun run;
  PacketView out;
  run.feed(fragment(d, 0, 16, true), out);
  run.feed(fragment(d, 8, 16, false), out);  // overlaps bytes 8..15 with the same data
  EXPECT_EQ(run.defrag.stats().reassembled, 1u);
  DefragRun conflict;
  conflict.feed(fragment(d, 8, 16, true), out);
  conflict.feed(fragment(other, 16, 8, false), out);  // differs from what arrived first
  auto r = conflict.feed(fragment(d, 0, 8, true), out);
  EXPECT_EQ(r, IpDefragmenter::Result::Complete);
  EXPECT_EQ(conflict.defrag.stats().conflicting_overlaps, 1u);
  EXPECT_TRUE(std::equal(d.begin() + 8, d.end(), out.payload().begin()));
}

TEST(IpDefrag, IncompleteDatagramsTimeOutAndCapsHold) {
  Decoder decoder;
  DefragConfig config;
  config.max_datagrams = 10;
  IpDefragmenter defrag(config, decoder);
  std::vector<Bytes> frames;
  Bytes d = udp_datagram(100);
  for (uint16_t id = 0; id < 50; ++id) {
    frames.push_back(fragment(d, 0, 16, true, id));
    RawPacket raw;
    raw.data = ByteView(frames.back().data(), frames.back().size());
    raw.caplen = raw.wirelen = uint32_t(frames.back().size());
    raw.linktype = linktype::kEthernet;
    raw.ts = id * kNsPerSec;
    PacketView v, out;
    decoder.decode(raw, v);
    EXPECT_EQ(defrag.add(v, out), IpDefragmenter::Result::Held);
    EXPECT_LE(defrag.pending(), 10u);
  }
  EXPECT_EQ(defrag.stats().cap_dropped, 40u);
  defrag.expire(1000 * kNsPerSec);
  EXPECT_EQ(defrag.pending(), 0u);
  EXPECT_EQ(defrag.stats().timed_out, 10u);
}

}  // namespace
}  // namespace netsift
