// The sharded session engine's hand-off: packets lent in source blocks give the same
// output as copied ones, blocks are held only while workers need them and their number
// stays bounded, and the engine always goes away, even when workers wait for a writer
// that will never come.
#include "app/sharded_sessions.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "decode/decoder.h"
#include "packet_builder.h"

namespace netsift {
namespace {

using test::Bytes;

// A TCP SYN opening flow `i` (one source port each; 60,000 per destination port).
Bytes syn(uint32_t i) {
  Bytes t = test::tcp(uint16_t(1024 + i % 60000), uint16_t(80 + i / 60000), 1000 + i, 0, 0x02);
  Bytes f = test::ethernet(0x0800);
  test::append(f, test::ipv4(6, t.size()));
  test::append(f, t);
  return f;
}

// Plays a source: packets are written into blocks of `per_block` packets; with
// `lend`, each packet names its block and a block is rewritten only once nobody holds
// it (as FileReader does), else packets are not lent (the engine copies them).
class FakeSource {
 public:
  FakeSource(bool lend, size_t per_block) : lend_(lend), per_block_(per_block) {}

  void feed(ShardedSessions& s, uint32_t count) {
    Decoder decoder;
    RawPacket raw;
    PacketView view;
    for (uint32_t i = 0; i < count; ++i) {
      if (cur_ == nullptr || used_ == per_block_) next_block();
      Bytes f = syn(i);
      uint8_t* at = cur_->bytes.data() + used_ * kSlot;
      std::fill(at, at + kSlot, 0xee);
      std::copy(f.begin(), f.end(), at);
      ++used_;
      raw.ts = 1000 * kNsPerSec + TimestampNs(i) * 1000;  // 1 µs apart: nothing expires
      raw.caplen = raw.wirelen = uint32_t(f.size());
      raw.linktype = linktype::kEthernet;
      raw.data = ByteView(at, f.size());
      raw.block = lend_ ? cur_ : nullptr;
      decoder.decode(raw, view);
      s.on_packet(view, i + 1);
      if (!lend_) std::fill(at, at + kSlot, 0xee);  // the engine must have copied it
    }
  }
  size_t blocks() const { return blocks_.size(); }
  bool any_held() const {
    for (auto& b : blocks_) {
      if (b->holds) return true;
    }
    return false;
  }

 private:
  static constexpr size_t kSlot = 128;
  struct Block : PacketBlock {
    std::vector<uint8_t> bytes;
  };
  void next_block() {
    cur_ = nullptr;
    for (auto& b : blocks_) {
      if (b->holds == 0) {
        cur_ = b.get();
        break;
      }
    }
    if (cur_ == nullptr) {
      cur_ = blocks_.emplace_back(std::make_unique<Block>()).get();
      cur_->bytes.resize(per_block_ * kSlot);
    }
    // Whatever the block held before is overwritten: a packet still in use would change.
    std::fill(cur_->bytes.begin(), cur_->bytes.end(), 0xdd);
    used_ = 0;
  }

