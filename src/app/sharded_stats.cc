#include "app/sharded_stats.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "flow/flow_hash.h"
#include "stats/address_book.h"

namespace netsift {
namespace {

// Batches in flight per worker bound memory (and how far the reader runs ahead); ring
// slots exceed them so that a push of the stop mark never waits.
constexpr size_t kBatchesPerWorker = 4;
constexpr size_t kChunksPerWorker = 4;
constexpr size_t kRingSlots = 8;
constexpr size_t kBatchEntries = 1024;
constexpr size_t kArenaBytes = 512 << 10;  // packet bytes per batch (nDPI on)
constexpr size_t kChunkFlows = 1024;       // ended flows per output chunk
constexpr size_t kNdpiCounts = 16384;      // ShardedStats::shown_ slots (a power of 2)

// An ended flow on its way to the reader: the record and its ends' countries (views
// into the worker's AddressBook, whose locations never move).
struct FlowRecord {
  StatsFlow flow;
  std::string_view client_country, server_country;
};

}  // namespace

struct ShardedStats::InputBatch {
  enum class Op : uint8_t { Packet, Close };
  struct Entry {
    Op op;
    bool all;  // Close: every flow ends
    TimestampNs now;
    FlowPacket packet;  // packet.ip points into the arena (or a big block), or is null
  };
  InputBatch(size_t arena_size)
      : arena(arena_size ? new uint8_t[arena_size] : nullptr), arena_size(arena_size) {
    entries.reserve(kBatchEntries);
  }
  std::vector<Entry> entries;
  std::unique_ptr<uint8_t[]> arena;
  size_t arena_size, arena_used = 0;
  std::vector<std::unique_ptr<uint8_t[]>> big;  // packets larger than the arena (rare)
  void clear() {
    entries.clear();
    arena_used = 0;
    big.clear();
  }
};

struct ShardedStats::OutputChunk {
  enum class Kind : uint8_t { Evicted, Partial, Ended };
  Kind kind = Kind::Evicted;
  bool last = false;  // Ended: the last chunk of this close
  size_t open = 0;    // last Ended chunk: the worker's flows still open, and evicted
  uint64_t evicted = 0;
  std::vector<FlowRecord> flows;
  void clear() {
    flows.clear();
    last = false;
  }
};

// A worker: one FlowShard on its own thread.
struct ShardedStats::Worker final : FlowEndSink {
  Worker(const FlowShardLimits& limits, const HomeNetworks& home, const GeoIp& geoip,
         size_t max_addresses, size_t arena, Doorbell& reader_bell)
      : book(home, geoip, max_addresses),
        shard(limits, book, partial, *this),
        input(kRingSlots, &bell, &reader_bell),
        free_input(kRingSlots, &reader_bell, &bell),
        output(kRingSlots, &reader_bell, &bell),
        free_output(kRingSlots, &bell, &reader_bell),
        reader_bell(reader_bell) {
    for (size_t i = 0; i < kBatchesPerWorker; ++i) {
      batches.push_back(std::make_unique<InputBatch>(arena));
      free_input.try_push(batches.back().get());
    }
    for (size_t i = 0; i < kChunksPerWorker; ++i) {
      chunks.push_back(std::make_unique<OutputChunk>());
      chunks.back()->flows.reserve(kChunkFlows);
      free_output.try_push(chunks.back().get());
    }
    thread = std::thread([this] { run(); });
  }

  void run() {
    for (;;) {
      InputBatch* in = input.pop_wait(bell);
      if (in == nullptr) break;
      for (const auto& e : in->entries) {
        if (e.op == InputBatch::Op::Packet) {
          shard.add(e.packet);
        } else {
          close(e.now, e.all);
        }
      }
      in->clear();
      free_input.push_wait(in, bell);
    }
    exited.store(true, std::memory_order_release);
    reader_bell.ring();
  }

  void close(TimestampNs now, bool all) {
    if (out) push();  // flows evicted so far come first
    shard.roll_up(partial, now, all);
    take(OutputChunk::Kind::Partial);
    push();
    // The reader merges `partial` now; this thread leaves it alone until the next packet.
    ending = true;
    take(OutputChunk::Kind::Ended);
    shard.end_flows("");
    ending = false;
    out->last = true;
    out->open = shard.open_flows();
    out->evicted = shard.evicted();
    push();
  }

