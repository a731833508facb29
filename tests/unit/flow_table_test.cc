// When a closed TCP session is reported: files after the linger (late packets counted
// in it), live capture at the close with a tombstone absorbing late packets. New
// connections on a 4-tuple (port reuse) and copies of a connection replayed on it
// (merged captures), interleaved with the original or after it.
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
    raw.ts = now_ += 1'000'000;        // 1 ms apart
    if (now_ > clock_) clock_ = now_;  // the capture's progress never goes back
    raw.data = ByteView(frame.data(), frame.size());
    raw.caplen = raw.wirelen = uint32_t(frame.size());
    raw.linktype = linktype::kEthernet;
    PacketView v;
    decoder_.decode(raw, v);
    ++sent_;
    table_->set_clock(clock_);
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
    if (now_ > clock_) clock_ = now_;
    table_->advance_time(clock_);
  }
  // Time passes with no expiry tick.
  void skip(TimestampNs ns) { now_ = clock_ = now_ + ns; }
  // Packet time steps back (captures concatenated); the capture's progress does not.
  void rewind(TimestampNs ns) { now_ -= ns; }
  FlowTable& table() { return *table_; }
  const std::vector<Ends::End>& ends() const { return observer_.ends; }

 private:
  Decoder decoder_;
  test::EventLog log_;
  Ends observer_;
  std::unique_ptr<FlowTable> table_;
  TimestampNs now_ = 1'700'000'000'000'000'000;
  TimestampNs clock_ = now_;
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

// The packets of open_and_close() and the final ACK, to replay them as a copy would.
struct Segment {
  bool from_client;
  uint32_t seq, ack;
  uint8_t flags;
  const char* payload;
};
constexpr Segment kConnection[] = {
    {true, 100, 0, kSyn, ""},
    {false, 500, 101, kSyn | kAck, ""},
    {true, 101, 501, kAck, ""},
    {true, 101, 501, kAck | kPsh, "hello"},
    {false, 501, 106, kAck | kPsh, "world"},
    {true, 106, 506, kFin | kAck, ""},
    {false, 506, 107, kFin | kAck, ""},
    {true, 107, 507, kAck, ""},
};

void play(Conversation& c, const Segment& s) {
  c.send(s.from_client, s.seq, s.ack, s.flags, s.payload);
}

// Both sessions whole: 5 packets to the server, 3 back, closed by FINs.
void expect_two_whole_sessions(Conversation& c) {
  c.table().flush_all(true);
  ASSERT_EQ(c.ends().size(), 2u);
  for (const auto& e : c.ends()) {
    EXPECT_EQ(e.state, CloseReason::Fin);
    EXPECT_EQ(e.to_server, 5u);
    EXPECT_EQ(e.to_client, 3u);
  }
  EXPECT_EQ(c.table().stats().tcp_flows, 2u);
  EXPECT_EQ(c.table().size(), 0u);
}

TEST(FlowTableReuse, TheSameSynAfterTheFinsIsANewSession) {
  Conversation c(false);
  for (const auto& s : kConnection) play(c, s);
  for (const auto& s : kConnection) play(c, s);  // within the linger
  expect_two_whole_sessions(c);
}

TEST(FlowTableReuse, ACopyConcatenatedBackInTimeIsANewSession) {
  Conversation c(false);
  for (const auto& s : kConnection) play(c, s);
  c.rewind(8'000'000);  // mergecap -a: the copy has the original's times
  for (const auto& s : kConnection) play(c, s);
  expect_two_whole_sessions(c);
}

TEST(FlowTableReuse, ACopyInterleavedWithTheOriginalIsASessionOfItsOwn) {
  for (size_t lag : {4u, 5u, 6u, 7u, 8u}) {
    SCOPED_TRACE(lag);
    Conversation c(false);
    // The copy starts `lag` packets after the original (its SYN comes once data flowed:
    // before, it is a retransmission), then they alternate; from lag 7 on the original
    // has closed (its last ACK may still come after the copy's SYN).
    size_t o = 0, k = 0;
    while (o < lag) play(c, kConnection[o++]);
    while (k < std::size(kConnection)) {
      if (o < std::size(kConnection)) play(c, kConnection[o++]);
      play(c, kConnection[k++]);
    }
    expect_two_whole_sessions(c);
  }
}

