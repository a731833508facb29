#include "decode/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/ip_address.h"
#include "packet_builder.h"

namespace netsift {
namespace {

using test::Bytes;

// Owns the frame and keeps the view's pointers valid: handed out by unique_ptr so that
// nothing moves after decoding.
struct Decoded {
  Bytes bytes;
  RawPacket raw;
  PacketView view;
};

std::unique_ptr<Decoded> decode(const Bytes& bytes, uint16_t linktype = linktype::kEthernet,
                                DecoderOptions options = {}, uint32_t wirelen = 0) {
  auto d = std::make_unique<Decoded>();
  d->bytes = bytes;
  d->raw.data = ByteView(d->bytes.data(), d->bytes.size());
  d->raw.caplen = uint32_t(bytes.size());
  d->raw.wirelen = wirelen ? wirelen : uint32_t(bytes.size());
  d->raw.linktype = linktype;
  Decoder(options).decode(d->raw, d->view);
  return d;
}

bool has_problem(const PacketView& v, Problem p) {
  return std::find(v.problems.begin(), v.problems.begin() + v.stored_problems(), p) !=
         v.problems.begin() + v.stored_problems();
}

Bytes tcp_frame(const std::string& payload, const Bytes& options = {}) {
  Bytes seg = test::tcp(40000, 80, 1000, 2000, 0x18, options);
  Bytes b = test::ethernet(0x0800);
  test::append(b, test::ipv4(6, seg.size() + payload.size()));
  test::append(b, seg);
  test::append(b, payload);
  return b;
}

TEST(Decoder, EthernetIpv4TcpWithOptions) {
  Bytes opts = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  auto dp = decode(tcp_frame("GET / HTTP/1.1\r\n", opts));
  auto& d = *dp;
  const PacketView& v = d.view;
  EXPECT_EQ(v.problem_count, 0);
  ASSERT_EQ(v.l3, L3::Ipv4);
  EXPECT_EQ(to_string(v.src_ip), "10.0.0.1");
  EXPECT_EQ(to_string(v.dst_ip), "10.0.0.2");
  EXPECT_EQ(v.ttl, 64);
  EXPECT_EQ(v.ip_checksum, ChecksumStatus::Good);
  ASSERT_EQ(v.l4, L4::Tcp);
  EXPECT_EQ(v.src_port, 40000);
  EXPECT_EQ(v.dst_port, 80);
  EXPECT_EQ(v.tcp_seq, 1000u);
  EXPECT_EQ(v.tcp_ack, 2000u);
  EXPECT_EQ(v.tcp_flags, tcp_flag::kPsh | tcp_flag::kAck);
  EXPECT_EQ(v.tcp_window, 512);
  EXPECT_EQ(v.tcp_mss, 1460);
  EXPECT_EQ(v.tcp_wscale, 7);
  EXPECT_TRUE(v.tcp_sack_permitted);
  EXPECT_TRUE(v.tcp_has_timestamps);
  EXPECT_EQ(v.tcp_ts_val, 1u);
  EXPECT_EQ(v.tcp_ts_ecr, 2u);
  EXPECT_EQ(as_chars(v.payload()), "GET / HTTP/1.1\r\n");
  EXPECT_EQ(v.payload_wire_len, 16u);
}

TEST(Decoder, BadIpv4ChecksumIsFlaggedNotDropped) {
  Bytes b = tcp_frame("x");
  b[14 + 10] ^= 0xff;
  auto dp = decode(b);
  auto& d = *dp;
  EXPECT_EQ(d.view.ip_checksum, ChecksumStatus::Bad);
  EXPECT_TRUE(has_problem(d.view, Problem::Ipv4BadChecksum));
  EXPECT_EQ(d.view.l4, L4::Tcp);
  EXPECT_EQ(d.view.payload_len, 1u);
}

// The header checksum is summed in 32-bit words as they lie in memory: it must agree
// with RFC 1071's big-endian 16-bit sum for every header length (options included),
// and a flip of any single bit must be caught.
TEST(Decoder, Ipv4HeaderChecksumEveryLengthAndEveryBitFlip) {
  std::mt19937 rng(11);
  for (uint32_t words = 5; words <= 15; ++words) {
    for (int round = 0; round < 20; ++round) {
      Bytes b = test::ethernet(0x0800);
      Bytes ip(words * 4);
      for (auto& x : ip) x = uint8_t(rng());
      ip[0] = uint8_t(0x40 | words);
      ip[2] = 0;
      ip[3] = uint8_t(words * 4 + 8);  // total length: the header and 8 bytes
      ip[6] = ip[7] = 0;               // not a fragment
      ip[9] = 17;
      for (size_t i = 20; i < ip.size(); ++i) ip[i] = 1;  // options: no-operation
      ip[10] = ip[11] = 0;
      uint32_t sum = 0;
      for (size_t i = 0; i < ip.size(); i += 2) sum += uint32_t(ip[i] << 8 | ip[i + 1]);
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      ip[10] = uint8_t(~sum >> 8);
      ip[11] = uint8_t(~sum);
      test::append(b, ip);
      test::append(b, Bytes(8, 0));
      ASSERT_EQ(decode(b)->view.ip_checksum, ChecksumStatus::Good) << words;
      size_t bit = 8 + rng() % (ip.size() * 8 - 8);  // not version and length
      b[14 + bit / 8] ^= uint8_t(1u << (bit % 8));
      EXPECT_EQ(decode(b)->view.ip_checksum, ChecksumStatus::Bad) << words << " bit " << bit;
    }
  }
}

TEST(Decoder, TcpChecksumVerifiedOnRequest) {
  Bytes b = tcp_frame("hello");
  auto unchecked_p = decode(b);
  auto& unchecked = *unchecked_p;
  EXPECT_EQ(unchecked.view.l4_checksum, ChecksumStatus::NotChecked);
  auto checked_p = decode(b, linktype::kEthernet, DecoderOptions{true});
  auto& checked = *checked_p;
  EXPECT_EQ(checked.view.l4_checksum, ChecksumStatus::Bad);  // builder leaves it 0
  EXPECT_TRUE(has_problem(checked.view, Problem::TcpBadChecksum));
}

TEST(Decoder, VlanStackAndEthernetPadding) {
  Bytes b = test::ethernet(0x88a8);
  test::put16(b, 100);
  test::put16(b, 0x8100);
  test::put16(b, 200);
  test::put16(b, 0x0800);
  Bytes u = test::udp(53, 5353, 2);
  test::append(b, test::ipv4(17, u.size() + 2));
  test::append(b, u);
  test::append(b, std::string("ok"));
  b.resize(b.size() + 10, 0);  // Ethernet trailer must not count as payload
  auto dp = decode(b);
  auto& d = *dp;
  EXPECT_EQ(d.view.vlan_count, 2);
  EXPECT_EQ(d.view.vlans[0], 100);
  EXPECT_EQ(d.view.vlans[1], 200);
  ASSERT_EQ(d.view.l4, L4::Udp);
  EXPECT_EQ(as_chars(d.view.payload()), "ok");
  EXPECT_EQ(d.view.problem_count, 0);
}

// IEEE 802.3 frames carry a length where Ethernet II has a type: an LLC header follows.
// Only SNAP with OUI 0 (RFC 1042) or 00-00-f8 (802.1H) carries an Ethernet type; STP,
// and SNAP with a vendor's OUI (Cisco PVST+, CDP), are LLC frames named by their SAPs,
// not "type 0" (untagged) or "type 0x010b" (the PID of a tagged PVST+ frame).
TEST(Decoder, Ieee8023LlcAndSnap) {
  Bytes stp = test::ethernet(38);
  test::append(stp, Bytes{0x42, 0x42, 0x03, 0, 0, 0});
  stp.resize(60, 0);
  auto d = decode(stp);
  EXPECT_TRUE(d->view.llc);
  EXPECT_EQ(d->view.llc_dsap, 0x42);
  EXPECT_EQ(d->view.llc_ssap, 0x42);
  EXPECT_EQ(d->view.ethertype, 0);
  EXPECT_EQ(d->view.l3, L3::Other);
  EXPECT_EQ(d->view.problem_count, 0);

  Bytes pvst = test::ethernet(0x8100);
  test::put16(pvst, 1213);
  test::put16(pvst, 50);
  test::append(pvst, Bytes{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x01, 0x0b});
  pvst.resize(68, 0);
  d = decode(pvst);
  EXPECT_EQ(d->view.vlan_count, 1);
  EXPECT_EQ(d->view.vlans[0], 1213);
  EXPECT_TRUE(d->view.llc);
  EXPECT_EQ(d->view.llc_dsap, 0xaa);
  EXPECT_EQ(d->view.ethertype, 0);
  EXPECT_EQ(d->view.l3, L3::Other);

  for (uint8_t oui_low : {uint8_t(0x00), uint8_t(0xf8)}) {
    for (bool tagged : {false, true}) {
      Bytes u = test::udp(53, 5353, 2);
      Bytes ip = test::ipv4(17, u.size() + 2);
      Bytes b = test::ethernet(tagged ? 0x8100 : uint16_t(8 + ip.size() + u.size() + 2));
      if (tagged) {
        test::put16(b, 7);
        test::put16(b, uint16_t(8 + ip.size() + u.size() + 2));
      }
      test::append(b, Bytes{0xaa, 0xaa, 0x03, 0x00, 0x00, oui_low, 0x08, 0x00});
      test::append(b, ip);
      test::append(b, u);
      test::append(b, std::string("ok"));
      d = decode(b);
      EXPECT_FALSE(d->view.llc);
      EXPECT_EQ(d->view.ethertype, 0x0800);
      ASSERT_EQ(d->view.l4, L4::Udp) << int(oui_low) << tagged;
      EXPECT_EQ(as_chars(d->view.payload()), "ok");
      EXPECT_EQ(d->view.vlan_count, tagged ? 1 : 0);
    }
  }

  Bytes cut = test::ethernet(0x8100);
  test::put16(cut, 5);
  test::put16(cut, 40);
  test::append(cut, Bytes{0xaa, 0xaa});
  d = decode(cut);
  EXPECT_TRUE(has_problem(d->view, Problem::LlcTruncated));
  EXPECT_FALSE(d->view.llc);
}

TEST(Decoder, MplsAndPppoe) {
  Bytes b = test::ethernet(0x8847);
  test::put32(b, (16u << 12) | 0x000);       // label 16
  test::put32(b, (17u << 12) | 0x100 | 64);  // label 17, bottom of stack
  Bytes u = test::udp(1, 2, 0);
  test::append(b, test::ipv4(17, u.size()));
  test::append(b, u);
  auto dp = decode(b);
  auto& d = *dp;
  EXPECT_EQ(d.view.mpls_count, 2);
  EXPECT_EQ(d.view.l4, L4::Udp);

  Bytes p = test::ethernet(0x8864);
  test::append(p, Bytes{0x11, 0x00, 0x00, 0x01});
  test::put16(p, 2 + 28);
  test::put16(p, 0x0021);
  test::append(p, test::ipv4(17, u.size()));
  test::append(p, u);
  auto ep = decode(p);
  auto& e = *ep;
  EXPECT_TRUE(e.view.pppoe);
  EXPECT_EQ(e.view.l4, L4::Udp);
}

TEST(Decoder, LinuxCookedAndNullAndRaw) {
  Bytes u = test::udp(1, 2, 0);
  Bytes ip = test::ipv4(17, u.size());
  test::append(ip, u);

  Bytes sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  test::append(sll, ip);
  EXPECT_EQ(decode(sll, linktype::kLinuxSll)->view.l4, L4::Udp);
  EXPECT_TRUE(decode(sll, linktype::kLinuxSll)->view.has_macs);

  Bytes sll2 = {0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  test::append(sll2, ip);
  EXPECT_EQ(decode(sll2, linktype::kLinuxSll2)->view.l4, L4::Udp);

  Bytes null_le = {2, 0, 0, 0};
  test::append(null_le, ip);
  EXPECT_EQ(decode(null_le, linktype::kNull)->view.l4, L4::Udp);
  Bytes null_be = {0, 0, 0, 2};
  test::append(null_be, ip);
  EXPECT_EQ(decode(null_be, linktype::kNull)->view.l4, L4::Udp);
  Bytes loop = {0, 0, 0, 2};
  test::append(loop, ip);
  EXPECT_EQ(decode(loop, linktype::kLoop)->view.l4, L4::Udp);

  for (uint16_t lt :
       {linktype::kRaw, linktype::kRawOpenBsd, linktype::kRawBsdOs, linktype::kIpv4}) {
    EXPECT_EQ(decode(ip, lt)->view.l4, L4::Udp) << lt;
  }
}

TEST(Decoder, Nflog) {
  Bytes u = test::udp(1, 2, 0);
  Bytes ip = test::ipv4(17, u.size());
  test::append(ip, u);
  Bytes b = {2, 0, 0, 0};
  // a prefix TLV (type 10) with padding, then the payload TLV (type 9)
  Bytes prefix = {8, 0, 10, 0, 'a', 'b', 'c', 0};
  test::append(b, prefix);
  uint16_t len = uint16_t(4 + ip.size());
  b.push_back(uint8_t(len));
  b.push_back(uint8_t(len >> 8));
  b.push_back(9);
  b.push_back(0);
  test::append(b, ip);
  auto dp = decode(b, linktype::kNflog);
  auto& d = *dp;
  EXPECT_EQ(d.view.l4, L4::Udp);
  EXPECT_EQ(d.view.problem_count, 0);
}

TEST(Decoder, Arp) {
  Bytes b = test::ethernet(0x0806);
  test::append(b, Bytes{0,  1, 8, 0, 6, 4, 0, 1, 1, 2, 3,  4, 5, 6,
                        10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2});
  auto dp = decode(b);
  auto& d = *dp;
  EXPECT_EQ(d.view.l3, L3::Arp);
  EXPECT_EQ(d.view.arp_op, 1);
  EXPECT_EQ(to_string(d.view.src_ip), "10.0.0.1");
  EXPECT_EQ(to_string(d.view.dst_ip), "10.0.0.2");
}

TEST(Decoder, Ipv6ExtensionHeadersAndFragment) {
  Bytes u = test::udp(1000, 53, 3);
  Bytes ext;
  // hop-by-hop (8 bytes) -> destination options (8) -> fragment (8) -> UDP
  test::append(ext, Bytes{60, 0, 1, 4, 0, 0, 0, 0});
  test::append(ext, Bytes{44, 0, 1, 4, 0, 0, 0, 0});
  test::append(ext, Bytes{17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef});  // offset 0, M=1
  Bytes b = test::ethernet(0x86dd);
  test::append(b, test::ipv6(0, ext.size() + u.size() + 3));
  test::append(b, ext);
  test::append(b, u);
  test::append(b, std::string("abc"));
  auto dp = decode(b);
  auto& d = *dp;
  ASSERT_EQ(d.view.l3, L3::Ipv6);
  EXPECT_EQ(d.view.ip_proto, 17);
  EXPECT_TRUE(d.view.fragment);
  EXPECT_TRUE(d.view.more_fragments);
  EXPECT_EQ(d.view.frag_id, 0xdeadbeefu);
  EXPECT_EQ(d.view.l4, L4::Udp);
  EXPECT_EQ(d.view.dst_port, 53);
  EXPECT_EQ(to_string(d.view.src_ip), "2001::1");
}

TEST(Decoder, Ipv6InIpv4TunnelReportsInnerPacketAndOuterAddresses) {
  Bytes seg = test::tcp(1026, 21, 5, 0, 0x02);
  Bytes inner = test::ipv6(6, seg.size());
  test::append(inner, seg);
  Bytes b = test::ethernet(0x0800);
  test::append(b, test::ipv4(41, inner.size()));
  test::append(b, inner);
  auto dp = decode(b);
  auto& d = *dp;
  ASSERT_EQ(d.view.l3, L3::Ipv6);
  EXPECT_TRUE(d.view.tunneled);
  EXPECT_EQ(to_string(d.view.outer_src_ip), "10.0.0.1");
  EXPECT_EQ(to_string(d.view.src_ip), "2001::1");
  EXPECT_EQ(d.view.l4, L4::Tcp);
  EXPECT_EQ(d.view.dst_port, 21);
  EXPECT_EQ(d.view.problem_count, 0);
}

TEST(Decoder, Ipv4LaterFragmentHasNoTransportHeader) {
  Bytes b = test::ethernet(0x0800);
  test::append(b, test::ipv4(17, 16, {}, 0x0002 /* offset 16 bytes */));
  b.resize(b.size() + 16, 0xab);
  auto dp = decode(b);
  auto& d = *dp;
  EXPECT_TRUE(d.view.fragment);
  EXPECT_EQ(d.view.frag_offset, 16u);
  EXPECT_EQ(d.view.l4, L4::None);
  EXPECT_EQ(d.view.payload_len, 16u);
}

TEST(Decoder, IcmpUnreachableQuotesInnerHeader) {
  Bytes inner_udp = test::udp(53, 33000, 0);
  Bytes inner = test::ipv4(17, inner_udp.size());
  test::append(inner, inner_udp);
  Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
  test::append(icmp, inner);
  Bytes b = test::ethernet(0x0800);
  test::append(b, test::ipv4(1, icmp.size()));
  test::append(b, icmp);
  auto dp = decode(b);
  auto& d = *dp;
  ASSERT_EQ(d.view.l4, L4::Icmp);
  EXPECT_EQ(d.view.icmp_type, 3);
  EXPECT_EQ(d.view.icmp_code, 3);
  ASSERT_TRUE(d.view.quoted.present);
  EXPECT_EQ(d.view.quoted.proto, 17);
  EXPECT_EQ(d.view.quoted.src_port, 53);
  EXPECT_EQ(d.view.quoted.dst_port, 33000);
  EXPECT_EQ(to_string(d.view.quoted.dst_ip), "10.0.0.2");
}

TEST(Decoder, Icmp6EchoAndNeighborSolicitation) {
  Bytes echo = {128, 0, 0, 0, 0x12, 0x34, 0, 7};
  Bytes b = test::ethernet(0x86dd);
  test::append(b, test::ipv6(58, echo.size()));
  test::append(b, echo);
  auto dp = decode(b);
  auto& d = *dp;
  ASSERT_EQ(d.view.l4, L4::Icmp6);
  EXPECT_TRUE(d.view.icmp_has_echo);
  EXPECT_EQ(d.view.icmp_id, 0x1234);
  EXPECT_EQ(d.view.icmp_seq, 7);

  Bytes ns = {135, 0, 0, 0, 0, 0, 0, 0};
  Bytes target(16, 0);
  target[0] = 0xfe;
  target[1] = 0x80;
  target[15] = 9;
  test::append(ns, target);
  Bytes n = test::ethernet(0x86dd);
  test::append(n, test::ipv6(58, ns.size(), 255));
  test::append(n, ns);
  auto ep = decode(n);
  auto& e = *ep;
  EXPECT_TRUE(e.view.icmp_has_target);
  EXPECT_EQ(to_string(e.view.icmp_target), "fe80::9");
}

TEST(Decoder, TruncatedHeadersAreNamed) {
  Bytes full = tcp_frame("");
  EXPECT_TRUE(has_problem(decode(Bytes(full.begin(), full.begin() + 10))->view,
                          Problem::EthernetTruncated));
  EXPECT_TRUE(
      has_problem(decode(Bytes(full.begin(), full.begin() + 20))->view, Problem::Ipv4Truncated));
  EXPECT_TRUE(has_problem(decode(Bytes(full.begin(), full.begin() + 40))->view,
                          Problem::Ipv4TruncatedPayload));
  // A snaplen-cut capture names the capture, not the packet, as the culprit.
  Bytes cut(full.begin(), full.begin() + 40);
  EXPECT_TRUE(has_problem(decode(cut, linktype::kEthernet, {}, uint32_t(full.size()))->view,
                          Problem::CaptureTruncated));
  Bytes bad = full;
  bad[14] = 0x43;  // IHL 3
  EXPECT_TRUE(has_problem(decode(bad)->view, Problem::Ipv4BadHeaderLength));
  Bytes bad_tcp = full;
  bad_tcp[14 + 20 + 12] = 0x30;  // data offset 3
  EXPECT_TRUE(has_problem(decode(bad_tcp)->view, Problem::TcpBadHeaderLength));
}

// Every prefix of every kind of frame decodes without crashing and, when shorter than
// the full frame, names at least one problem.
TEST(Decoder, EveryTruncationIsSafeAndReported) {
  std::vector<std::pair<Bytes, uint16_t>> frames;
  frames.push_back({tcp_frame("payload", {2, 4, 5, 0xb4, 1, 1, 4, 2}), linktype::kEthernet});
  {
    Bytes inner_udp = test::udp(53, 33000, 0);
    Bytes inner = test::ipv4(17, inner_udp.size());
    test::append(inner, inner_udp);
    Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
    test::append(icmp, inner);
    Bytes b = test::ethernet(0x0800);
    test::append(b, test::ipv4(1, icmp.size()));
    test::append(b, icmp);
    frames.push_back({b, linktype::kEthernet});
  }
  {
    Bytes u = test::udp(1000, 53, 0);
    Bytes ext = {44, 0, 0, 0, 0, 0, 0, 1};
    ext[0] = 17;
    Bytes b = test::ethernet(0x86dd);
    test::append(b, test::ipv6(44, ext.size() + u.size()));
    test::append(b, ext);
    test::append(b, u);
    frames.push_back({b, linktype::kEthernet});
  }
  for (auto& [frame, lt] : frames) {
    for (size_t n = 0; n < frame.size(); ++n) {
      Bytes prefix(frame.begin(), frame.begin() + long(n));
      auto dp = decode(prefix, lt);
      auto& d = *dp;
      EXPECT_GT(d.view.problem_count, 0) << "prefix " << n << " of " << frame.size();
    }
    EXPECT_EQ(decode(frame, lt)->view.problem_count, 0);
  }
}

// Each frame cut at every length names the problem of the layer the cut falls in.
// Outer Ethernet + IPv4 (10.0.0.1 -> 10.0.0.2) around `tunnel`, for the tunnel tests.
Bytes outer_ipv4(uint8_t proto, const Bytes& tunnel) {
  Bytes b = test::ethernet(0x0800);
  test::append(b, test::ipv4(proto, tunnel.size()));
  test::append(b, tunnel);
  return b;
}

// A UDP datagram to `port` carrying `payload` (checksum 0: not computed).
Bytes udp_with(uint16_t port, const Bytes& payload) {
  Bytes u = test::udp(40000, port, payload.size());
  test::append(u, payload);
  return u;
}

// Inner Ethernet + IPv6 + TCP 1026 -> 22.
Bytes bridged_ipv6_tcp() {
  Bytes seg = test::tcp(1026, 22, 7, 0, 0x02);
  Bytes b = test::ethernet(0x86dd);
  test::append(b, test::ipv6(6, seg.size()));
  test::append(b, seg);
  return b;
}

TEST(Decoder, GreWithKeyCarriesIpv4) {
  Bytes seg = test::tcp(5000, 80, 1, 0, 0x02);
  Bytes inner = test::ipv4(6, seg.size());
  test::append(inner, seg);
  Bytes gre = {0x20, 0x00, 0x08, 0x00};  // key present, IPv4
  test::put32(gre, 40);
  test::append(gre, inner);
  auto dp = decode(outer_ipv4(47, gre));
  const PacketView& v = dp->view;
  EXPECT_EQ(v.problem_count, 0);
  EXPECT_TRUE(v.tunneled);
  EXPECT_EQ(v.tunnel_kind, TunnelKind::Gre);
  EXPECT_TRUE(v.has_tunnel_id);
  EXPECT_EQ(v.tunnel_id, 40u);
  EXPECT_EQ(v.l4, L4::Tcp);
  EXPECT_EQ(v.dst_port, 80);
  EXPECT_EQ(to_string(v.outer_src_ip), "10.0.0.1");
}

TEST(Decoder, ErspanTypeIIAndIIIBridgeEthernetFrames) {
  Bytes ii = {0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1};              // sequence present, ERSPAN
  test::append(ii, Bytes{0x10, 0x01, 0x00, 0x65, 0, 0, 0, 0});  // version 1, session 0x65
  test::append(ii, bridged_ipv6_tcp());
  auto dp = decode(outer_ipv4(47, ii));
  EXPECT_EQ(dp->view.problem_count, 0);
  EXPECT_EQ(dp->view.tunnel_kind, TunnelKind::Erspan);
  EXPECT_EQ(dp->view.tunnel_id, 0x65u);
  EXPECT_EQ(dp->view.l3, L3::Ipv6);
  EXPECT_EQ(dp->view.dst_port, 22);

  Bytes iii = {0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1};
  Bytes header(12, 0);
  header[0] = 0x20;  // version 2
  header[3] = 0x07;  // session 7; frame type 0 (Ethernet), no optional subheader
  test::append(iii, header);
  test::append(iii, bridged_ipv6_tcp());
  dp = decode(outer_ipv4(47, iii));
  EXPECT_EQ(dp->view.problem_count, 0);
  EXPECT_EQ(dp->view.tunnel_id, 7u);
  EXPECT_EQ(dp->view.dst_port, 22);

  iii[8 + 10] = 7 << 2;  // frame type 7: not followed, stays GRE payload
  dp = decode(outer_ipv4(47, iii));
  EXPECT_FALSE(dp->view.tunneled);
  EXPECT_EQ(dp->view.l4, L4::Other);
}

TEST(Decoder, GreVersion1AndRoutingAreNamedNotFollowed) {
  Bytes pptp = {0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 5, 0, 0, 0, 1};
  auto dp = decode(outer_ipv4(47, pptp));
  EXPECT_TRUE(has_problem(dp->view, Problem::GreUnsupported));
  EXPECT_FALSE(dp->view.tunneled);
  EXPECT_EQ(dp->view.src_ip, IpAddress::v4(Bytes{10, 0, 0, 1}.data()));
}

TEST(Decoder, VxlanCarryingArpClearsTheOuterTransport) {
  Bytes vx = {0x08, 0, 0, 0, 0, 0, 100, 0};  // VNI 100
  Bytes inner = test::ethernet(0x0806);
  test::append(inner, Bytes{0,   1,   8, 0, 6, 4, 0, 1, 1, 2, 3,   4,   5, 6,
                            192, 168, 0, 1, 0, 0, 0, 0, 0, 0, 192, 168, 0, 2});
  test::append(vx, inner);
  auto dp = decode(outer_ipv4(17, udp_with(4789, vx)));
  const PacketView& v = dp->view;
  EXPECT_EQ(v.problem_count, 0);
  EXPECT_EQ(v.tunnel_kind, TunnelKind::Vxlan);
  EXPECT_EQ(v.tunnel_id, 100u);
  EXPECT_EQ(v.l3, L3::Arp);
  EXPECT_EQ(v.l4, L4::None);
  EXPECT_FALSE(v.has_ports);
  EXPECT_EQ(to_string(v.src_ip), "192.168.0.1");
  EXPECT_EQ(to_string(v.outer_dst_ip), "10.0.0.2");

  vx[0] = 0;  // no VNI flag: plain UDP on port 4789
  dp = decode(outer_ipv4(17, udp_with(4789, vx)));
  EXPECT_FALSE(dp->view.tunneled);
  EXPECT_EQ(dp->view.l4, L4::Udp);
  EXPECT_EQ(dp->view.dst_port, 4789);
}

TEST(Decoder, GeneveWithOptionsCarriesEthernet) {
  Bytes gen = {0x01, 0x00, 0x65, 0x58, 0, 0, 11, 0};  // 1 option word, Ethernet, VNI 11
  test::append(gen, Bytes{0x01, 0x02, 0x03, 0x04});
  test::append(gen, bridged_ipv6_tcp());
  auto dp = decode(outer_ipv4(17, udp_with(6081, gen)));
  EXPECT_EQ(dp->view.problem_count, 0);
  EXPECT_EQ(dp->view.tunnel_kind, TunnelKind::Geneve);
  EXPECT_EQ(dp->view.tunnel_id, 11u);
  EXPECT_EQ(dp->view.src_port, 1026);
}

TEST(Decoder, NestedTunnelsStopAtTheLimit) {
  Bytes pkt = bridged_ipv6_tcp();
  for (int i = 0; i < 8; ++i) {
    Bytes vx = {0x08, 0, 0, 0, 0, 0, uint8_t(i), 0};
    test::append(vx, outer_ipv4(17, udp_with(4789, pkt)));
    pkt = vx;
  }
  auto dp = decode(outer_ipv4(17, udp_with(4789, pkt)));
  EXPECT_TRUE(has_problem(dp->view, Problem::LinkTooDeep));
  EXPECT_LE(dp->view.tunneled_depth, 4);
}

struct CutCase {
  const char* name;
  Bytes frame;
  uint16_t linktype;
  // (first length at which this problem applies, problem); sorted by length
  std::vector<std::pair<size_t, Problem>> expected;
};

std::vector<CutCase> cut_cases() {
  std::vector<CutCase> cases;
  Bytes seg = test::tcp(1, 2, 3, 4, 0x10);
  {
    Bytes b = test::ethernet(0x0800);
    test::append(b, test::ipv4(6, seg.size() + 4));
    test::append(b, seg);
    test::append(b, std::string("data"));
    cases.push_back({"eth/ipv4/tcp",
                     b,
                     linktype::kEthernet,
                     {{0, Problem::EthernetTruncated},
                      {14, Problem::Ipv4Truncated},
                      {34, Problem::TcpTruncated},
                      {54, Problem::Ipv4TruncatedPayload}}});
  }
  {
    Bytes u = test::udp(1, 2, 0);
    Bytes ext = {17, 0, 0, 0, 0, 0, 0, 1};
    Bytes b = test::ethernet(0x86dd);
    test::append(b, test::ipv6(44, ext.size() + u.size()));
    test::append(b, ext);
    test::append(b, u);
    cases.push_back({"eth/ipv6/frag/udp",
                     b,
                     linktype::kEthernet,
                     {{0, Problem::EthernetTruncated},
                      {14, Problem::Ipv6Truncated},
                      {54, Problem::Ipv6ExtTruncated},
                      {62, Problem::UdpTruncated}}});
  }
  {
    Bytes inner = test::ipv4(6, seg.size());
    test::append(inner, seg);
    Bytes gre = {0x20, 0x00, 0x08, 0x00, 0, 0, 0, 9};
    test::append(gre, inner);
    cases.push_back({"eth/ipv4/gre/ipv4/tcp",
                     outer_ipv4(47, gre),
                     linktype::kEthernet,
                     {{0, Problem::EthernetTruncated},
                      {14, Problem::Ipv4Truncated},
                      {34, Problem::GreTruncated},
                      {42, Problem::Ipv4Truncated},
                      {62, Problem::TcpTruncated}}});
  }
  {
    Bytes inner = test::ethernet(0x0800);
    test::append(inner, test::ipv4(6, seg.size()));
    test::append(inner, seg);
    Bytes vx = {0x08, 0, 0, 0, 0, 0, 1, 0};
    test::append(vx, inner);
    cases.push_back({"eth/ipv4/udp/vxlan/eth/ipv4/tcp",
                     outer_ipv4(17, udp_with(4789, vx)),
                     linktype::kEthernet,
                     {{0, Problem::EthernetTruncated},
                      {14, Problem::Ipv4Truncated},
                      {34, Problem::UdpTruncated},
                      {42, Problem::UdpTunnelTruncated},
                      {50, Problem::EthernetTruncated},
                      {64, Problem::Ipv4Truncated},
                      {84, Problem::TcpTruncated}}});
  }
  {
    Bytes b = test::ethernet(0x8100);
    test::put16(b, 5);
    test::put16(b, 0x0806);
    test::append(b, Bytes{0,  1, 8, 0, 6, 4, 0, 1, 1, 2, 3,  4, 5, 6,
                          10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2});
    cases.push_back({"eth/vlan/arp",
                     b,
                     linktype::kEthernet,
                     {{0, Problem::EthernetTruncated},
                      {14, Problem::VlanTruncated},
                      {18, Problem::ArpTruncated}}});
  }
  {
    Bytes ip = test::ipv4(17, 8);
    test::append(ip, test::udp(1, 2, 0));
    Bytes sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
    test::append(sll, ip);
    cases.push_back(
        {"sll/ipv4/udp",
         sll,
         linktype::kLinuxSll,
         {{0, Problem::SllTruncated}, {16, Problem::Ipv4Truncated}, {36, Problem::UdpTruncated}}});
    Bytes null = {2, 0, 0, 0};
    test::append(null, ip);
    cases.push_back(
        {"null/ipv4/udp",
         null,
         linktype::kNull,
         {{0, Problem::NullTruncated}, {4, Problem::Ipv4Truncated}, {24, Problem::UdpTruncated}}});
    Bytes pppoe = test::ethernet(0x8864);
    test::append(pppoe, Bytes{0x11, 0, 0, 1, 0, 30, 0x00, 0x21});
    test::append(pppoe, ip);
    cases.push_back({"eth/pppoe/ipv4/udp",
                     pppoe,
                     linktype::kEthernet,
                     {{0, Problem::EthernetTruncated},
                      {14, Problem::PppoeTruncated},
                      {22, Problem::Ipv4Truncated},
                      {42, Problem::UdpTruncated}}});
    Bytes mpls = test::ethernet(0x8847);
    test::put32(mpls, (16u << 12) | 0x100 | 64);
    test::append(mpls, ip);
    cases.push_back({"eth/mpls/ipv4/udp",
                     mpls,
                     linktype::kEthernet,
                     {{0, Problem::EthernetTruncated},
                      {14, Problem::MplsTruncated},
                      {19, Problem::Ipv4Truncated},
                      {38, Problem::UdpTruncated}}});
  }
  {
    Bytes icmp = {8, 0, 0, 0, 0, 1, 0, 1};
    Bytes b = test::ethernet(0x0800);
    test::append(b, test::ipv4(1, icmp.size()));
    test::append(b, icmp);
    cases.push_back({"eth/ipv4/icmp",
                     b,
                     linktype::kEthernet,
                     {{0, Problem::EthernetTruncated},
                      {14, Problem::Ipv4Truncated},
                      {34, Problem::IcmpTruncated}}});
  }
  return cases;
}

TEST(Decoder, EveryCutNamesTheLayerItFallsIn) {
  for (const auto& c : cut_cases()) {
    for (size_t n = 0; n < c.frame.size(); ++n) {
      Problem want = c.expected.front().second;
      for (const auto& [from, problem] : c.expected) {
        if (n >= from) want = problem;
      }
      auto dp = decode(Bytes(c.frame.begin(), c.frame.begin() + long(n)), c.linktype);
      auto& d = *dp;
      EXPECT_TRUE(has_problem(d.view, want))
          << c.name << " cut at " << n << ": expected " << problem_name(want) << ", got "
          << (d.view.problem_count ? problem_name(d.view.problems[0]) : "nothing");
    }
    EXPECT_EQ(decode(c.frame, c.linktype)->view.problem_count, 0) << c.name;
  }
}

}  // namespace
}  // namespace netsift
