#include "app/packet_pump.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <optional>

#include "capture/bpf_filter.h"
#include "capture/file_reader.h"
#include "capture/live_source.h"
#include "capture/pcap_writer.h"
#include "capture/privileges.h"

namespace netsift {

std::string plural(uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

PacketIntake::PacketIntake(const CaptureOptions& o, std::vector<IpAddress> hosts)
    : decoder_(DecoderOptions{o.verify_checksums}),
      asset_filter_(!hosts.empty() || !o.ports.empty()),
      hosts_(std::move(hosts)),
      ports_(o.ports) {}

bool PacketIntake::accept(const RawPacket& raw, PacketView& view, RunStats& stats) {
  decoder_.decode(raw, view);
  if (asset_filter_ && !passes_asset_filter(view)) {
    ++stats.frames_filtered;
    return false;
  }
  return true;
}

void PacketIntake::count(const PacketView& view, RunStats& stats) {
  if (view.problem_count == 0) {
    ++stats.frames_clean;
    return;
  }
  ++stats.frames_malformed;
  for (size_t i = 0; i < view.stored_problems(); ++i) stats.problems.add(view.problems[i]);
}

bool PacketIntake::passes_asset_filter(const PacketView& v) const {
  if (!hosts_.empty()) {
    if (v.src_ip.empty()) return false;
    if (std::find(hosts_.begin(), hosts_.end(), v.src_ip) == hosts_.end() &&
        std::find(hosts_.begin(), hosts_.end(), v.dst_ip) == hosts_.end()) {
      return false;
    }
  }
  if (!ports_.empty()) {
    if (!v.has_ports) return false;
    if (std::find(ports_.begin(), ports_.end(), v.src_port) == ports_.end() &&
        std::find(ports_.begin(), ports_.end(), v.dst_port) == ports_.end()) {
      return false;
    }
  }
  return true;
}

class PacketPump::Impl {
 public:
  Impl(const CaptureOptions& o, const std::atomic<bool>& stop, RunStats& stats, PacketPump& pump)
      : options_(o), stop_(stop), stats_(stats), pump_(pump), bpf_(o.bpf()) {}

  bool prepare(std::string& error, uint32_t fanout_sockets) {
    for (const auto& h : options_.hosts) {
      IpAddress a;
      if (!parse_address(h, a)) {
        error = fmt::format("--host: '{}' is not an IP address", h);
        return false;
      }
      hosts_.push_back(a);
    }
    intake_.emplace(options_, hosts_);
    if (!bpf_.validate(error)) {
      error = fmt::format("bad filter expression '{}': {}", bpf_.expression(), error);
      // `-r *.pcap` gives the first file to -r and the rest to the filter, as tcpdump
      // would: say how to read several files.
      struct stat st {};
      if (!options_.filter_words.empty() && !options_.read_files.empty() &&
          ::stat(options_.filter_words.front().c_str(), &st) == 0 && S_ISREG(st.st_mode))
        error += fmt::format(" ('{}' is a file: give each input its own -r)",
                             options_.filter_words.front());
      return false;
    }
    if (!options_.interface.empty()) {
      LiveOptions live;
      live.interface = options_.interface;
      live.snaplen = int(options_.snaplen);
      live.promiscuous = !options_.no_promiscuous;
      live.buffer_size_mb = int(options_.buffer_size_mb);
      live.immediate = options_.immediate;
      live.bpf = bpf_.expression();
      live_ = true;
      if (fanout_sockets > 0) {
        if (!open_fanout(live, fanout_sockets, error)) return false;
      } else {
        auto src = std::make_unique<LiveSource>(live, stop_);
        if (!src->open()) {
          error = src->error();
          return false;
        }
        sources_.push_back(std::move(src));
      }
    } else {
      for (const auto& path : options_.read_files) {
        ReadAheadPolicy read_ahead;
        read_ahead.other_threads = options_.worker_threads;
        read_ahead.lending = options_.workers_hold_blocks;
        read_ahead.threads = options_.read_ahead_threads;
        if (options_.read_ahead != "auto") {
          read_ahead.mode =
              options_.read_ahead == "on" ? ReadAheadPolicy::Mode::On : ReadAheadPolicy::Mode::Off;
        }
        auto src = std::make_unique<FileReader>(path, read_ahead);
        src->stop_on(&stop_);
        if (!src->open()) {
          error = src->error();
          return false;
        }
        // A filter that cannot work on a file's link type is known now: say so before
        // reading anything (as tcpdump does).
        int lt = src->fixed_linktype();
        std::string why;
        if (lt >= 0 && !bpf_.validate_for(uint16_t(lt), why)) {
          error = fmt::format("{}: filter '{}' cannot be applied to its link type {}: {}", path,
                              bpf_.expression(), lt, why);
          return false;
        }
        sources_.push_back(std::move(src));
      }
    }
    // As tcpdump: inputs are open, outputs (-w, sinks) are created as the new user.
    if (!options_.drop_user.empty() && !drop_privileges(options_.drop_user, error)) return false;
    return open_writer(error);
  }

  const std::vector<LiveSource*>& fanout() const { return fanout_; }

  int run(PacketConsumer& consumer) {
    int exit_code = kExitOk;
    RawPacket raw;
    PacketView view;
    using Clock = std::chrono::steady_clock;
    auto last_flush = Clock::now();
    for (size_t index = 0; index < sources_.size(); ++index) {
      PacketSource& src = *sources_[index];
      // Earlier inputs' blocks the consumer has let go of since.
      for (size_t done = 0; done < index; ++done) sources_[done]->trim();
      uint64_t frame = 0;
      bool failed = false;
      for (;;) {
        if (stop_.load(std::memory_order_relaxed)) {
          // Live capture ends this way; a file stopped midway is said so in the summary.
          if (!live_) pump_.note_interrupted();
          break;
        }
        if (options_.count && accepted_ >= options_.count) break;
        auto status = src.next(raw);
        if (status == PacketSource::Status::End) {
          if (!live_ && stop_.load(std::memory_order_relaxed)) pump_.note_interrupted();
          break;
        }
        if (status == PacketSource::Status::Idle) {
          consumer.on_idle(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
          if (!push_out(consumer)) {
            failed = true;
            break;
          }
          last_flush = Clock::now();
          continue;
        }
        if (status == PacketSource::Status::Error) {
          clear_progress();
          std::fprintf(stderr, "netsift: %s\n", src.error().c_str());
          exit_code = live_ ? kExitError : kExitDamaged;
          break;
        }
        ++frame;
        ++stats_.frames_read;
        if (progress_ && (frame & 0xffff) == 0) show_progress(src, index, frame);
        // Live sources filter in the kernel.
        if (!live_ && !bpf_.matches(raw)) {
          ++stats_.frames_filtered;
          report_filter_errors(exit_code);
          continue;
        }
        if (!intake_->accept(raw, view, stats_)) continue;
        PacketIntake::count(view, stats_);
        ++accepted_;
        if (writer_ && !writer_->write(raw, uint32_t(index))) {
          if (!writer_->error().empty()) {
            failed = true;
            break;
          }
          ++stats_.not_written;
        }
        consumer.on_packet(view, frame);
        if (options_.line_buffered ||
            (live_ && Clock::now() - last_flush > std::chrono::milliseconds(200))) {
          last_flush = Clock::now();
          if (!push_out(consumer)) {
            failed = true;
            break;
          }
        } else if ((frame & 255) == 0 && consumer.output_failed()) {
          failed = true;
          break;
        }
      }
      stats_.kernel_dropped += src.dropped();
      clear_progress();
      bool last = failed || index + 1 == sources_.size() || stop_.load() ||
                  (options_.count && accepted_ >= options_.count);
      consumer.on_input_end(last);
      src.trim();  // read no further: a read-ahead thread stops, unheld blocks go
      if (last) break;
    }
    if (writer_ && !writer_->close()) {
      // Reported below.
    }
    if (writer_ && !writer_->error().empty()) {
      if (writer_->error_code() == EPIPE) {
        pump_.note_broken_pipe();
      } else {
        std::fprintf(stderr, "netsift: %s\n", writer_->error().c_str());
        exit_code = kExitError;
      }
    }
    if (stats_.not_written) {
      std::fprintf(stderr,
                   "netsift: %s: %lu packets not written: their link type differs from the "
                   "file's (write a .pcapng file to keep them all)\n",
                   options_.write_file.c_str(), (unsigned long)stats_.not_written);
      exit_code = kExitError;
    }
    return exit_code;
  }

 private:
  bool open_writer(std::string& error) {
    if (options_.write_file.empty()) return true;
    // pcap holds one link type: pcapng is written when the inputs may hold several.
    bool pcapng = wants_pcapng(options_.write_file);
    int first = sources_.empty() ? -1 : sources_[0]->fixed_linktype();
    for (const auto& s : sources_) {
      if (s->fixed_linktype() < 0 || s->fixed_linktype() != first) pcapng = true;
    }
    writer_ = std::make_unique<PcapWriter>(options_.write_file,
                                           pcapng ? CaptureFormat::Pcapng : CaptureFormat::Pcap,
                                           uint16_t(std::max(first, 0)));
    if (!writer_->open()) {
      error = writer_->error();
      return false;
    }
    return true;
  }

  // --fanout: `n` handles joined to one fanout group; the capture counts from the moment
  // all have joined (LiveSource::start_at), so no packet is seen twice.
  bool open_fanout(LiveOptions live, uint32_t n, std::string& error) {
    // -B is the kernel memory for the whole capture: the sockets share it (each takes
    // a share of the traffic), so 16 workers do not take 16 times as much.
    live.buffer_size_mb = std::max(4, live.buffer_size_mb / int(n));
    int group = -1;
    for (uint32_t i = 0; i < n; ++i) {
      live.interface_drops = i == 0;
      auto src = std::make_unique<LiveSource>(live, stop_);
      if (!src->open() || !src->join_fanout(group)) {
        error = src->error();
        return false;
      }
      fanout_.push_back(src.get());
      sources_.push_back(std::move(src));
    }
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    for (LiveSource* s : fanout_) s->start_at(TimestampNs(now.tv_sec) * kNsPerSec + now.tv_nsec);
    return true;
  }

  // Flushes the consumer and -w; false when an output failed.
  bool push_out(PacketConsumer& consumer) {
    consumer.flush();
    if (writer_ && !writer_->flush()) return false;
    return !consumer.output_failed();
  }

  void report_filter_errors(int& exit_code) {
    for (const auto& e : bpf_.take_new_errors()) {
      clear_progress();
      std::fprintf(stderr, "netsift: %s\n", e.c_str());
      exit_code = kExitError;
    }
  }

  // "netsift: [2/3] b.pcap 45% (123456 frames)": this file's frames and position.
  void show_progress(const PacketSource& src, size_t index, uint64_t frames) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_progress_ < std::chrono::milliseconds(500)) return;
    last_progress_ = now;
    std::string which =
        sources_.size() > 1 ? fmt::format("[{}/{}] ", index + 1, sources_.size()) : "";
    if (src.size()) {
      std::fprintf(stderr, "\r\033[Knetsift: %s%s %.0f%% (%lu frames)", which.c_str(),
                   src.name().c_str(), 100.0 * double(src.position()) / double(src.size()),
                   (unsigned long)frames);
    } else {
      std::fprintf(stderr, "\r\033[Knetsift: %s%s %lu frames", which.c_str(), src.name().c_str(),
                   (unsigned long)frames);
    }
    progress_shown_ = true;
  }
  void clear_progress() {
    if (progress_shown_) std::fputs("\r\033[K", stderr);
    progress_shown_ = false;
  }

  const CaptureOptions& options_;
  const std::atomic<bool>& stop_;
  RunStats& stats_;
  PacketPump& pump_;
  BpfFilter bpf_;
  std::vector<IpAddress> hosts_;
  std::optional<PacketIntake> intake_;
  std::vector<LiveSource*> fanout_;  // --fanout: the handles in sources_
  std::vector<std::unique_ptr<PacketSource>> sources_;
  std::unique_ptr<PcapWriter> writer_;
  bool live_ = false;
  uint64_t accepted_ = 0;
  // Progress goes to a terminal on stderr, and only when stdout is not that terminal
  // too (the output itself shows progress there, and the line would garble it).
  bool progress_ = !options_.no_progress && options_.interface.empty() && isatty(STDERR_FILENO) &&
                   !isatty(STDOUT_FILENO);
  bool progress_shown_ = false;
  std::chrono::steady_clock::time_point last_progress_{};
};

PacketPump::PacketPump(const CaptureOptions& options, const std::atomic<bool>& stop)
    : options_(options), impl_(std::make_unique<Impl>(options, stop, stats_, *this)) {}
PacketPump::~PacketPump() = default;

bool PacketPump::prepare(std::string& error, uint32_t fanout_sockets) {
  return impl_->prepare(error, fanout_sockets);
}
std::vector<LiveSource*> PacketPump::fanout_sources() const {
  return impl_->fanout();
}

void PacketPump::add_stats(const RunStats& s) {
  stats_.frames_read += s.frames_read;
  stats_.frames_clean += s.frames_clean;
  stats_.frames_malformed += s.frames_malformed;
  stats_.frames_filtered += s.frames_filtered;
  stats_.kernel_dropped += s.kernel_dropped;
  stats_.not_written += s.not_written;
  for (size_t i = 0; i < kProblemCount; ++i) stats_.problems.counts[i] += s.problems.counts[i];
}
int PacketPump::run(PacketConsumer& consumer) {
  return impl_->run(consumer);
}

void PacketPump::print_summary(FILE* out) const {
  std::string line =
      fmt::format("netsift: {} read, {} decoded cleanly, {} malformed, {} filtered out",
                  plural(stats_.frames_read, "frame", "frames"), stats_.frames_clean,
                  stats_.frames_malformed, stats_.frames_filtered);
  if (stats_.kernel_dropped) line += fmt::format(", {} dropped by kernel", stats_.kernel_dropped);
  if (interrupted_) line += " (stopped by a signal before the end of the input)";
  std::fprintf(out, "%s\n", line.c_str());
  for (size_t i = 0; i < kProblemCount; ++i) {
    if (stats_.problems.counts[i]) {
      std::fprintf(out, "netsift:   %-36s %lu\n", std::string(kProblemNames[i]).c_str(),
                   (unsigned long)stats_.problems.counts[i]);
    }
  }
}

}  // namespace netsift
