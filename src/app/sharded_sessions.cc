#include "app/sharded_sessions.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "analyzers/ftp/ftp_analyzer.h"
#include "analyzers/registry.h"
#include "flow/flow_table.h"

namespace netsift {
namespace {

// Rounds sent to the workers and not yet written: bounds memory and how far a fast
// worker may run ahead of a slow one.
constexpr size_t kRoundsInFlight = 3;
constexpr size_t kBatchesPerWorker = kRoundsInFlight + 1;  // + the one being filled
constexpr size_t kRingSlots = 8;                           // > kBatchesPerWorker
// A round holds packets of at most this many of the file reader's blocks (512 KiB each,
// never more than FileReader::kMaxLentBlock: a block grown by a huge record is not
// lent): the blocks held by rounds out bound the memory lent to the workers (with the
// rounds in flight and batches waiting to be reused: about 16 MiB of usual blocks,
// 64 MiB at worst; 6 MiB on the bench capture).
constexpr size_t kBlocksPerRound = 8;

// Where an item stands in the order one engine would have emitted it: the position of
// the packet or tick that caused it, then, for a flow ended by expiry or at the end of
// an input, (idle list + 1, position of the flow's last packet).
struct Tag {
  uint64_t pos = 0;
  uint64_t sub = 0;
  friend bool operator<(const Tag& a, const Tag& b) {
    return a.pos != b.pos ? a.pos < b.pos : a.sub < b.sub;
  }
};

}  // namespace

uint32_t resolve_workers(uint32_t workers) {
  if (workers != 0) return workers;
  // The cores this process may run on (taskset, cgroup cpusets), not all the machine's.
  unsigned cores = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = unsigned(CPU_COUNT(&set));
  if (cores == 0) cores = std::thread::hardware_concurrency();
  // One reader feeds every worker; past kMaxAutoWorkers it is the bottleneck, and each
  // worker costs its share of memory.
  return std::clamp<unsigned>(cores, 1, kMaxAutoWorkers);
}

enum class ShardedSessions::Op : uint8_t { Packet, Tick, InputEnd };

// One round's input for one worker: packets, and clock ticks. A packet's bytes live only
// until the source's next packet unless the source lends its block (file reader): the
// batch then holds that block until it comes back to the reader, else the packet is
// copied into the batch's arena (live capture, rebuilt datagrams, NetMon files).
struct ShardedSessions::InputBatch {
  struct Entry {
    Op op;
    uint64_t pos;
    TimestampNs now;
    TimestampNs stamp;  // CaptureClock::stamp (packets)
    RawPacket raw;      // data points into a held block or `arena`
  };
  InputBatch(size_t max_entries, size_t arena_size)
      : arena(new uint8_t[arena_size]), arena_size(arena_size) {
    entries.reserve(max_entries);
    blocks.reserve(kBlocksPerRound);
  }
  std::vector<Entry> entries;
  std::unique_ptr<uint8_t[]> arena;
  size_t arena_size;
  size_t arena_used = 0;
  std::unique_ptr<uint8_t[]> big;  // a packet larger than the arena (rare): its own block
  // The source's blocks this batch's packets lie in, each held once (PacketBlock::holds).
  // Only the reader thread touches this: it lets go when the batch comes back.
  std::vector<PacketBlock*> blocks;
  // By the worker, done with the batch (the reader lets go of `blocks`).
  void clear() {
    entries.clear();
    arena_used = 0;
    big.reset();
  }
};

// One chunk of one worker's output for a round (`last`: the round's final chunk), its
// bytes cut into items by tag.
struct ShardedSessions::OutputBatch : OutputChunk {
  struct Item {
    Tag tag;
    uint32_t end;   // the item's bytes are text[previous item's end, end)
    int32_t event;  // index into events, or -1
  };
  std::vector<Item> items;
  void clear() {
    items.clear();
    OutputChunk::clear();
  }
};

// A worker: one session engine on its own thread, its own flow table and event pool.
struct ShardedSessions::Worker final : FlowEndHook, WorkerOutput::Listener {
  Worker(const SessionOptions& shared, uint32_t count, const ShardedOutputs& outputs,
         SharedBudget& buffers, SharedBudget& transcripts, size_t max_entries, size_t arena_size)
      : options(worker_options(shared, count)),
        output_side(options, outputs, transcripts, *this),
        flows(options.flow, analyzer_registry(), output_side.sessions(),
              output_side.analyzer_events()),
        // No ring ever fills (more slots than batches), so nobody waits for room: a pop
        // rings nobody, and does not wake the thread on the other side for nothing.
        input(kRingSlots, &bell, nullptr),
        free_input(kRingSlots, &reader_bell, nullptr),
        output(kRingSlots, &reader_bell, nullptr),
        free_output(kRingSlots, &bell, nullptr) {
    flows.set_end_hook(this);
    flows.share_buffer_budget(&buffers, count);
    for (size_t i = 0; i < kBatchesPerWorker; ++i) {
      input_batches.push_back(std::make_unique<InputBatch>(max_entries, arena_size));
      output_batches.push_back(std::make_unique<OutputBatch>());
      free_input.try_push(input_batches.back().get());
      free_output.try_push(output_batches.back().get());
    }
    thread = std::thread([this] { run(); });
  }
  // ShardedSessions::stop_workers() has told the thread to stop and seen it exit.
  ~Worker() override {
    if (thread.joinable()) thread.join();
  }

