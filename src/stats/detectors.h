// Anomaly detectors over merged bucket partials (stats/bucket.h): port scans (vertical
// TCP and UDP, horizontal), ping sweeps, SYN floods, connection bursts to login services,
// ICMP and UDP floods, volume spikes against a per-host EWMA baseline, NXDOMAIN bursts
// and DNS tunnelling. They read only what merges exactly
// (sums and set unions), so the alerts do not depend on how packets were spread over workers; the
// volume baseline is the only state kept across buckets.
#pragma once

#include <tsl/robin_map.h>

#include <string>
#include <vector>

#include "core/ip_address.h"
#include "stats/bucket.h"
#include "stats/detector_config.h"

namespace netsift {

struct Alert {
  const char* kind = "";  // port_scan, ping_sweep, syn_flood, conn_burst, icmp_flood,
                          // udp_flood, volume_spike, dns_nxdomain_burst, dns_tunnel
  TimestampNs ts = 0;     // end of the bucket
  IpAddress src, dst;     // empty when not applicable
  uint16_t port = 0;      // the port of a SYN flood, connection burst or horizontal scan
  uint64_t count = 0;
  TimestampNs window = 0;
  std::string detail;
};

class Detectors {
 public:
  explicit Detectors(const DetectorConfig& config);
  // Appends the alerts of one bucket, `length` long, in a stable order (kind, then
  // addresses), so that identical input always gives identical output.
  void on_bucket(const BucketPartial& b, TimestampNs length, std::vector<Alert>& out);
  uint64_t baselines_dropped() const { return baselines_dropped_; }

 private:
  struct Baseline {
    double mean = 0;
    int64_t first_bucket = 0, last_bucket = 0;
  };
  void scans(const BucketPartial& b, Alert proto, std::vector<Alert>& out);
  void volume(const BucketPartial& b, Alert proto, std::vector<Alert>& out);

  const DetectorConfig& config_;
  std::vector<uint16_t> burst_ports_;  // config_.conn_burst_ports, sorted
  tsl::robin_map<IpAddress, Baseline, IpAddressHash> baselines_;
  uint64_t baselines_dropped_ = 0;
};

// Shannon entropy of `s` in bits per character.
double shannon_entropy(std::string_view s);
// Whether a query name's part left of its registered domain looks like encoded data.
bool encoded_looking(std::string_view label_part, double min_entropy);

}  // namespace netsift
