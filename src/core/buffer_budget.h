// A shared count of bytes held by buffers that grow with traffic (out-of-order TCP data,
// analyzer tails and probe buffers), checked against one global cap.
#pragma once

#include <cstdint>

namespace netsift {

struct BufferBudget {
  uint64_t held = 0;
  uint64_t limit = 256ull << 20;
  bool can_take(uint64_t bytes) const { return held + bytes <= limit; }
};

}  // namespace netsift