  void run() {
    // Named so that per-thread profiles (perf, top -H) tell the workers apart.
    pthread_setname_np(pthread_self(), "ns-worker");
    for (;;) {
      InputBatch* in = input.pop_wait(bell);
      if (in == nullptr || stop.load(std::memory_order_relaxed)) break;
      out = free_output.pop_wait(bell);
      const size_t n = in->entries.size();
      for (size_t i = 0; i < n; ++i) {
        if (stop.load(std::memory_order_relaxed)) break;  // unwinding: skip the rest
        // The reader's core wrote these bytes: start fetching them before they are needed.
        if (i + 2 < n) __builtin_prefetch(in->entries[i + 2].raw.data.data());
        process(in->entries[i]);
      }
      in->clear();
      free_input.push_wait(in, bell);
      hand_over(true);
    }
    exited.store(true, std::memory_order_release);
    reader_bell.ring();
  }

  // Sends the output so far to the writer: the round's end, or a chunk of it (a full
  // one: several per round when one round makes much, such as the end of an input or a
  // time jump ending a million flows).
  void hand_over(bool last) {
    sweep();
    output_side.move_to(*out);
    last_end = 0;
    out->last = last;
    output.push_wait(out, bell);
    out = last ? nullptr : free_output.pop_wait(bell);
  }
  void maybe_hand_over() {
    if (output_side.chunk_full(*out)) hand_over(false);
  }

  void process(InputBatch::Entry& e) {
    set_tag(Tag{e.pos, 0});
    flows.set_clock(e.now, e.op == Op::Packet ? e.stamp : e.now);
    switch (e.op) {
      case Op::Packet:
        // Decoding again here costs less than handing the reader's 312-byte view over
        // (written on one core, read on another), and it runs in parallel. The session
        // engine reads no checksum status, so the default options do.
        decoder.decode(e.raw, view);
        flows.set_position(e.pos);
        flows.on_packet(view);
        break;
      case Op::Tick:
        flows.advance_time(e.now);
        break;
      case Op::InputEnd:
        flows.flush_all(true);
        break;
    }
  }

  void on_flow_ending(int idle_list, uint64_t touch_pos) override {
    set_tag(Tag{tag.pos, (uint64_t(idle_list) + 1) << 56 | touch_pos});
  }

  // Bytes written since the last item (text records) become an item of the tag they
  // were written under.
  void sweep() {
    if (output_side.rendered() > last_end) {
      out->items.push_back({tag, uint32_t(output_side.rendered()), -1});
      last_end = output_side.rendered();
    }
  }
  void set_tag(Tag t) {
    sweep();
    maybe_hand_over();
    tag = t;
  }

  void on_event(const Event& e, bool analyzer) override {
    sweep();
    int32_t index = output_side.take(e, analyzer, *out);
    if (output_side.rendered() > last_end || index >= 0) {
      out->items.push_back({tag, uint32_t(output_side.rendered()), index});
      last_end = output_side.rendered();
    }
    maybe_hand_over();
  }

  // The reader sleeps here while it waits for this worker (its output, a free batch,
  // its exit): one per worker, so that only the worker it waits for wakes it (with 16
  // workers, waking for each one's news cost the reader a sixth of its time).
  Doorbell reader_bell;
  SessionOptions options;
  WorkerOutput output_side;
  FlowTable flows;
  Decoder decoder;
  PacketView view;
  Tag tag;
  size_t last_end = 0;
  OutputBatch* out = nullptr;

