#include "enrich/app_detect.h"

#include <algorithm>

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace netsift {
namespace {

// nDPI's flow state followed by the number of packets shown to it.
struct State {
  ndpi_flow_struct* flow;
  unsigned packets;
};

// Setting nDPI up initialises process-wide state too (libgcrypt's, for one), which two
// threads must not do at once; each stats worker sets its module up on its own thread.
std::mutex& set_up_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

AppDetector::AppDetector(size_t max_states, unsigned max_packets)
    : max_states_(max_states), max_packets_(max_packets) {}

bool AppDetector::set_up() {
  if (module_ || set_up_failed_) return module_ != nullptr;
  std::lock_guard<std::mutex> lock(set_up_mutex());
  module_ = ndpi_init_detection_module(ndpi_no_prefs);
  if (!module_) {
    set_up_failed_ = true;
    return false;
  }
  NDPI_PROTOCOL_BITMASK all;
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(module_, &all);
  ndpi_finalize_initialization(module_);
  return true;
}

AppDetector::~AppDetector() {
  if (module_) ndpi_exit_detection_module(module_);
}

void* AppDetector::begin() {
  if (!set_up()) return nullptr;
  if (states_ >= max_states_) {
    ++uninspected_;
    return nullptr;
  }
  auto* s = static_cast<State*>(std::calloc(1, sizeof(State)));
  if (!s) return nullptr;
  s->flow = static_cast<ndpi_flow_struct*>(std::calloc(1, SIZEOF_FLOW_STRUCT));
  if (!s->flow) {
    std::free(s);
    return nullptr;
  }
  ++states_;
  return s;
}

std::string_view AppDetector::name_of(uint16_t master, uint16_t app) const {
  uint16_t id = app != NDPI_PROTOCOL_UNKNOWN ? app : master;
  if (id == NDPI_PROTOCOL_UNKNOWN) return "";
  const char* name = ndpi_get_proto_name(module_, id);
  return name ? name : "";
}

bool AppDetector::feed(void*& state, const uint8_t* ip, uint32_t length, int64_t ts_ms,
                       std::string_view& app) {
  auto* s = static_cast<State*>(state);
  ndpi_protocol p = ndpi_detection_process_packet(
      module_, s->flow, ip, uint16_t(std::min(length, kMaxPacketBytes)), uint64_t(ts_ms));
  ++s->packets;
  const bool found =
      p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
  if (found && (!ndpi_extra_dissection_possible(module_, s->flow) || s->packets >= max_packets_)) {
    app = name_of(p.master_protocol, p.app_protocol);
    finish(state);
    return true;
  }
  if (s->packets >= max_packets_) {
    app = finish(state);
    return true;
  }
  return false;
}

std::string_view AppDetector::finish(void*& state) {
  auto* s = static_cast<State*>(state);
  if (!s) return "";
  uint8_t guessed = 0;
  ndpi_protocol p = ndpi_detection_giveup(module_, s->flow, 0, &guessed);
  std::string_view name = name_of(p.master_protocol, p.app_protocol);
  ndpi_free_flow_data(s->flow);
  std::free(s->flow);
  std::free(s);
  state = nullptr;
  --states_;
  return name;
}

}  // namespace netsift
