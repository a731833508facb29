// Application protocol of a flow by deep packet inspection through nDPI (libndpi,
// linked dynamically): the first packets of each flow are shown to nDPI until it names
// the protocol or gives up. Its per-flow state (under 1 KiB) is allocated when a flow
// starts and freed when detection ends, and at most `max_states` flows are inspected at
// once (later flows go uninspected, counted), so memory stays bounded. The nDPI module
// is set up when the first flow is inspected: setting it up (its IP lists) costs about
// 0.1 s of CPU, which a worker that sees no flow, or a run over a tiny file, need not pay.
#pragma once

#include <cstdint>
#include <string_view>

struct ndpi_detection_module_struct;

namespace netsift {

class AppDetector {
 public:
  // False from enabled() once the nDPI module could not be set up.
  // Detection of a flow ends after at most this many packets shown to it.
  static constexpr unsigned kMaxPackets = 24;
  // nDPI reads at most this many bytes of a packet.
  static constexpr uint32_t kMaxPacketBytes = 65535;
  explicit AppDetector(size_t max_states = 16384, unsigned max_packets = kMaxPackets);
  ~AppDetector();
  AppDetector(const AppDetector&) = delete;
  AppDetector& operator=(const AppDetector&) = delete;

  bool enabled() const { return !set_up_failed_; }
  // A new inspection state, or nullptr when disabled or at the cap.
  void* begin();
  // Shows one packet (`ip` points at its IP header) to the flow's state. True when
  // detection is over: `app` is then nDPI's name for the protocol ("" if none; the text
  // lives as long as the detector) and `state` has been freed and set to nullptr.
  bool feed(void*& state, const uint8_t* ip, uint32_t length, int64_t ts_ms, std::string_view& app);
  // The flow ended first: nDPI's answer so far, without guessing by port; frees `state`.
  std::string_view finish(void*& state);
  uint64_t uninspected() const { return uninspected_; }

 private:
  std::string_view name_of(uint16_t master, uint16_t app) const;
  bool set_up();  // the module, on first use; false if nDPI could not set it up

  ::ndpi_detection_module_struct* module_ = nullptr;
  bool set_up_failed_ = false;
  size_t max_states_, states_ = 0;
  unsigned max_packets_;
  uint64_t uninspected_ = 0;
};

}  // namespace netsift