  Doorbell bell;  // the worker sleeps here
  // Set by the reader when the engine goes away: the thread skips what it has left.
  std::atomic<bool> stop{false};
  std::atomic<bool> exited{false};  // the thread's last act (then it rings reader_bell)
  SpscRing<InputBatch*> input, free_input;
  SpscRing<OutputBatch*> output, free_output;
  std::vector<std::unique_ptr<InputBatch>> input_batches;
  std::vector<std::unique_ptr<OutputBatch>> output_batches;
  std::thread thread;
};

ShardedSessions::ShardedSessions(const SessionOptions& options, uint32_t workers,
                                 ShardedOutputs outputs, bool one_capture, bool live)
    : options_(options),
      outputs_(outputs),
      one_capture_(one_capture),
      live_(live),
      defrag_(options.defrag, decoder_),
      buffers_(options.flow.max_buffer_total, std::max<uint32_t>(workers, 1)),
      transcripts_(options.max_session_data_total, std::max<uint32_t>(workers, 1)),
      // A place outlives the flow in its worker: its protocol's idle timeout (TCP: and
      // the linger after close), and a minute's margin.
      placer_(std::max<uint32_t>(workers, 1), options.flow.max_flows,
              options.flow.tcp_timeout + options.flow.tcp_closed_linger + 60 * kNsPerSec,
              options.flow.udp_timeout + 60 * kNsPerSec) {
  uint32_t n = std::max<uint32_t>(workers, 1);
  // FTP data connections go to their control connection's worker, which expects them.
  if (options.flow.app.enabled) {
    auto configured = options.flow.app.ports.find("ftp");
    placer_.set_control_ports(
        configured != options.flow.app.ports.end()
            ? configured->second
            : std::vector<uint16_t>(kFtpAnalyzer.ports.begin(), kFtpAnalyzer.ports.end()));
  }
  // Input memory stays about the same whatever the number of workers: a round holds at
  // most ~4096 packets (entries of 72 bytes: the bytes are lent or in the arena), ~1 MiB
  // of copied ones, and kBlocksPerRound lent blocks. Fewer, larger rounds wake sleeping
  // threads less often (each wake is a futex call). With more than 8 workers a batch
  // still holds 512 (a round up to ~8,000 packets, about as many bytes as the lent
  // blocks allow): every round costs the reader a wake-up, a batch and a chunk per
  // worker, 16 % of its time at 16 workers with 256.
  size_t max_entries = std::max<size_t>(512, 4096 / n);
  size_t arena = std::max<size_t>(64 << 10, (1u << 20) / n);
  for (uint32_t i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(options_, n, outputs_, buffers_, transcripts_,
                                                max_entries, arena));
  }
  current_.resize(n, nullptr);
  heads_.resize(n);
  for (uint32_t i = 0; i < n; ++i) current_[i] = take_batch(i);
}

ShardedSessions::~ShardedSessions() {
  // Without finish() (an exception, an early return) workers may be busy or blocked
  // handing over output nobody will write: stop_workers() copes with both.
  stop_workers();
}

void ShardedSessions::stop_workers() {
  if (workers_.empty()) return;
  for (auto& w : workers_) {
    w->stop.store(true, std::memory_order_relaxed);
    // Never full: a worker has fewer batches than ring slots.
    w->input.try_push(nullptr);
  }
  // A worker waiting for an output batch gets one: what it handed over is dropped.
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (heads_[i].batch) {
      heads_[i].batch->clear();
      workers_[i]->free_output.try_push(heads_[i].batch);
      heads_[i] = Head{};
    }
  }
  // One worker at a time: none waits for another, only for its output to be taken.
  for (auto& w : workers_) {
    for (;;) {
      uint32_t seen = w->reader_bell.prepare();
      OutputBatch* b = nullptr;
      while (w->output.try_pop(b)) {
        b->clear();
        w->free_output.try_push(b);
      }
      if (w->exited.load(std::memory_order_acquire)) break;
      w->reader_bell.wait(seen);
    }
  }
  // No thread reads a packet any more: every block goes back to the source.
  for (auto& w : workers_) {
    for (auto& b : w->input_batches) {
      for (PacketBlock* block : b->blocks) --block->holds;
      b->blocks.clear();
    }
  }
  workers_.clear();  // joins
}

ShardedSessions::InputBatch* ShardedSessions::take_batch(size_t worker) {
  InputBatch* b = workers_[worker]->free_input.pop_wait(workers_[worker]->reader_bell);
  // The worker is done with the batch's packets: the source may reuse their blocks.
  for (PacketBlock* block : b->blocks) --block->holds;
  b->blocks.clear();
  return b;
}

bool ShardedSessions::round_full(const InputBatch& b, size_t bytes) const {
  return b.entries.size() == b.entries.capacity() || b.arena_size - b.arena_used < bytes;
}

