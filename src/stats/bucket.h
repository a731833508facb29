// What one time bucket saw, as a partial that merges: each worker (or the single
// thread today) fills one BucketPartial per bucket from its flows, and partials from
// several workers merge by addition and set union, so aggregates and the alerts drawn
// from them do not depend on how packets were spread over workers.
#pragma once

#include <tsl/robin_map.h>
#include <tsl/robin_set.h>

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ip_address.h"
#include "core/timestamp.h"
#include "stats/detector_config.h"

namespace netsift {

struct HostCounters {
  uint64_t packets_out = 0, bytes_out = 0, packets_in = 0, bytes_in = 0;
  uint64_t flows = 0;    // flows this host took part in that started in the bucket
  uint64_t icmp_in = 0;  // ICMP/ICMPv6 packets received
  // Of those, replies and errors, and the queries it sent: replies to its own queries and
  // errors about its own packets are answers, not a flood against it.
  uint64_t icmp_replies_in = 0, icmp_errors_in = 0, icmp_queries_out = 0;
  uint64_t udp_in = 0, udp_out = 0;
  uint64_t nxdomain_in = 0;  // DNS NXDOMAIN answers received
  void add(const HostCounters& o);
};

struct Traffic {
  uint64_t packets = 0, bytes = 0, flows = 0;
  void add(const Traffic& o) { packets += o.packets, bytes += o.bytes, flows += o.flows; }
};

// An (address, address) pair, or an (address, address, port) triple for scans.
struct AddrPair {
  IpAddress a, b;
  uint16_t port = 0;
  friend bool operator==(const AddrPair&, const AddrPair&) = default;
};
struct AddrPairHash {
  size_t operator()(const AddrPair& p) const {
    IpAddressHash h;
    return h(p.a) * 31 + (h(p.b) ^ (size_t(p.port) << 17));
  }
};
// An (address, port) pair: a host's service, or the port a host contacted.
struct AddrPort {
  IpAddress a;
  uint16_t port = 0;
  uint8_t proto = 0;
  friend bool operator==(const AddrPort&, const AddrPort&) = default;
};
struct AddrPortHash {
  size_t operator()(const AddrPort& p) const {
    return IpAddressHash()(p.a) ^ (size_t(p.port) << 8 | p.proto) * 0x9e3779b97f4a7c15ull;
  }
};

// A client and a registered domain (by 64-bit hash): distinct domains answered NXDOMAIN.
struct ClientName {
  IpAddress client;
  uint64_t name_hash = 0;
  friend bool operator==(const ClientName&, const ClientName&) = default;
};
struct ClientNameHash {
  size_t operator()(const ClientName& c) const { return IpAddressHash()(c.client) ^ c.name_hash; }
};

struct DnsNameStats {
  uint64_t queries = 0;
  uint32_t longest = 0;
  double max_entropy = 0;
  std::string sample;  // the smallest suspicious name seen (the same whatever the sharding)
};

// How much one bucket may hold (stats.max_set_entries, stats.max_addresses): a flood
// from spoofed sources would otherwise grow every per-bucket table with each address.
// What a full table turns away is counted (`dropped`, `hosts_dropped`) and reported.
struct BucketCaps {
  size_t set_entries = 1u << 20;  // each of the pair sets
  size_t hosts = 1u << 20;        // hosts with a row of their own
  // Server ports whose connections are counted per (client, server, port) for the
  // conn_burst detector, sorted: only these, so other traffic cannot fill that table.
  std::vector<uint16_t> burst_ports;

  static BucketCaps make(size_t set_entries, size_t hosts, const DetectorConfig& detectors);
};

struct BucketPartial {
  TimestampNs start = 0;
  tsl::robin_map<IpAddress, HostCounters, IpAddressHash> hosts;
  tsl::robin_set<AddrPair, AddrPairHash> peers;            // (host, peer), both orders
  tsl::robin_set<AddrPort, AddrPortHash> contacted_ports;  // (client, server port)
  // Services by (proto, server port); countries by code or range name; protocols.
  tsl::robin_map<uint32_t, Traffic> services;  // proto << 16 | port
  tsl::robin_map<std::string, Traffic> countries;
  std::array<Traffic, 256> protocols{};
  // TCP flag mix: packets with SYN only, SYN+ACK, FIN, RST, and all TCP packets.
  uint64_t tcp_syn = 0, tcp_synack = 0, tcp_fin = 0, tcp_rst = 0, tcp_packets = 0;

  // Detector inputs. A probe is a TCP SYN from a client to a server port; it is
  // answered when the server sent SYN-ACK. (client, server, port) in both sets.
  tsl::robin_set<AddrPair, AddrPairHash> probes, answered;
  tsl::robin_map<AddrPort, uint64_t, AddrPortHash> syns;       // per server:port
  tsl::robin_map<AddrPort, uint64_t, AddrPortHash> completed;  // handshakes completed
  // Handshakes completed per (client, server, port) on BucketCaps::burst_ports: bursts
  // of connections to a login service. Capped like the sets (an entry not kept is
  // counted in `dropped`).
  tsl::robin_map<AddrPair, uint64_t, AddrPairHash> connections;
  // UDP datagrams from a client to a server port, and those the server answered; ICMP
  // queries (echo...) from a host to another (port 0), and those answered.
  tsl::robin_set<AddrPair, AddrPairHash> udp_probes, udp_answered, pings, pings_answered;
  tsl::robin_set<ClientName, ClientNameHash> nxdomain_names;
  // Suspicious DNS query names per client and registered domain.
  std::unordered_map<std::string, DnsNameStats> dns_names;  // key: client + ' ' + domain
  uint64_t dropped = 0;        // set entries not kept because of the cap
  uint64_t hosts_dropped = 0;  // hosts not given a row of their own because of the cap

  void merge(const BucketPartial& o);
  void clear();
};

}  // namespace netsift
