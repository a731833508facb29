// Which worker a packet goes to when flows are sharded over threads (--workers): a
// hash of its flow that both directions share, so a conversation lives on one worker.
#pragma once

#include <cstdint>

#include "decode/packet_view.h"

namespace netsift {

// Symmetric in (source, destination). Tunnelled packets hash by their innermost flow
// (the decoder's src/dst fields). A fragment hashes by its address pair and IP
// protocol only — every fragment of a datagram, first (with ports) or not, gets the
// same value — and so does any packet without ports. `whole`: the packet is known to
// be a complete datagram (already defragmented), so its ports count even when the
// decoder flagged it as a fragment (an IPv6 atomic fragment).
uint64_t flow_hash(const PacketView& v, bool whole = false);

// The shard (0 .. shards-1) for a hash, evenly spread.
inline uint32_t shard_of(uint64_t hash, uint32_t shards) {
  return uint32_t((uint64_t(uint32_t(hash >> 32)) * shards) >> 32);
}

}  // namespace netsift