void ShardedSessions::broadcast(Op op, TimestampNs now) {
  for (InputBatch* b : current_) {
    if (b->entries.size() == b->entries.capacity()) {
      if (!end_round(!live_)) drop_round();
      break;
    }
  }
  for (InputBatch* b : current_) {
    InputBatch::Entry& e = b->entries.emplace_back();
    e.op = op;
    e.pos = pos_;
    e.now = now;
  }
  ++pos_;
  round_empty_ = false;
}

void ShardedSessions::send(const PacketView& view, TimestampNs now, TimestampNs stamp) {
  // The place lasts from the flow's stamp, as the worker's idle time does, and is
  // swept against the progress time, which a lone packet stamped far ahead does not move.
  uint32_t w =
      placer_.place(FlowPlacer::key(view), view.raw->caplen, view.l4 == L4::Tcp, stamp, now, &view);
  PacketBlock* block = view.raw->block;
  size_t bytes = block ? 0 : view.raw->caplen;  // to copy
  bool new_block = block && block != round_block_;
  if (((round_full(*current_[w], bytes) && !current_[w]->entries.empty()) ||
       (new_block && round_blocks_ == kBlocksPerRound)) &&
      !end_round(!live_)) {
    drop_round();
  }
  InputBatch& b = *current_[w];
  InputBatch::Entry& e = b.entries.emplace_back();
  e.op = Op::Packet;
  e.pos = pos_++;
  e.now = now;
  e.stamp = stamp;
  e.raw = *view.raw;
  round_empty_ = false;
  if (block) {
    // Lent: the batch holds the block until it comes back (take_batch).
    if (block != round_block_) {
      round_block_ = block;
      ++round_blocks_;
    }
    if (b.blocks.empty() || b.blocks.back() != block) {
      ++block->holds;
      b.blocks.push_back(block);
    }
    return;
  }
  uint8_t* copy;
  if (b.arena_size - b.arena_used >= bytes) {
    copy = b.arena.get() + b.arena_used;
    b.arena_used += bytes;
  } else {
    // Larger than a whole arena (the round was just started): a block of its own.
    b.big.reset(new uint8_t[bytes]);
    copy = b.big.get();
    b.arena_used = b.arena_size;
  }
  if (bytes) std::memcpy(copy, view.raw->data.data(), bytes);
  e.raw.data = ByteView(copy, bytes);
}

void ShardedSessions::on_packet(const PacketView& view, uint64_t) {
  // The clock and the expiry rhythm are those of SessionPipeline::on_packet.
  TimestampNs now = clock_.on_packet(view.raw->ts);
  defrag_.set_clock(now);
  if (++packets_since_expiry_ >= 64) {
    packets_since_expiry_ = 0;
    broadcast(Op::Tick, now);
    defrag_.expire(now);
  }
  const PacketView* v = &view;
  if (view.fragment) {
    switch (defrag_.add(view, assembled_)) {
      case IpDefragmenter::Result::Held:
        return;
      case IpDefragmenter::Result::Complete:
        v = &assembled_;
        break;
      case IpDefragmenter::Result::NotFragment:
        break;
    }
  }
  if (!FlowTable::accepts(*v, options_.flow.track_udp)) return;
  send(*v, now, clock_.stamp());
}

void ShardedSessions::on_input_end(bool last) {
  if (one_capture_ || last) return;  // the last input's flows end in finish()
  broadcast(Op::InputEnd, clock_.now());
  placer_.clear();  // every flow has ended
  defrag_.finish();
  clock_.reset();
  packets_since_expiry_ = 0;
  end_round();
}

void ShardedSessions::on_idle(TimestampNs wall_now) {
  TimestampNs now = clock_.on_wall_time(wall_now);
  defrag_.set_clock(now);
  broadcast(Op::Tick, now);
  defrag_.expire(now);
}

void ShardedSessions::flush() {
  // Live capture never waits here: an unsent round keeps filling until the next flush.
  end_round(!live_);
  drain(false);
}

void ShardedSessions::finish() {
  if (finished_) return;
  finished_ = true;
  broadcast(Op::InputEnd, clock_.now());
  defrag_.finish();
  end_round();
  drain(true);
  std::vector<const AppLayer*> layers;
  for (auto& w : workers_) {
    // The worker is idle (every round written): its counters are final.
    totals_.add(w->flows.stats());
    totals_.add(w->flows.app_layer().stats());
    layers.push_back(&w->flows.app_layer());
  }
  totals_.analyzers = AppLayer::summaries(layers);
  totals_.defrag = defrag_.stats();
  stop_workers();
}

