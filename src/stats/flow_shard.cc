#include "stats/flow_shard.h"

#include <algorithm>

namespace netsift {

FlowShard::FlowShard(const FlowShardLimits& limits, AddressBook& book, BucketPartial& pending,
                     FlowEndSink& sink)
    : limits_(limits),
      book_(book),
      pending_(pending),
      sink_(sink),
      dpi_(limits.dpi ? std::make_unique<AppDetector>(limits.max_dpi_states) : nullptr),
      flows_(limits.max_flows, limits.flow_timeout,
             dpi_ && dpi_->enabled() ? dpi_.get() : nullptr) {}

void FlowShard::add(const FlowPacket& p) {
  if (flows_.full()) {
    // Roll what is pending into this bucket before ending the idlest flows early.
    flows_.roll_up(
        pending_, [this](const IpAddress& a) { return country_of(a); }, limits_.bucket);
    flows_.evict_oldest(std::max<size_t>(1, flows_.max_flows() / 16),
                        [this](const StatsFlow& f) { ended(f, "evicted"); });
  }
  flows_.add(p);
}

void FlowShard::roll_up(BucketPartial& into, TimestampNs now, bool all) {
  flows_.roll_up(
      into, [this](const IpAddress& a) { return country_of(a); }, limits_.bucket);
  end_now_ = now;
  end_all_ = all;
}

void FlowShard::end_flows(const char* reason) {
  flows_.expire(end_now_, end_all_, [&](const StatsFlow& f) { ended(f, reason); });
}

}  // namespace netsift
