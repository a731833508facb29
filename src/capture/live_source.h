// Live capture from a network interface through libpcap (TPACKET_V3 on Linux when
// immediate mode is off). The BPF filter runs in the kernel.
#pragma once

#include <atomic>
#include <string>

#include "capture/raw_packet.h"

struct pcap;

namespace netsift {

struct LiveOptions {
  std::string interface;
  int snaplen = 262144;
  bool promiscuous = true;
  int buffer_size_mb = 64;
  bool immediate = false;
  int timeout_ms = 100;
  std::string bpf;
};

class LiveSource final : public PacketSource {
 public:
  // `stop` is polled between packets: set it from a signal handler to end cleanly.
  LiveSource(LiveOptions options, const std::atomic<bool>& stop);
  ~LiveSource() override;
  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;

  bool open();
  Status next(RawPacket& out) override;
  const std::string& error() const override { return error_; }
  std::string name() const override { return options_.interface; }
  uint64_t dropped() const override;
  int fixed_linktype() const override { return linktype_; }
  // Unblocks a pending read; safe from a signal handler.
  void break_loop();

 private:
  LiveOptions options_;
  const std::atomic<bool>& stop_;
  std::string error_;
  pcap* handle_ = nullptr;
  uint16_t linktype_ = 0;
};

}  // namespace netsift
