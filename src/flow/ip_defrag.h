// IPv4 and IPv6 fragment reassembly, ahead of flow processing. Overlapping fragments
// keep the bytes that arrived first; differing overlapping bytes are counted as
// conflicts. Incomplete datagrams expire after a timeout; the number of datagrams and
// the bytes held are capped, and whatever a cap or a timeout discards is counted.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "core/problems.h"
#include "decode/decoder.h"
#include "decode/packet_view.h"

namespace netsift {

struct DefragConfig {
  TimestampNs timeout = 30 * kNsPerSec;
  size_t max_datagrams = 8192;
  size_t max_bytes = 64u << 20;
};

struct DefragStats {
  uint64_t fragments = 0;
  uint64_t reassembled = 0;
  uint64_t timed_out = 0;
  uint64_t cap_dropped = 0;
  uint64_t conflicting_overlaps = 0;
  uint64_t too_large = 0;
  uint64_t incomplete_at_end = 0;  // still waiting for fragments when the input ended
};

class IpDefragmenter {
 public:
  enum class Result { NotFragment, Held, Complete };

  IpDefragmenter(DefragConfig config, const Decoder& decoder)
      : config_(config), decoder_(decoder) {}

  // For a fragment: keeps it; when it completes a datagram, decodes the whole datagram
  // into `out` (valid until the next call) and returns Complete.
  Result add(const PacketView& v, PacketView& out);
  // The capture's progress (CaptureClock) for the fragments that follow.
  void set_clock(TimestampNs now) { now_ = now; }
  // Drops datagrams older than the timeout, in capture progress time.
  void expire(TimestampNs now);
  // End of input: every datagram still incomplete is dropped and counted.
  void finish();
  const DefragStats& stats() const { return stats_; }
  size_t pending() const { return datagrams_.size(); }

 private:
  struct Key {
    IpAddress src, dst;
    uint32_t id = 0;
    uint8_t proto = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Datagram {
    std::vector<uint8_t> data;
    std::vector<bool> have;
    size_t covered = 0;
    int64_t total = -1;           // known once the last fragment arrives
    std::vector<uint8_t> header;  // network header of the first fragment
    TimestampNs first_seen = 0;
    uint64_t serial = 0;
  };

  void drop(std::unordered_map<Key, Datagram, KeyHash>::iterator it);

  DefragConfig config_;
  const Decoder& decoder_;
  std::unordered_map<Key, Datagram, KeyHash> datagrams_;
  std::deque<std::pair<uint64_t, Key>> order_;  // creation order, for expiry and caps
  uint64_t next_serial_ = 0;
  size_t bytes_held_ = 0;
  TimestampNs now_ = 0;
  DefragStats stats_;
  std::vector<uint8_t> assembled_;
  RawPacket assembled_raw_;
};

}  // namespace netsift
