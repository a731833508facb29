#include "stats/bucket.h"

#include <algorithm>

namespace netsift {

BucketCaps BucketCaps::make(size_t set_entries, size_t hosts, const DetectorConfig& detectors) {
  BucketCaps caps{set_entries, hosts, {}};
  if (detectors.enabled) caps.burst_ports = detectors.conn_burst_ports;
  std::sort(caps.burst_ports.begin(), caps.burst_ports.end());
  return caps;
}

void HostCounters::add(const HostCounters& o) {
  packets_out += o.packets_out;
  bytes_out += o.bytes_out;
  packets_in += o.packets_in;
  bytes_in += o.bytes_in;
  flows += o.flows;
  icmp_in += o.icmp_in;
  icmp_replies_in += o.icmp_replies_in;
  icmp_errors_in += o.icmp_errors_in;
  icmp_queries_out += o.icmp_queries_out;
  udp_in += o.udp_in;
  udp_out += o.udp_out;
  nxdomain_in += o.nxdomain_in;
}

void BucketPartial::merge(const BucketPartial& o) {
  for (const auto& [a, h] : o.hosts) hosts[a].add(h);
  peers.insert(o.peers.begin(), o.peers.end());
  contacted_ports.insert(o.contacted_ports.begin(), o.contacted_ports.end());
  for (const auto& [k, t] : o.services) services[k].add(t);
  for (const auto& [k, t] : o.countries) countries[k].add(t);
  for (size_t i = 0; i < protocols.size(); ++i) protocols[i].add(o.protocols[i]);
  tcp_syn += o.tcp_syn;
  tcp_synack += o.tcp_synack;
  tcp_fin += o.tcp_fin;
  tcp_rst += o.tcp_rst;
  tcp_packets += o.tcp_packets;
  probes.insert(o.probes.begin(), o.probes.end());
  answered.insert(o.answered.begin(), o.answered.end());
  udp_probes.insert(o.udp_probes.begin(), o.udp_probes.end());
  udp_answered.insert(o.udp_answered.begin(), o.udp_answered.end());
  pings.insert(o.pings.begin(), o.pings.end());
  pings_answered.insert(o.pings_answered.begin(), o.pings_answered.end());
  for (const auto& [k, n] : o.syns) syns[k] += n;
  for (const auto& [k, n] : o.completed) completed[k] += n;
  for (const auto& [k, n] : o.connections) connections[k] += n;
  nxdomain_names.insert(o.nxdomain_names.begin(), o.nxdomain_names.end());
  for (const auto& [k, d] : o.dns_names) {
    DnsNameStats& mine = dns_names[k];
    if (mine.sample.empty() || d.sample < mine.sample) mine.sample = d.sample;
    mine.queries += d.queries;
    mine.longest = std::max(mine.longest, d.longest);
    mine.max_entropy = std::max(mine.max_entropy, d.max_entropy);
  }
  dropped += o.dropped;
  hosts_dropped += o.hosts_dropped;
}

void BucketPartial::clear() {
  hosts.clear();
  peers.clear();
  contacted_ports.clear();
  services.clear();
  countries.clear();
  protocols.fill({});
  tcp_syn = tcp_synack = tcp_fin = tcp_rst = tcp_packets = 0;
  probes.clear();
  answered.clear();
  udp_probes.clear();
  udp_answered.clear();
  pings.clear();
  pings_answered.clear();
  syns.clear();
  completed.clear();
  connections.clear();
  nxdomain_names.clear();
  dns_names.clear();
  dropped = 0;
  hosts_dropped = 0;
}

}  // namespace netsift
