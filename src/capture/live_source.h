// Live capture from a network interface through libpcap (TPACKET_V3 on Linux when
// immediate mode is off). The BPF filter runs in the kernel. With --fanout several
// handles on one interface join one AF_PACKET fanout group, each reading its share of
// the flows (app/fanout_sessions.*).
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
  // Count the interface's own drops (ps_ifdrop) in dropped(): one handle of a fanout
  // group does, or the interface's figure would be counted once per handle.
  bool interface_drops = true;
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
  // --fanout (Linux): joins this open handle to an AF_PACKET fanout group that hashes
  // each packet's flow symmetrically (both directions reach one handle), IPv4 fragments
  // reassembled by the kernel first. `group` < 0 creates a group with an id the kernel
  // picks unused and sets `group` to it. False with error() set.
  bool join_fanout(int& group);
  // Drops packets stamped before `t` until the first one stamped at or after it: those
  // came to this handle before it joined the fanout group, and their copies went to the
  // group too.
  void start_at(TimestampNs t) { start_ = t; }

 private:
  LiveOptions options_;
  const std::atomic<bool>& stop_;
  std::string error_;
  pcap* handle_ = nullptr;
  uint16_t linktype_ = 0;
  TimestampNs start_ = 0;  // 0: every packet counts
};

}  // namespace netsift