  bool lend_;
  size_t per_block_;
  std::vector<std::unique_ptr<Block>> blocks_;
  Block* cur_ = nullptr;
  size_t used_ = 0;
};

SessionOptions json_options() {
  SessionOptions o;
  o.json = true;
  o.ordered = true;
  o.ordered_given = true;
  return o;
}

// Runs `count` SYNs through 3 workers into memory: the bytes written (in one engine's
// order: --ordered).
std::string run_ordered(FakeSource& source, uint32_t count) {
  OutputBuffer out(OutputBuffer::kMemory);
  {
    ShardedSessions s(json_options(), 3, ShardedOutputs{&out, nullptr, nullptr}, false, false);
    source.feed(s, count);
    s.finish();
    EXPECT_FALSE(source.any_held()) << "finish() lets go of every block";
  }
  return std::string(out.view());
}

TEST(ShardedSessions, LentBlocksGiveTheBytesOfCopiedPackets) {
  constexpr uint32_t kPackets = 20000;
  FakeSource copied(false, 64), lent(true, 64);
  std::string a = run_ordered(copied, kPackets);
  std::string b = run_ordered(lent, kPackets);
  // Every flow ended with one tcp_session event carrying its own ports.
  EXPECT_EQ(size_t(std::count(a.begin(), a.end(), '\n')), kPackets);
  EXPECT_NE(a.find("\"src_port\":21023"), std::string::npos);
  EXPECT_EQ(a, b);
  // 313 blocks of packets went through; the engine held only a few at a time (rounds
  // in flight and batches waiting for reuse).
  EXPECT_LT(lent.blocks(), 64u);
}

// One block per round at most 8 of them: a round ends early rather than hold more.
TEST(ShardedSessions, TinyBlocksStayBounded) {
  FakeSource lent(true, 2);
  std::string out = run_ordered(lent, 6000);
  EXPECT_EQ(size_t(std::count(out.begin(), out.end(), '\n')), 6000u);
  EXPECT_LT(lent.blocks(), 8u * 6 + 2);
}

// Destroying the engine must return whatever the workers are doing. Here each worker
// ends 30,000 flows at the end of the first input: far more output than the chunks it
// may hand over before the writer takes some, and without finish() the writer never
// will — the workers wait for it (before, the destructor then waited for them forever).
TEST(ShardedSessions, DestructionWithoutFinishReturnsWhileWorkersWaitForTheWriter) {
  for (int round = 0; round < 3; ++round) {
    int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    {
      OutputBuffer out(fd);
      auto s = std::make_unique<ShardedSessions>(
          json_options(), 2, ShardedOutputs{&out, nullptr, nullptr}, false, false);
      FakeSource source(round == 1, 256);
      source.feed(*s, 60000);
      s->on_input_end(false);  // another input would follow: every flow ends now
      if (round == 2) std::this_thread::sleep_for(std::chrono::milliseconds(300));
      auto gone = std::async(std::launch::async, [&] { s.reset(); });
      if (gone.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
        ADD_FAILURE() << "~ShardedSessions did not return within 60 s";
        std::_Exit(1);  // the test would hang on the stuck destructor otherwise
      }
      EXPECT_FALSE(source.any_held());
    }
    ::close(fd);
  }
}

// The same while the workers are still busy with rounds in flight (an exception thrown
// in the middle of the input).
TEST(ShardedSessions, DestructionMidInputReturns) {
  OutputBuffer out(OutputBuffer::kMemory);
  auto s = std::make_unique<ShardedSessions>(json_options(), 4,
                                             ShardedOutputs{&out, nullptr, nullptr}, false, false);
  FakeSource source(true, 128);
  source.feed(*s, 30000);
  auto gone = std::async(std::launch::async, [&] { s.reset(); });
  if (gone.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "~ShardedSessions did not return within 60 s";
    std::_Exit(1);
  }
  EXPECT_FALSE(source.any_held());
}

// Whole-session transcripts of `flows` connections of `bytes` each (client to server,
// picked up midstream, port 9999: no analyzer) through 4 workers, in text mode: what
// the run printed.
std::string elephants(int flows, size_t bytes, uint64_t total_cap) {
  SessionOptions o;
  o.max_session_data = 64u << 20;
  o.max_session_data_total = total_cap;
  OutputBuffer out(OutputBuffer::kMemory);
  {
    ShardedSessions s(o, 4, ShardedOutputs{&out, nullptr, nullptr}, false, false);
    Decoder decoder;
    RawPacket raw;
    PacketView view;
    Bytes payload(1400, 'x');
    uint64_t n = 0;
    for (size_t off = 0; off < bytes; off += payload.size()) {
      for (int f = 0; f < flows; ++f) {
        Bytes t = test::tcp(uint16_t(40000 + f), 9999, uint32_t(1000 + off), 1, 0x18);
        Bytes frame = test::ethernet(0x0800);
        test::append(frame, test::ipv4(6, t.size() + payload.size()));
        test::append(frame, t);
        test::append(frame, payload);
        raw.ts = 1000 * kNsPerSec + TimestampNs(n) * 1000;
        raw.caplen = raw.wirelen = uint32_t(frame.size());
        raw.linktype = linktype::kEthernet;
        raw.data = ByteView(frame.data(), frame.size());
        raw.block = nullptr;
        decoder.decode(raw, view);
        s.on_packet(view, ++n);
      }
    }
    s.finish();
  }
  return std::string(out.view());
}

// Bytes the transcripts left out ("[N bytes ... not shown").
uint64_t not_shown(const std::string& text) {
  uint64_t sum = 0;
  for (size_t at = text.find("bytes to_server not shown"); at != std::string::npos;
       at = text.find("bytes to_server not shown", at + 1)) {
    size_t start = text.rfind('[', at);
    sum += std::stoull(text.substr(start + 1, at - start - 1));
  }
  return sum;
}

// --max-session-data-total holds for all workers together: one worker's elephant flow
// may use the whole of it (split four ways, 3 MB would have been cut at 1 MiB)...
TEST(ShardedSessions, TotalTranscriptCapIsGlobal) {
  std::string one = elephants(1, 3'000'000, 4u << 20);
  EXPECT_NE(one.find("[TCP DATA Bi-Direct]"), std::string::npos);
  EXPECT_EQ(not_shown(one), 0u);
  EXPECT_GT(one.size(), 3'000'000u);  // the whole transcript is printed
  // ... and never more than all of it: three elephants of 20 MB against an 8 MiB cap,
  // each on a worker of its own (flows that start together are spread out).
  const uint64_t cap = 8u << 20;
  std::string three = elephants(3, 20'000'000, cap);
  uint64_t cut = not_shown(three);
  uint64_t sent = 3 * 1400 * ((20'000'000 + 1399) / 1400);
  // The cap is global, not split: the workers together keep all of it but what other
  // workers drew and did not use (two grants of cap / 64 each)...
  EXPECT_LE(cut, sent - cap + 4 * 2 * (cap / 64));
  // ... and what they hold at once never passes it. What they show can, by what the
  // others keep after the first to reach the end of the input ends its flow and gives
  // its bytes back (docs/security.md: then which flow is cut depends on the workers'
  // timing): a worker is at most the rounds in flight ahead of another (3 rounds of
  // up to 1024 packets of 1400 bytes).
  EXPECT_GE(cut, sent - cap - 2 * 3 * 1024 * 1400);
}

}  // namespace
}  // namespace netsift
