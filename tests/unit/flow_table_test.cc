// When a closed TCP session is reported: files after the linger (late packets counted
// in it), live capture at the close with a tombstone absorbing late packets.
#include "flow/flow_table.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "analyzer_harness.h"
#include "analyzers/registry.h"
#include "capture/raw_packet.h"
#include "decode/decoder.h"
#include "packet_builder.h"

namespace netsift {
namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

struct Ends final : FlowObserver {
  struct End {
    size_t after_packet;
    CloseReason state;
    uint64_t to_server, to_client;
  };
  void on_flow_end(Flow& f) override {
    ends.push_back({*packets, f.state, f.packets[0], f.packets[1]});
  }
  const size_t* packets = nullptr;
  std::vector<End> ends;
};

class Conversation {
 public:
  explicit Conversation(bool report_at_close) {
    FlowConfig config;
    config.report_at_close = report_at_close;
    observer_.packets = &sent_;
    table_ = std::make_unique<FlowTable>(config, analyzer_registry(), observer_, log_);
  }
  // One segment client (10.0.0.1:40000) -> server (10.0.0.2:7000), or back.
  void send(bool from_client, uint32_t seq, uint32_t ack, uint8_t flags,
            const std::string& payload = "") {
    test::Bytes frame = test::ethernet(0x0800);
    test::Bytes seg = from_client ? test::tcp(40000, 7000, seq, ack, flags)
                                  : test::tcp(7000, 40000, seq, ack, flags);
    test::Bytes ip = test::ipv4(6, seg.size() + payload.size());
    if (!from_client) {
      // Swapping the addresses keeps the header checksum.
      for (int i = 0; i < 4; ++i) std::swap(ip[12 + i], ip[16 + i]);
    }
    test::append(frame, ip);
    test::append(frame, seg);
    test::append(frame, payload);
    RawPacket raw;
    raw.ts = now_ += 1'000'000;  // 1 ms apart
    raw.data = ByteView(frame.data(), frame.size());
    raw.caplen = raw.wirelen = uint32_t(frame.size());
    raw.linktype = linktype::kEthernet;
    PacketView v;
    decoder_.decode(raw, v);
    ++sent_;
    table_->set_clock(now_);
    table_->on_packet(v);
  }
  // A whole connection: handshake, "hello" each way, FINs; the final ACK is left out.
  void open_and_close() {
    send(true, 100, 0, kSyn);
    send(false, 500, 101, kSyn | kAck);
    send(true, 101, 501, kAck);
    send(true, 101, 501, kAck | kPsh, "hello");
    send(false, 501, 106, kAck | kPsh, "world");
    send(true, 106, 506, kFin | kAck);
    send(false, 506, 107, kFin | kAck);  // packet 7: closed
  }
  void wait(TimestampNs ns) {
    now_ += ns;
    table_->advance_time(now_);
  }
  FlowTable& table() { return *table_; }
  const std::vector<Ends::End>& ends() const { return observer_.ends; }

 private:
  Decoder decoder_;
  test::EventLog log_;
  Ends observer_;
  std::unique_ptr<FlowTable> table_;
  TimestampNs now_ = 1'700'000'000'000'000'000;
  size_t sent_ = 0;
};

TEST(FlowTableClose, FilesReportAfterTheLingerWithLatePacketsCounted) {
  Conversation c(false);
  c.open_and_close();
  c.send(true, 107, 507, kAck);  // the final ACK
  EXPECT_TRUE(c.ends().empty());
  c.wait(10 * kNsPerSec);
  EXPECT_TRUE(c.ends().empty());
  c.wait(21 * kNsPerSec);  // past the 30 s linger
  ASSERT_EQ(c.ends().size(), 1u);
  EXPECT_EQ(c.ends()[0].state, CloseReason::Fin);
  EXPECT_EQ(c.ends()[0].to_server, 5u);  // the final ACK included
  EXPECT_EQ(c.table().size(), 0u);
}

TEST(FlowTableClose, LiveReportsAtTheCloseAndATombstoneAbsorbsLatePackets) {
  Conversation c(true);
  c.open_and_close();
  ASSERT_EQ(c.ends().size(), 1u);
  EXPECT_EQ(c.ends()[0].after_packet, 7u);
  EXPECT_EQ(c.ends()[0].state, CloseReason::Fin);
  EXPECT_EQ(c.ends()[0].to_server, 4u);
  EXPECT_EQ(c.ends()[0].to_client, 3u);
  // The final ACK and a retransmitted FIN seconds later: no new session, no report.
  c.send(true, 107, 507, kAck);
  c.wait(3 * kNsPerSec);
  c.send(false, 506, 107, kFin | kAck);
  c.send(true, 107, 507, kAck);
  EXPECT_EQ(c.ends().size(), 1u);
  EXPECT_EQ(c.table().size(), 1u);
  EXPECT_EQ(c.table().stats().tcp_flows, 1u);
  // The tombstone goes when the linger ends, silently.
  c.wait(31 * kNsPerSec);
  EXPECT_EQ(c.table().size(), 0u);
  EXPECT_EQ(c.ends().size(), 1u);
  EXPECT_EQ(c.table().stats().flows_evicted, 0u);
}

TEST(FlowTableClose, LiveNewConnectionOnATombstoneIsANewSession) {
  Conversation c(true);
  c.open_and_close();
  c.send(true, 9000, 0, kSyn);  // a new ISN on the same 4-tuple
  c.send(false, 7000, 9001, kSyn | kAck);
  c.send(true, 9001, 7001, kRst);
  ASSERT_EQ(c.ends().size(), 2u);
  EXPECT_EQ(c.ends()[1].state, CloseReason::Rst);
  EXPECT_EQ(c.ends()[1].after_packet, 10u);
  EXPECT_EQ(c.table().stats().tcp_flows, 2u);
  c.table().flush_all();  // the tombstone ends without a report
  EXPECT_EQ(c.ends().size(), 2u);
}

}  // namespace
}  // namespace netsift
