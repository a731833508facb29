// The text printer's table-driven fields against plain reference renderings: the TCP
// flag list for every one of the 512 combinations, and the fields around it.
#include <gtest/gtest.h>

#include <string>

#include "decode/decoder.h"
#include "output/output_buffer.h"
#include "output/packet_printer.h"
#include "packet_builder.h"

namespace netsift {
namespace {

std::string reference_flags(uint16_t flags) {
  static const char* kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"};
  std::string out;
  for (int i = 0; i < 9; ++i) {
    if (!(flags & (1u << i))) continue;
    if (!out.empty()) out += ", ";
    out += std::string("'") + kNames[i] + "'";
  }
  return out;
}

TEST(TextPacketPrinter, TcpFlagsEveryCombination) {
  test::Bytes seg = test::tcp(40000, 80, 4000000000u, 7, 0x18);
  test::Bytes frame = test::ethernet(0x0800);
  test::append(frame, test::ipv4(6, seg.size() + 2));
  test::append(frame, seg);
  test::append(frame, test::Bytes{'h', 'i'});
  RawPacket raw;
  raw.data = ByteView(frame.data(), frame.size());
  raw.caplen = raw.wirelen = uint32_t(frame.size());
  raw.linktype = linktype::kEthernet;
  raw.ts = 1'469'135'972'460'123'000;
  PacketView view;
  Decoder().decode(raw, view);
  ASSERT_EQ(view.l4, L4::Tcp);

  OutputBuffer out(OutputBuffer::kMemory);
  TextPacketOptions options;
  options.utc = true;
  auto printer = make_text_packet_printer(out, options);
  for (uint16_t flags = 0; flags < 512; ++flags) {
    view.tcp_flags = flags;
    out.clear();
    printer->print(view, 1);
    const std::string line(out.view());
    const std::string expected = "\tSEQ=4000000000\tACK=7\tFLAGS=[" + reference_flags(flags) +
                                 "]\tWIN=512\tDATA=hi\tttl=64\tLEN=2\n";
    ASSERT_GE(line.size(), expected.size());
    EXPECT_EQ(line.substr(line.size() - expected.size()), expected) << flags;
    EXPECT_EQ(line.rfind("[TCP]\t[1469135972.460123\t2016-07-21 21:19:32]\t", 0), 0u) << line;
  }
}

// An 802.3 frame with LLC (here STP) is named by its access points, in text and JSON,
// not by its length field read as a type.
TEST(TextPacketPrinter, LlcFrameIsNamedBySaps) {
  test::Bytes frame = test::ethernet(38);
  test::append(frame, test::Bytes{0x42, 0x42, 0x03, 0, 0, 0});
  frame.resize(60, 0);
  RawPacket raw;
  raw.data = ByteView(frame.data(), frame.size());
  raw.caplen = raw.wirelen = uint32_t(frame.size());
  raw.linktype = linktype::kEthernet;
  PacketView view;
  Decoder().decode(raw, view);
  OutputBuffer out(OutputBuffer::kMemory);
  make_text_packet_printer(out, TextPacketOptions{})->print(view, 1);
  std::string line(out.view());
  EXPECT_NE(line.find("\ttype=llc\tdsap=0x42\tssap=0x42\tLEN=60\n"), std::string::npos) << line;
  EXPECT_EQ(line.rfind("[ETHER]\t", 0), 0u) << line;
  out.clear();
  make_json_packet_printer(out, {})->print(view, 1);
  line = std::string(out.view());
  EXPECT_NE(line.find("\"proto\":\"llc\",\"llc_dsap\":66,\"llc_ssap\":66"), std::string::npos)
      << line;
}

}  // namespace
}  // namespace netsift
