#include "app/fanout_sessions.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "capture/live_source.h"

namespace netsift {
namespace {

// A worker hands its output over at least this often when it has some (live output
// reaches the reader as with one engine), and whenever a chunk is full.
constexpr auto kHandOverEvery = std::chrono::milliseconds(200);
constexpr size_t kChunksPerWorker = 4;  // bounds a worker's output not yet written
constexpr size_t kRingSlots = 8;        // >= kChunksPerWorker

TimestampNs wall_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<IpAddress> parse_hosts(const std::vector<std::string>& hosts) {
  std::vector<IpAddress> out;
  for (const auto& h : hosts) {
    IpAddress a;
    if (parse_address(h, a)) out.push_back(a);  // the pump has rejected bad ones already
  }
  return out;
}

}  // namespace

// One socket of the fanout group and a whole session engine on its own thread.
struct FanoutSessions::Worker final : WorkerOutput::Listener {
  Worker(const SessionOptions& shared, uint32_t count, const CaptureOptions& capture,
         const ShardedOutputs& outputs, LiveSource& source, FanoutSessions& owner,
         const std::atomic<bool>& stop)
      : options(split(shared, count)),
        capture(capture),
        source(source),
        owner(owner),
        stop(stop),
        intake(capture, parse_hosts(capture.hosts)),
        output_side(options, outputs, owner.transcripts_, *this),
        engine(options, output_side.sessions(), output_side.analyzer_events()),
        output(kRingSlots, &owner.bell_, &bell),
        free_chunks(kRingSlots, &bell, &owner.bell_) {
    engine.share_buffer_budget(&owner.buffers_, count);
    for (size_t i = 0; i < kChunksPerWorker; ++i) {
      chunks.push_back(std::make_unique<OutputChunk>());
      free_chunks.try_push(chunks.back().get());
    }
  }

  // The caps are shared out as with --workers (the kernel hashes flows evenly over
  // the sockets).
  static SessionOptions split(const SessionOptions& s, uint32_t n) {
    SessionOptions o = worker_options(s, n);
    o.ordered = false;  // no global order to keep
    return o;
  }

  void run() {
    using Clock = std::chrono::steady_clock;
    out = free_chunks.pop_wait(bell);
    RawPacket raw;
    PacketView view;
    auto last_hand_over = Clock::now();
    const uint64_t count = capture.count;
    while (!stop.load(std::memory_order_relaxed) && !owner.halt_.load(std::memory_order_relaxed)) {
      auto status = source.next(raw);
      if (status == PacketSource::Status::End) break;
      if (status == PacketSource::Status::Error) {
        error = source.error();
        owner.halt_.store(true);  // the capture is broken: end the run, as one reader does
        break;
      }
      if (status == PacketSource::Status::Idle) {
        engine.on_idle(wall_now());
        hand_over(false);
        last_hand_over = Clock::now();
        continue;
      }
      ++stats.frames_read;
      if (!intake.accept(raw, view, stats)) continue;
      if (count) {
        // -c counts over all workers: a ticket per accepted packet, exactly N taken.
        uint64_t ticket = owner.taken_.fetch_add(1, std::memory_order_relaxed);
        if (ticket >= count) {
          --stats.frames_read;  // another worker took the last one: not part of the run
          break;
        }
        if (ticket + 1 == count) owner.halt_.store(true, std::memory_order_relaxed);
      }
      PacketIntake::count(view, stats);
      engine.on_packet(view, stats.frames_read);
      // (A steady trickle never leaves the socket idle: the clock decides, as in the pump.)
      if (capture.line_buffered || Clock::now() - last_hand_over > kHandOverEvery) {
        hand_over(false);
        last_hand_over = Clock::now();
      }
    }
    stats.kernel_dropped = source.dropped();
    engine.finish();
    hand_over(true);
  }

