#include "app/packet_pump.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "capture/bpf_filter.h"
#include "capture/file_reader.h"
#include "capture/live_source.h"
#include "capture/pcap_writer.h"
#include "capture/privileges.h"

namespace netsift {

class PacketPump::Impl {
 public:
  Impl(const CaptureOptions& o, const std::atomic<bool>& stop, RunStats& stats)
      : options_(o),
        stop_(stop),
        stats_(stats),
        bpf_(o.bpf()),
        decoder_(DecoderOptions{o.verify_checksums}) {}

  bool prepare(std::string& error) {
    if (options_.read_files.empty() == options_.interface.empty()) {
      error = "give either -r FILE (one or more) or -i INTERFACE";
      return false;
    }
    for (const auto& h : options_.hosts) {
      IpAddress a;
      if (!parse_address(h, a)) {
        error = fmt::format("--host: '{}' is not an IP address", h);
        return false;
      }
      hosts_.push_back(a);
    }
    if (!bpf_.validate(error)) {
      error = fmt::format("bad filter expression '{}': {}", bpf_.expression(), error);
      return false;
    }
    if (!options_.interface.empty()) {
      LiveOptions live;
      live.interface = options_.interface;
      live.snaplen = options_.snaplen;
      live.promiscuous = !options_.no_promiscuous;
      live.buffer_size_mb = options_.buffer_size_mb;
      live.immediate = options_.immediate;
      live.bpf = bpf_.expression();
      auto src = std::make_unique<LiveSource>(live, stop_);
      if (!src->open()) {
        error = src->error();
        return false;
      }
      live_ = true;
      sources_.push_back(std::move(src));
      if (!options_.drop_user.empty() && !drop_privileges(options_.drop_user, error)) return false;
      return true;
    }
    for (const auto& path : options_.read_files) {
      auto src = std::make_unique<FileReader>(path);
      if (!src->open()) {
        error = src->error();
        return false;
      }
      sources_.push_back(std::move(src));
    }
    // As tcpdump: inputs are open, outputs (-w, sinks) are created as the new user.
    if (!options_.drop_user.empty() && !drop_privileges(options_.drop_user, error)) return false;
    if (!options_.write_file.empty()) writer_ = std::make_unique<PcapWriter>(options_.write_file);
    return true;
  }

  int run(PacketConsumer& consumer) {
    int exit_code = kExitOk;
    bool progress = !options_.no_progress && !live_ && isatty(STDERR_FILENO);
    RawPacket raw;
    PacketView view;
    for (auto& src : sources_) {
      uint64_t frame = 0;
      for (;;) {
        if (stop_.load(std::memory_order_relaxed)) break;
        if (options_.count && accepted_ >= options_.count) break;
        auto status = src->next(raw);
        if (status == PacketSource::Status::End) break;
        if (status == PacketSource::Status::Idle) {
          consumer.on_idle(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
          continue;
        }
        if (status == PacketSource::Status::Error) {
          std::fprintf(stderr, "netsift: %s\n", src->error().c_str());
          exit_code = live_ ? kExitError : kExitDamaged;
          break;
        }
        ++frame;
        ++stats_.frames_read;
        if (progress && (stats_.frames_read & 0xffff) == 0) show_progress(*src);
        // Live sources filter in the kernel.
        if (!live_ && !bpf_.matches(raw)) {
          ++stats_.frames_filtered;
          continue;
        }
        decoder_.decode(raw, view);
        count_problems(view);
        if (!passes_asset_filter(view)) {
          ++stats_.frames_filtered;
          continue;
        }
        ++accepted_;
        if (writer_ && !writer_->write(raw)) {
          std::fprintf(stderr, "netsift: %s\n", writer_->error().c_str());
          writer_.reset();
          exit_code = kExitError;
        }
        consumer.on_packet(view, frame);
      }
      stats_.kernel_dropped += src->dropped();
      consumer.on_input_end();
      if (progress) std::fputs("\r\033[K", stderr);
      if (stop_.load() || (options_.count && accepted_ >= options_.count)) break;
    }
    if (writer_ && !writer_->close()) {
      std::fprintf(stderr, "netsift: %s\n", writer_->error().c_str());
      exit_code = kExitError;
    }
    return exit_code;
  }

 private:
  void count_problems(const PacketView& v) {
    if (v.problem_count == 0) {
      ++stats_.frames_clean;
      return;
    }
    ++stats_.frames_malformed;
    for (size_t i = 0; i < v.stored_problems(); ++i) stats_.problems.add(v.problems[i]);
  }

  bool passes_asset_filter(const PacketView& v) const {
    if (!hosts_.empty()) {
      if (v.src_ip.empty()) return false;
      if (std::find(hosts_.begin(), hosts_.end(), v.src_ip) == hosts_.end() &&
          std::find(hosts_.begin(), hosts_.end(), v.dst_ip) == hosts_.end()) {
        return false;
      }
    }
    if (!options_.ports.empty()) {
      if (!v.has_ports) return false;
      const auto& p = options_.ports;
      if (std::find(p.begin(), p.end(), v.src_port) == p.end() &&
          std::find(p.begin(), p.end(), v.dst_port) == p.end()) {
        return false;
      }
    }
    return true;
  }

  void show_progress(const PacketSource& src) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_progress_ < std::chrono::milliseconds(500)) return;
    last_progress_ = now;
    if (src.size()) {
      std::fprintf(stderr, "\r\033[Knetsift: %s %.0f%% (%lu frames)", src.name().c_str(),
                   100.0 * double(src.position()) / double(src.size()),
                   (unsigned long)stats_.frames_read);
    } else {
      std::fprintf(stderr, "\r\033[Knetsift: %s %lu frames", src.name().c_str(),
                   (unsigned long)stats_.frames_read);
    }
  }

  const CaptureOptions& options_;
  const std::atomic<bool>& stop_;
  RunStats& stats_;
  BpfFilter bpf_;
  Decoder decoder_;
  std::vector<IpAddress> hosts_;
  std::vector<std::unique_ptr<PacketSource>> sources_;
  std::unique_ptr<PcapWriter> writer_;
  bool live_ = false;
  uint64_t accepted_ = 0;
  std::chrono::steady_clock::time_point last_progress_{};
};

PacketPump::PacketPump(const CaptureOptions& options, const std::atomic<bool>& stop)
    : impl_(std::make_unique<Impl>(options, stop, stats_)) {}
PacketPump::~PacketPump() = default;

bool PacketPump::prepare(std::string& error) {
  return impl_->prepare(error);
}
int PacketPump::run(PacketConsumer& consumer) {
  return impl_->run(consumer);
}

void PacketPump::print_summary(FILE* out) const {
  std::string line = fmt::format(
      "netsift: {} frames read, {} decoded cleanly, {} malformed, {} filtered out",
      stats_.frames_read, stats_.frames_clean, stats_.frames_malformed, stats_.frames_filtered);
  if (stats_.kernel_dropped) line += fmt::format(", {} dropped by kernel", stats_.kernel_dropped);
  std::fprintf(out, "%s\n", line.c_str());
  for (size_t i = 0; i < kProblemCount; ++i) {
    if (stats_.problems.counts[i]) {
      std::fprintf(out, "netsift:   %-36s %lu\n", std::string(kProblemNames[i]).c_str(),
                   (unsigned long)stats_.problems.counts[i]);
    }
  }
}

}  // namespace netsift