  void flow_ended(const StatsFlow& f, std::string_view cc, std::string_view sc,
                  const char*) override {
    if (!out) take(ending ? OutputChunk::Kind::Ended : OutputChunk::Kind::Evicted);
    out->flows.push_back(FlowRecord{f, cc, sc});
    if (out->flows.size() == kChunkFlows) {
      OutputChunk::Kind kind = out->kind;
      push();
      take(kind);
    }
  }

  void take(OutputChunk::Kind kind) {
    out = free_output.pop_wait(bell);
    out->kind = kind;
  }
  void push() {
    output.push_wait(out, bell);
    out = nullptr;
  }

  BucketPartial partial;  // this bucket's counts; the reader reads it at a close
  AddressBook book;
  FlowShard shard;
  OutputChunk* out = nullptr;  // being filled
  bool ending = false;

  Doorbell bell;  // the worker sleeps here
  SpscRing<InputBatch*> input, free_input;
  SpscRing<OutputChunk*> output, free_output;
  Doorbell& reader_bell;
  std::vector<std::unique_ptr<InputBatch>> batches;
  std::vector<std::unique_ptr<OutputChunk>> chunks;
  std::atomic<bool> exited{false};
  std::thread thread;
};

ShardedStats::ShardedStats(const StatsOptions& options, const HomeNetworks& home,
                           const GeoIp& geoip, uint32_t workers, FlowEndSink& sink)
    : sink_(sink), copy_bytes_(options.dpi) {
  const size_t n = std::max<uint32_t>(workers, 1);
  auto share = [n](size_t total) { return std::max<size_t>(1, (total + n - 1) / n); };
  // Caps that hold for all flows together are shared out evenly.
  FlowShardLimits limits;
  limits.max_flows = share(options.max_flows);
  limits.bucket = BucketCaps::make(share(options.max_set_entries), share(options.max_addresses),
                                   options.detectors);
  limits.max_dpi_states = share(limits.max_dpi_states);
  limits.flow_timeout = options.flow_timeout;
  limits.dpi = options.dpi;
  for (size_t i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(limits, home, geoip, share(options.max_addresses),
                                                copy_bytes_ ? kArenaBytes : 0, bell_));
  }
  current_.resize(n, nullptr);
  closing_.resize(n, false);
  if (copy_bytes_) shown_.resize(kNdpiCounts);
}

ShardedStats::~ShardedStats() {
  // Batches already sent are worked through; outputs still coming are dropped (normally
  // none: finish() gathered them), so that no worker waits forever for room.
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    if (current_[i]) send(i);
    while (!w.input.try_push(nullptr)) std::this_thread::yield();  // never full
  }
  for (auto& wp : workers_) {
    Worker& w = *wp;
    for (;;) {
      uint32_t seen = bell_.prepare();
      OutputChunk* c;
      while (w.output.try_pop(c)) {
        c->clear();
        w.free_output.try_push(c);
      }
      if (w.exited.load(std::memory_order_acquire)) break;
      bell_.wait(seen);
    }
    w.thread.join();
  }
}

ShardedStats::InputBatch& ShardedStats::batch_for(size_t w, size_t bytes) {
  InputBatch* b = current_[w];
  if (b && (b->entries.size() == kBatchEntries || b->arena_size - b->arena_used < bytes)) {
    send(w);
    b = nullptr;
  }
  if (!b) {
    // Wait for a batch to come back; flows evicted meanwhile are written out, so that
    // a worker waiting for room for them does not wait for us.
    Worker& wk = *workers_[w];
    for (;;) {
      uint32_t seen = bell_.prepare();
      if (wk.free_input.try_pop(b)) break;
      if (!take_evicted()) bell_.wait(seen);
    }
    current_[w] = b;
  }
  return *b;
}

void ShardedStats::send(size_t w) {
  workers_[w]->input.push_wait(current_[w], bell_);  // never full: fewer batches than slots
  current_[w] = nullptr;
}