TEST(FlowTableReuse, ASynRetransmittedBeforeAnyDataIsTheSameSession) {
  Conversation c(false);
  play(c, kConnection[0]);
  play(c, kConnection[0]);  // exact duplicates, as `mergecap A A` makes them
  for (size_t i = 1; i < std::size(kConnection); ++i) {
    play(c, kConnection[i]);
    play(c, kConnection[i]);
  }
  c.table().flush_all(true);
  ASSERT_EQ(c.ends().size(), 1u);
  EXPECT_EQ(c.ends()[0].to_server, 10u);
  EXPECT_EQ(c.ends()[0].state, CloseReason::Fin);
}

TEST(FlowTableReuse, ARefusedAttemptRetriedIsOneSessionButNotBackInTime) {
  Conversation c(false);
  c.send(true, 100, 0, kSyn);
  c.send(false, 0, 101, kRst | kAck);
  c.send(true, 100, 0, kSyn);  // the client retries the same attempt
  c.send(false, 0, 101, kRst | kAck);
  c.rewind(10'000'000);
  c.send(true, 100, 0, kSyn);  // stamped before the refusal: a copy
  c.send(false, 0, 101, kRst | kAck);
  c.table().flush_all(true);
  ASSERT_EQ(c.ends().size(), 2u);
  EXPECT_EQ(c.ends()[0].to_server, 2u);
  EXPECT_EQ(c.ends()[1].to_server, 1u);
}

TEST(FlowTableReuse, ANewIsnOnAnOpenConnectionEndsItAsPortReuse) {
  Conversation c(false);
  for (size_t i = 0; i < 5; ++i) play(c, kConnection[i]);
  c.send(true, 9000, 0, kSyn);  // the client crashed and connects again
  ASSERT_EQ(c.ends().size(), 1u);
  EXPECT_EQ(c.ends()[0].state, CloseReason::PortReuse);
  EXPECT_EQ(c.ends()[0].to_server, 3u);
}

TEST(FlowTableReuse, ASynAckAfterTheFinsStartsANewSession) {
  Conversation c(false);
  for (const auto& s : kConnection) play(c, s);
  for (size_t i = 1; i < std::size(kConnection); ++i) play(c, kConnection[i]);  // no SYN
  c.table().flush_all(true);
  ASSERT_EQ(c.ends().size(), 2u);
  EXPECT_EQ(c.ends()[1].to_server, 4u);
  EXPECT_EQ(c.ends()[1].to_client, 3u);
}

TEST(FlowTableReuse, AFlowIdlePastItsTimeoutEndsBeforeItsNextPacket) {
  Conversation c(false);
  for (size_t i = 0; i < 5; ++i) play(c, kConnection[i]);
  c.skip(3601 * kNsPerSec);  // past the hour, and no expiry tick in between
  c.send(true, 106, 506, kAck | kPsh, "again");
  ASSERT_EQ(c.ends().size(), 1u);
  EXPECT_EQ(c.ends()[0].state, CloseReason::Timeout);
  EXPECT_EQ(c.ends()[0].after_packet, 6u);
  EXPECT_EQ(c.table().size(), 1u);  // the packet's own, new flow
}

// A copy replaying a connection (twins), then both idle past the timeout: both end
// before the next packet, which starts a flow of its own that is reported too (it was
// left out of the table, never reported nor freed: a fuzz_pipeline finding).
TEST(FlowTableReuse, TwinsBothIdlePastTheirTimeoutEndBeforeTheNextPacket) {
  Conversation c(false);
  for (size_t i = 0; i < 5; ++i) play(c, kConnection[i]);
  for (size_t i = 0; i < 3; ++i) play(c, kConnection[i]);  // a copy: twins
  c.skip(3601 * kNsPerSec);
  c.send(true, 106, 506, kAck | kPsh, "again");
  ASSERT_EQ(c.ends().size(), 2u);
  EXPECT_EQ(c.ends()[0].state, CloseReason::Timeout);
  EXPECT_EQ(c.ends()[1].state, CloseReason::Timeout);
  EXPECT_EQ(c.table().size(), 1u);
  c.table().flush_all(true);
  ASSERT_EQ(c.ends().size(), 3u);
  EXPECT_EQ(c.ends()[2].state, CloseReason::EndOfInput);
  EXPECT_EQ(c.ends()[2].to_server, 1u);
  EXPECT_EQ(c.table().size(), 0u);
}

}  // namespace
}  // namespace netsift