  // Sends what was gathered to the writer (always at the end, else only when there is
  // something).
  void hand_over(bool last) {
    if (!last && output_side.rendered() == 0 && out->events.empty()) return;
    output_side.move_to(*out);
    out->last = last;
    output.push_wait(out, bell);
    out = last ? nullptr : free_chunks.pop_wait(bell);
  }

  void on_event(const Event& e, bool analyzer) override {
    output_side.take(e, analyzer, *out);
    if (output_side.chunk_full(*out)) hand_over(false);
  }

  SessionOptions options;
  const CaptureOptions& capture;
  LiveSource& source;
  FanoutSessions& owner;
  const std::atomic<bool>& stop;
  PacketIntake intake;
  RunStats stats;
  std::string error;
  WorkerOutput output_side;
  SessionPipeline engine;
  OutputChunk* out = nullptr;

  Doorbell bell;  // the worker sleeps here (waiting for a free chunk)
  SpscRing<OutputChunk*> output, free_chunks;
  std::vector<std::unique_ptr<OutputChunk>> chunks;
  bool done = false;  // writer side: its last chunk was written
  std::thread thread;
};

FanoutSessions::FanoutSessions(const SessionOptions& options, const CaptureOptions& capture,
                               PacketPump& pump, ShardedOutputs outputs,
                               const std::atomic<bool>& stop)
    : outputs_(outputs),
      pump_(pump),
      buffers_(options.flow.max_buffer_total,
               std::max<uint32_t>(uint32_t(pump.fanout_sources().size()), 1)),
      transcripts_(options.max_session_data_total,
                   std::max<uint32_t>(uint32_t(pump.fanout_sources().size()), 1)) {
  std::vector<LiveSource*> sources = pump.fanout_sources();
  for (LiveSource* s : sources) {
    workers_.push_back(std::make_unique<Worker>(options, uint32_t(sources.size()), capture,
                                                outputs_, *s, *this, stop));
  }
}

// run() has joined every worker it started.
FanoutSessions::~FanoutSessions() = default;

int FanoutSessions::run(PacketConsumer& control) {
  for (auto& w : workers_) {
    Worker* p = w.get();
    w->thread = std::thread([p] { p->run(); });
  }
  size_t done = 0;
  bool failed = false;
  while (done < workers_.size()) {
    uint32_t seen = bell_.prepare();
    bool wrote = false;
    for (auto& w : workers_) {
      OutputChunk* c = nullptr;
      while (!w->done && w->output.try_pop(c)) {
        // In the worker's order: there is no global one.
        write_chunk(*c, outputs_, true);
        wrote = true;
        w->done = c->last;
        done += w->done;
        c->clear();
        w->free_chunks.try_push(c);  // never full: fewer chunks than slots
      }
    }
    if (wrote) {
      control.flush();
      if (!failed && control.output_failed()) {
        failed = true;
        halt_.store(true);  // the workers end their flows; the failed output drops them
      }
      continue;
    }
    bell_.wait(seen);
  }
  int code = kExitOk;
  std::vector<const AppLayer*> layers;
  for (auto& w : workers_) {
    w->thread.join();
    if (!w->error.empty()) {
      std::fprintf(stderr, "netsift: %s\n", w->error.c_str());
      code = kExitError;
    }
    pump_.add_stats(w->stats);
    frames_.push_back(w->stats.frames_read);
    totals_.add(w->engine.flows().stats());
    totals_.add(w->engine.flows().app_layer().stats());
    totals_.add(w->engine.defrag_stats());
    layers.push_back(&w->engine.flows().app_layer());
  }
  totals_.analyzers = AppLayer::summaries(layers);
  return code;
}

void FanoutSessions::print_summary(FILE* out) const {
  std::string spread;
  for (uint64_t n : frames_) spread += fmt::format("{}{}", spread.empty() ? "" : ", ", n);
  std::fprintf(out, "netsift: --fanout over %zu sockets, frames per socket: %s\n", frames_.size(),
               spread.c_str());
  print_session_summary(out, totals_);
}

}  // namespace netsift
