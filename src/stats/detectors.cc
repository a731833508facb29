#include "stats/detectors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "enrich/services.h"

namespace netsift {
namespace {

double seconds(TimestampNs ns) {
  return double(ns) / double(kNsPerSec);
}

bool alert_less(const Alert& a, const Alert& b) {
  if (int c = std::strcmp(a.kind, b.kind); c != 0) return c < 0;
  if (a.src != b.src) return a.src < b.src;
  if (a.dst != b.dst) return a.dst < b.dst;
  if (a.port != b.port) return a.port < b.port;
  return a.detail < b.detail;  // a TCP and a UDP scan of one host
}

}  // namespace

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0;
  uint32_t counts[256] = {};
  for (unsigned char c : s) ++counts[c];
  double h = 0, n = double(s.size());
  for (uint32_t c : counts) {
    if (c == 0) continue;
    double p = c / n;
    h -= p * std::log2(p);
  }
  return h;
}

bool encoded_looking(std::string_view s, double min_entropy) {
  size_t chars = 0, hex = 0, digits = 0, letters = 0, vowels = 0, run = 0, longest_run = 0;
  for (char c : s) {
    run = (c == '.' || c == '-') ? 0 : run + 1;
    longest_run = std::max(longest_run, run);
    if (c == '.') continue;
    ++chars;
    const char lower = char(c | 0x20);
    const bool digit = c >= '0' && c <= '9', letter = lower >= 'a' && lower <= 'z';
    digits += digit;
    letters += letter;
    vowels +=
        letter && (lower == 'a' || lower == 'e' || lower == 'i' || lower == 'o' || lower == 'u');
    hex += digit || (lower >= 'a' && lower <= 'f');
  }
  if (chars == 0) return false;
  // Hex data (dnscat2) is nothing but hex digits, many of them numerals.
  if (hex * 20 >= chars * 19 && digits * 5 >= chars) return true;
  // Base32/base64 data has high entropy, as long phrases do; but its letters are drawn
  // evenly, so vowels are about a fifth of them where words have close to two fifths,
  // and it comes in long labels where phrases are split by hyphens.
  if (letters == 0 || shannon_entropy(s) < min_entropy) return false;
  return vowels * 4 < letters || (longest_run >= 32 && vowels * 3 < letters);
}

Detectors::Detectors(const DetectorConfig& config)
    : config_(config), burst_ports_(config.conn_burst_ports) {
  std::sort(burst_ports_.begin(), burst_ports_.end());
}

void Detectors::scans(const BucketPartial& b, Alert proto, std::vector<Alert>& out) {
  // Unanswered probes grouped by (client, server) and by (client, port).
  std::map<std::pair<IpAddress, IpAddress>, std::vector<uint16_t>> vertical, vertical_udp;
  std::map<std::pair<IpAddress, uint16_t>, std::vector<IpAddress>> horizontal;
  std::map<IpAddress, uint64_t> sweeps;  // hosts a source pinged that did not reply
  for (const AddrPair& p : b.probes) {
    if (b.answered.count(p)) continue;
    vertical[{p.a, p.b}].push_back(p.port);
    horizontal[{p.a, p.port}].push_back(p.b);
  }
  for (const AddrPair& p : b.udp_probes) {
    if (!b.udp_answered.count(p)) vertical_udp[{p.a, p.b}].push_back(p.port);
  }
  for (const AddrPair& p : b.pings) {
    if (!b.pings_answered.count(p)) ++sweeps[p.a];
  }
  auto vertical_alerts = [&](auto& groups, bool udp) {
    for (auto& [key, ports] : groups) {
      if (ports.size() < config_.scan_ports) continue;
      std::sort(ports.begin(), ports.end());
      Alert a = proto;
      a.kind = "port_scan";
      a.src = key.first;
      a.dst = key.second;
      a.count = ports.size();
      a.detail =
          fmt::format("vertical {}scan: {} ports of {} probed {} and not answered (ports {}-{})",
                      udp ? "UDP " : "", ports.size(), to_string(key.second),
                      udp ? "by UDP" : "with SYN", ports.front(), ports.back());
      out.push_back(std::move(a));
    }
  };
  vertical_alerts(vertical, false);
  vertical_alerts(vertical_udp, true);
  for (auto& [key, hosts] : horizontal) {
    if (hosts.size() < config_.scan_hosts) continue;
    Alert a = proto;
    a.kind = "port_scan";
    a.src = key.first;
    a.port = key.second;
    a.count = hosts.size();
    a.detail = fmt::format("horizontal scan: port {} probed with SYN on {} hosts and not answered",
                           key.second, hosts.size());
    out.push_back(std::move(a));
  }
  for (const auto& [src, hosts] : sweeps) {
    if (hosts < config_.scan_hosts) continue;
    Alert a = proto;
    a.kind = "ping_sweep";
    a.src = src;
    a.count = hosts;
    a.detail = fmt::format("ICMP queries (echo...) to {} hosts that did not reply", hosts);
    out.push_back(std::move(a));
  }
}