bool ShardedSessions::end_round(bool wait) {
  if (round_empty_) return true;
  if (!wait) {
    drain(false);
    if (in_flight_ >= kRoundsInFlight) return false;  // workers are behind
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    w.input.push_wait(current_[i], w.reader_bell);
  }
  ++in_flight_;
  round_empty_ = true;
  // Room for the next round: write the oldest while too many are out.
  drain(true, kRoundsInFlight);
  for (size_t i = 0; i < workers_.size(); ++i) current_[i] = take_batch(i);
  round_block_ = nullptr;
  round_blocks_ = 0;
  return true;
}

// Live capture, batches full and the workers still busy with older rounds: the packets
// of this round are dropped (counted), so that reading keeps up with the interface.
void ShardedSessions::drop_round() {
  bool empty = true;
  for (InputBatch* b : current_) {
    size_t before = b->entries.size();
    std::erase_if(b->entries, [](const InputBatch::Entry& e) { return e.op == Op::Packet; });
    dropped_ += before - b->entries.size();
    if (b->entries.size() == b->entries.capacity()) b->entries.clear();  // ticks only
    b->arena_used = 0;
    b->big.reset();
    for (PacketBlock* block : b->blocks) --block->holds;
    b->blocks.clear();
    empty = empty && b->entries.empty();
  }
  round_empty_ = empty;
  round_block_ = nullptr;
  round_blocks_ = 0;
}

void ShardedSessions::drain(bool wait, size_t keep_in_flight) {
  while (in_flight_ > keep_in_flight || (!wait && in_flight_ > 0)) {
    if (!write_round(wait)) return;
    --in_flight_;
  }
}

// The oldest round, merged by tag over the workers' chunks as they come: with
// --ordered everything (the bytes, file events and detector input one engine would
// write, in its order); by default each chunk's bytes and file events as soon as it
// comes (per flow in order, cheapest) and only the login attempts merged, so that the
// detectors' alerts do not depend on the number of workers. Holds one chunk per
// worker at a time. Without `wait`, returns false when a chunk it needs has not come
// yet (and resumes there next time).
bool ShardedSessions::write_round(bool wait) {
  const bool ordered = options_.ordered;
  // Past what this mode does item by item: everything (ordered) or login attempts.
  auto skip = [&](Head& h) {
    if (ordered) return;
    const OutputBatch& b = *h.batch;
    if (b.auth == 0 || !outputs_.auth) {
      h.next = b.items.size();
      return;
    }
    while (h.next < b.items.size() &&
           (b.items[h.next].event < 0 || !b.events[size_t(b.items[h.next].event)].auth)) {
      ++h.next;
    }
  };
  for (;;) {
    // Every worker: an item to look at, or its round's output all seen.
    for (size_t i = 0; i < workers_.size(); ++i) {
      Head& h = heads_[i];
      while (!h.round_done && (!h.batch || h.next == h.batch->items.size())) {
        if (h.batch) {
          h.round_done = h.batch->last;
          h.batch->clear();
          workers_[i]->free_output.push_wait(h.batch, workers_[i]->reader_bell);
          h.batch = nullptr;
          if (h.round_done) break;
        }
        OutputBatch* b = nullptr;
        if (wait) {
          b = workers_[i]->output.pop_wait(workers_[i]->reader_bell);
        } else if (!workers_[i]->output.try_pop(b)) {
          return false;
        }
        h = Head{b, 0, 0, false};
        if (!ordered) write_chunk(*b, outputs_, false);
        skip(h);
      }
    }
    size_t best = workers_.size();
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (heads_[i].round_done) continue;
      if (best == workers_.size() || heads_[i].batch->items[heads_[i].next].tag <
                                         heads_[best].batch->items[heads_[best].next].tag) {
        best = i;
      }
    }
    if (best == workers_.size()) {
      for (Head& h : heads_) h.round_done = false;
      return true;
    }
    Head& h = heads_[best];
    OutputBatch& b = *h.batch;
    const OutputBatch::Item& item = b.items[h.next++];
    if (ordered) {
      if (item.end > h.start && outputs_.out) {
        outputs_.out->append(b.text.view().substr(h.start, item.end - h.start));
        outputs_.out->end_record();
      }
      h.start = item.end;
    }
    if (item.event >= 0) {
      const OutputBatch::Copy& c = b.events[size_t(item.event)];
      if (ordered && c.to_files) outputs_.files->emit(c.event);
      if (c.auth) outputs_.auth->watch(c.event);
    }
    skip(h);
  }
}

void ShardedSessions::print_summary(FILE* out) const {
  print_session_summary(out, totals_);
  if (dropped_) {
    std::fprintf(out, "netsift: %lu packets dropped: the workers could not keep up\n",
                 (unsigned long)dropped_);
  }
}

}  // namespace netsift
