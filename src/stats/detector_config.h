// Thresholds of the anomaly detectors. Rates are per second averaged over one time
// bucket, so they mean the same whatever the bucket length. docs/stats.md explains
// each default.
#pragma once

#include <cstdint>
#include <vector>

namespace netsift {

struct DetectorConfig {
  bool enabled = true;
  // TCP SYNs that got no SYN-ACK (or UDP datagrams that got no UDP back) in the bucket:
  // one source to this many ports of one host (vertical scan), or to one port on this
  // many hosts (horizontal scan, TCP); ICMP queries to this many hosts that did not
  // reply (ping sweep).
  uint32_t scan_ports = 100;
  uint32_t scan_hosts = 50;
  // SYNs per second to one host:port, of which at most this share completed a handshake.
  double syn_flood_rate = 100;
  double syn_flood_completed_ratio = 0.2;
  // Handshakes completed per second from one source to one port of one host, on the
  // services people log in to (encrypted or not): a password guesser (hydra, medusa,
  // nmap's brute scripts) opens a connection per attempt or few, where a person or a
  // client with a session open keeps one. Database and LDAP ports are left out by
  // default: application servers that do not pool connect once per request.
  double conn_burst_rate = 0.5;
  std::vector<uint16_t> conn_burst_ports = {21, 22, 23, 110, 143, 465, 587, 993, 995, 3389, 5900};
  // ICMP packets per second to one host.
  double icmp_flood_rate = 500;
  // UDP packets per second to one host that answered fewer than this share of them.
  double udp_flood_rate = 1000;
  double udp_flood_answered_ratio = 0.1;
  // A host's bytes in one bucket against its exponentially weighted mean of earlier
  // buckets: at least `factor` times the mean and `min_bytes`, after `warmup` buckets.
  double volume_factor = 10;
  uint64_t volume_min_bytes = 100u << 20;
  double volume_alpha = 0.3;
  uint32_t volume_warmup = 5;
  // Distinct registered domains (last two labels) answered NXDOMAIN to one client.
  uint32_t nxdomain_count = 50;
  // Queries by one client under one domain whose name left of the domain is at least
  // `dns_long_name` characters and looks encoded (entropy, or hex digits).
  uint32_t dns_long_name = 50;
  double dns_entropy = 4.0;
  uint32_t dns_tunnel_queries = 20;
  size_t max_hosts = 1u << 20;  // hosts with a volume baseline
};

}  // namespace netsift