void Detectors::volume(const BucketPartial& b, Alert proto, std::vector<Alert>& out) {
  const int64_t bucket = b.start / std::max<TimestampNs>(proto.window, 1);
  const double keep = 1 - config_.volume_alpha;
  for (const auto& [addr, h] : b.hosts) {
    const double bytes = double(h.bytes_in + h.bytes_out);
    auto it = baselines_.find(addr);
    if (it == baselines_.end()) {
      if (baselines_.size() >= config_.max_hosts) {
        ++baselines_dropped_;
        continue;
      }
      baselines_.emplace(addr, Baseline{bytes, bucket, bucket});
      continue;
    }
    Baseline& base = it.value();
    // Buckets the host was silent in count as zero traffic.
    const int64_t gap = bucket - base.last_bucket;
    if (gap <= 0) continue;  // same bucket again (input out of order): already judged
    const double mean = base.mean * std::pow(keep, double(gap - 1));
    if (bucket - base.first_bucket >= int64_t(config_.volume_warmup) &&
        bytes >= double(config_.volume_min_bytes) && bytes >= config_.volume_factor * mean) {
      Alert a = proto;
      a.kind = "volume_spike";
      a.src = addr;
      a.count = h.bytes_in + h.bytes_out;
      a.detail = fmt::format("{} bytes in {} s ({} in, {} out), {:.1f}x its average of {:.0f}",
                             a.count, seconds(proto.window), h.bytes_in, h.bytes_out,
                             mean > 0 ? bytes / mean : 0.0, mean);
      out.push_back(std::move(a));
    }
    base.mean = keep * mean + config_.volume_alpha * bytes;
    base.last_bucket = bucket;
  }
}

void Detectors::on_bucket(const BucketPartial& b, TimestampNs length, std::vector<Alert>& out) {
  if (!config_.enabled) return;
  const size_t first = out.size();
  Alert proto;
  proto.ts = b.start + length;
  proto.window = length;
  const double secs = seconds(length);
  scans(b, proto, out);
  for (const auto& [server, syns] : b.syns) {
    if (double(syns) < config_.syn_flood_rate * secs) continue;
    auto c = b.completed.find(server);
    const uint64_t done = c == b.completed.end() ? 0 : c->second;
    if (double(done) > config_.syn_flood_completed_ratio * double(syns)) continue;
    Alert a = proto;
    a.kind = "syn_flood";
    a.dst = server.a;
    a.port = server.port;
    a.count = syns;
    a.detail = fmt::format("{} SYNs to port {} in {} s ({:.0f}/s), {} handshakes completed", syns,
                           server.port, secs, double(syns) / secs, done);
    out.push_back(std::move(a));
  }
  for (const auto& [conn, n] : b.connections) {
    if (double(n) < config_.conn_burst_rate * secs ||
        !std::binary_search(burst_ports_.begin(), burst_ports_.end(), conn.port))
      continue;
    Alert a = proto;
    a.kind = "conn_burst";
    a.src = conn.a;
    a.dst = conn.b;
    a.port = conn.port;
    a.count = n;
    const std::string_view service = service_name(PortProto::Tcp, conn.port);
    a.detail = fmt::format("{} connections to port {}{}{}{} completed in {} s ({:.1f}/s)", n,
                           conn.port, service.empty() ? "" : " (", service,
                           service.empty() ? "" : ")", secs, double(n) / secs);
    out.push_back(std::move(a));
  }
  for (const auto& [addr, h] : b.hosts) {
    // Replies to the host's own queries and errors about its own packets (the port
    // unreachables a UDP flood or scan draws) answer it: only what exceeds them counts.
    const uint64_t answers = h.icmp_replies_in + h.icmp_errors_in;
    const uint64_t icmp = h.icmp_in - std::min(h.icmp_in, answers) +
                          (h.icmp_replies_in - std::min(h.icmp_replies_in, h.icmp_queries_out)) +
                          (h.icmp_errors_in - std::min(h.icmp_errors_in, h.packets_out));
    if (double(icmp) >= config_.icmp_flood_rate * secs) {
      Alert a = proto;
      a.kind = "icmp_flood";
      a.dst = addr;
      a.count = icmp;
      a.detail = fmt::format(
          "{} ICMP packets received in {} s ({:.0f}/s){}", icmp, secs, double(icmp) / secs,
          icmp < h.icmp_in
              ? fmt::format(", besides {} answers to its own packets", h.icmp_in - icmp)
              : std::string());
      out.push_back(std::move(a));
    }
    if (double(h.udp_in) >= config_.udp_flood_rate * secs &&
        double(h.udp_out) < config_.udp_flood_answered_ratio * double(h.udp_in)) {
      Alert a = proto;
      a.kind = "udp_flood";
      a.dst = addr;
      a.count = h.udp_in;
      a.detail = fmt::format("{} UDP packets received in {} s ({:.0f}/s), {} sent back", h.udp_in,
                             secs, double(h.udp_in) / secs, h.udp_out);
      out.push_back(std::move(a));
    }
  }
  tsl::robin_map<IpAddress, uint64_t, IpAddressHash> nx;
  for (const ClientName& c : b.nxdomain_names) ++nx[c.client];
  for (const auto& [addr, names] : nx) {
    if (names < config_.nxdomain_count) continue;
    auto h = b.hosts.find(addr);
    Alert a = proto;
    a.kind = "dns_nxdomain_burst";
    a.src = addr;
    a.count = names;
    a.detail = fmt::format("{} distinct domains answered NXDOMAIN in {} s ({} such answers)", names,
                           secs, h == b.hosts.end() ? names : h->second.nxdomain_in);
    out.push_back(std::move(a));
  }
  for (const auto& [key, d] : b.dns_names) {
    if (d.queries < config_.dns_tunnel_queries) continue;
    Alert a = proto;
    a.kind = "dns_tunnel";
    auto space = key.find(' ');
    parse_address(key.substr(0, space), a.src);
    a.count = d.queries;
    a.detail = fmt::format(
        "{} queries under {} with long encoded-looking names (longest {}, "
        "entropy up to {:.2f} bits/char), e.g. {}",
        d.queries, key.substr(space + 1), d.longest, d.max_entropy, d.sample);
    out.push_back(std::move(a));
  }
  volume(b, proto, out);
  std::sort(out.begin() + std::ptrdiff_t(first), out.end(), alert_less);
}

}  // namespace netsift
