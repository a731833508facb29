#include "app/stats_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <stdexcept>

#include "app/config.h"
#include "app/option_values.h"
#include "app/session_options.h"

namespace netsift {
namespace {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void expect_keys(const YAML::Node& node, const std::string& where,
                 const std::set<std::string>& allowed) {
  if (node.IsNull() && !where.empty()) return;  // "engine:" with nothing under it: no keys
  if (!node.IsMap()) {
    throw ConfigError(
        fmt::format("'{}' (line {}) must be a mapping of keys", where, node.Mark().line + 1));
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw ConfigError(fmt::format("unknown key '{}.{}' (line {}; allowed here: {})", where, key,
                                    kv.first.Mark().line + 1, list));
    }
  }
}

template <typename T>
void read(const YAML::Node& parent, const std::string& where, const char* key, T& out) {
  const YAML::Node n = parent[key];
  if (!n) return;
  try {
    out = n.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(
        fmt::format("bad value for '{}.{}' (line {})", where, key, n.Mark().line + 1));
  }
}

template <typename T>
void positive(const YAML::Node& parent, const std::string& where, const char* key, T& out) {
  T v = out;
  read(parent, where, key, v);
  if (!(v > 0)) throw ConfigError(fmt::format("'{}.{}' must be positive", where, key));
  out = v;
}

void seconds(const YAML::Node& parent, const std::string& where, const char* key,
             TimestampNs& out) {
  double s = double(out) / 1e9;
  positive(parent, where, key, s);
  out = TimestampNs(s * 1e9);
}

std::vector<std::string> strings(const YAML::Node& n, const std::string& key) {
  if (n.IsScalar()) return {n.as<std::string>()};
  if (!n.IsSequence()) throw ConfigError(fmt::format("'{}' must be a list", key));
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(item.as<std::string>());
  return out;
}

// `dir`: the config file's directory; relative paths in the file are taken from there,
// as for output.sqlite (app/config.cc).
void load(const YAML::Node& root, StatsOptions& o, const std::string& dir) {
  const YAML::Node s = root["stats"];
  if (!s) return;
  const std::string w = "stats";
  expect_keys(s, w,
              {"json", "utc", "per_packet", "top", "bucket", "home", "geoip_db", "geoip", "dpi",
               "sqlite", "sqlite_mode", "sqlite_batch", "max_flows", "max_addresses",
               "max_set_entries", "flow_timeout", "alerts"});
  read(s, w, "json", o.json);
  read(s, w, "utc", o.utc);
  read(s, w, "per_packet", o.per_packet);
  positive(s, w, "top", o.top);
  seconds(s, w, "bucket", o.bucket);
  if (s["home"]) o.home = strings(s["home"], "stats.home");
  if (s["geoip_db"]) {
    o.geoip_db = strings(s["geoip_db"], "stats.geoip_db");
    for (auto& path : o.geoip_db) path = config_relative(path, dir);
  }
  bool geoip = !o.no_geoip;
  read(s, w, "geoip", geoip);
  o.no_geoip = !geoip;
  read(s, w, "dpi", o.dpi);
  if (const YAML::Node n = s["sqlite"]) {
    // false turns SQLite off; a string names the file.
    if (n.IsScalar() && (n.Scalar() == "false" || n.Scalar() == "off")) {
      o.no_sqlite = true;
    } else {
      read(s, w, "sqlite", o.sqlite_path);
      o.sqlite_path = config_relative(o.sqlite_path, dir);
    }
  }
  if (const YAML::Node n = s["sqlite_mode"]) {
    std::string mode;
    read(s, w, "sqlite_mode", mode);
    if (mode != "append" && mode != "replace")
      throw ConfigError("'stats.sqlite_mode' must be append or replace");
    o.sqlite_replace = mode == "replace";
  }
  positive(s, w, "sqlite_batch", o.sqlite_batch);
  positive(s, w, "max_flows", o.max_flows);
  positive(s, w, "max_addresses", o.max_addresses);
  positive(s, w, "max_set_entries", o.max_set_entries);
  seconds(s, w, "flow_timeout", o.flow_timeout);
  if (const YAML::Node a = s["alerts"]) {
    const std::string wa = "stats.alerts";
    DetectorConfig& d = o.detectors;
    expect_keys(
        a, wa,
        {"enabled", "scan_ports", "scan_hosts", "syn_flood_rate", "syn_flood_completed_ratio",
         "icmp_flood_rate", "udp_flood_rate", "udp_flood_answered_ratio", "volume_factor",
         "volume_min_bytes", "volume_alpha", "volume_warmup", "nxdomain_count", "dns_long_name",
         "dns_entropy", "dns_tunnel_queries", "conn_burst_rate", "conn_burst_ports"});
    read(a, wa, "enabled", d.enabled);
    positive(a, wa, "scan_ports", d.scan_ports);
    positive(a, wa, "scan_hosts", d.scan_hosts);
    positive(a, wa, "syn_flood_rate", d.syn_flood_rate);
    read(a, wa, "syn_flood_completed_ratio", d.syn_flood_completed_ratio);
    positive(a, wa, "conn_burst_rate", d.conn_burst_rate);
    if (const YAML::Node ports = a["conn_burst_ports"]) {
      // A list of ports; an empty list turns the detector off.
      if (!ports.IsSequence() && !ports.IsNull())
        throw ConfigError(fmt::format("'{}.conn_burst_ports' (line {}) must be a list of ports", wa,
                                      ports.Mark().line + 1));
      d.conn_burst_ports.clear();
      for (const auto& item : ports) {
        uint16_t port = 0;
        if (!item.IsScalar() || !values::port(item.Scalar(), port).empty())
          throw ConfigError(
              fmt::format("bad port in '{}.conn_burst_ports' (line {})", wa, item.Mark().line + 1));
        d.conn_burst_ports.push_back(port);
      }
    }
    positive(a, wa, "icmp_flood_rate", d.icmp_flood_rate);
    positive(a, wa, "udp_flood_rate", d.udp_flood_rate);
    read(a, wa, "udp_flood_answered_ratio", d.udp_flood_answered_ratio);
    positive(a, wa, "volume_factor", d.volume_factor);
    positive(a, wa, "volume_min_bytes", d.volume_min_bytes);
    positive(a, wa, "volume_alpha", d.volume_alpha);
    if (d.volume_alpha > 1) throw ConfigError("'stats.alerts.volume_alpha' must be in (0, 1]");
    read(a, wa, "volume_warmup", d.volume_warmup);
    positive(a, wa, "nxdomain_count", d.nxdomain_count);
    positive(a, wa, "dns_long_name", d.dns_long_name);
    positive(a, wa, "dns_entropy", d.dns_entropy);
    positive(a, wa, "dns_tunnel_queries", d.dns_tunnel_queries);
  }
}

}  // namespace

bool load_stats_config(const std::string& path, CaptureOptions& capture, StatsOptions& stats,
                       std::string& error) {
  SessionOptions unused;  // the sessions part of the file is checked, not used here
  if (!load_config(path, capture, unused, error)) return false;
  if (unused.workers_given) stats.workers = unused.workers;  // engine.workers: both jobs
  try {
    std::string dir = ".";
    if (auto slash = path.rfind('/'); slash != std::string::npos) dir = path.substr(0, slash + 1);
    load(YAML::LoadFile(path), stats, dir);
    return true;
  } catch (const ConfigError& e) {
    error = fmt::format("{}: {}", path, e.what());
  } catch (const YAML::Exception& e) {
    error = fmt::format("{}: {}", path, e.what());
  }
  return false;
}

}  // namespace netsift