void ShardedStats::add(const PacketView& v, const FlowPacket& p) {
  const uint64_t hash = flow_hash(v);
  const size_t w = shard_of(hash, uint32_t(workers_.size()));
  size_t bytes = 0;
  if (copy_bytes_ && p.ip) {
    NdpiCount& c = shown_[hash & (kNdpiCounts - 1)];
    if (c.bucket != bucket_ || !(c.key == p.key)) c = NdpiCount{p.key, bucket_, 0};
    if (c.shown < AppDetector::kMaxPackets) {
      ++c.shown;
      bytes = std::min(p.ip_captured, AppDetector::kMaxPacketBytes);
    }
  }
  InputBatch& b = batch_for(w, std::min(bytes, kArenaBytes));
  InputBatch::Entry& e = b.entries.emplace_back();
  e.op = InputBatch::Op::Packet;
  e.packet = p;
  if (bytes == 0) {
    e.packet.ip = nullptr;
    e.packet.ip_captured = 0;
    return;
  }
  uint8_t* copy;
  if (bytes <= b.arena_size - b.arena_used) {
    copy = b.arena.get() + b.arena_used;
    b.arena_used += bytes;
  } else {
    b.big.push_back(std::unique_ptr<uint8_t[]>(new uint8_t[bytes]));
    copy = b.big.back().get();
  }
  std::memcpy(copy, p.ip, bytes);
  e.packet.ip = copy;
}

void ShardedStats::roll_up(BucketPartial& into, TimestampNs now, bool all) {
  ++bucket_;  // flows may end now: nDPI counts start over
  for (size_t w = 0; w < workers_.size(); ++w) {
    InputBatch& b = batch_for(w, 0);
    InputBatch::Entry& e = b.entries.emplace_back();
    e.op = InputBatch::Op::Close;
    e.all = all;
    e.now = now;
    send(w);
    closing_[w] = true;
  }
  for (size_t w = 0; w < workers_.size(); ++w) {
    OutputChunk* c = next_output(w);
    // c->kind is Partial: the worker's partial is complete and left to us until we send
    // it packets again.
    BucketPartial& part = workers_[w]->partial;
    into.merge(part);
    part = BucketPartial{};  // its memory too: the merged copy holds the bucket now
    give_back(w, c);
  }
}

void ShardedStats::end_flows(const char* reason) {
  // Each worker's ended flows come sorted; merged by the same order, they come out as
  // one engine's.
  struct Head {
    OutputChunk* chunk = nullptr;
    size_t next = 0;
  };
  const size_t n = workers_.size();
  std::vector<Head> heads(n);
  open_ = 0;
  evicted_ = 0;
  // Past exhausted chunks: the worker's next one, or none after its last.
  auto refill = [&](size_t w) {
    Head& h = heads[w];
    while (h.chunk && h.next == h.chunk->flows.size()) {
      const bool last = h.chunk->last;
      if (last) {
        open_ += h.chunk->open;
        evicted_ += h.chunk->evicted;
        closing_[w] = false;
      }
      give_back(w, h.chunk);
      h = Head{last ? nullptr : next_output(w), 0};
    }
  };
  for (size_t w = 0; w < n; ++w) {
    heads[w] = Head{next_output(w), 0};
    refill(w);
  }
  for (;;) {
    size_t best = n;
    for (size_t w = 0; w < n; ++w) {
      if (!heads[w].chunk) continue;
      if (best == n || flow_order_less(heads[w].chunk->flows[heads[w].next].flow,
                                       heads[best].chunk->flows[heads[best].next].flow)) {
        best = w;
      }
    }
    if (best == n) return;
    const FlowRecord& r = heads[best].chunk->flows[heads[best].next++];
    sink_.flow_ended(r.flow, r.client_country, r.server_country, reason);
    refill(best);
  }
}

ShardedStats::OutputChunk* ShardedStats::next_output(size_t w) {
  Worker& wk = *workers_[w];
  for (;;) {
    uint32_t seen = bell_.prepare();
    OutputChunk* c;
    if (wk.output.try_pop(c)) {
      if (c->kind != OutputChunk::Kind::Evicted) return c;
      emit_evicted(*c);
      give_back(w, c);
      continue;
    }
    bell_.wait(seen);
  }
}

void ShardedStats::give_back(size_t w, OutputChunk* c) {
  c->clear();
  workers_[w]->free_output.push_wait(c, bell_);  // never full: fewer chunks than slots
}

bool ShardedStats::take_evicted() {
  bool any = false;
  for (size_t w = 0; w < workers_.size(); ++w) {
    OutputChunk* c;
    // Until it is sent a close, a worker hands over evicted flows only.
    while (!closing_[w] && workers_[w]->output.try_pop(c)) {
      emit_evicted(*c);
      give_back(w, c);
      any = true;
    }
  }
  return any;
}

void ShardedStats::emit_evicted(const OutputChunk& c) {
  for (const FlowRecord& r : c.flows) {
    sink_.flow_ended(r.flow, r.client_country, r.server_country, "evicted");
  }
}

}  // namespace netsift
