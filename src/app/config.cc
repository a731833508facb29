#include "app/config.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

#include "analyzers/registry.h"
#include "app/option_values.h"
#include "core/ip_address.h"

namespace netsift {
namespace {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Checks that `node` is a map whose keys are all in `allowed`.
void expect_keys(const YAML::Node& node, const std::string& where, std::set<std::string> allowed) {
  if (node.IsNull() && !where.empty()) return;  // "engine:" with nothing under it: no keys
  if (!node.IsMap()) {
    if (where.empty()) {
      throw ConfigError("the file must be a mapping of sections (input:, output:, jobs:, ...)");
    }
    throw ConfigError(
        fmt::format("'{}' (line {}) must be a mapping of keys", where, node.Mark().line + 1));
  }
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw ConfigError(fmt::format("unknown key '{}{}{}' (line {}; allowed here: {})", where,
                                    where.empty() ? "" : ".", key, kv.first.Mark().line + 1, list));
    }
  }
}

// "where.key (line N)" for messages.
std::string at(const YAML::Node& node, const std::string& key) {
  return fmt::format("'{}' (line {})", key, node.Mark().line + 1);
}

std::string scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) throw ConfigError(fmt::format("{}: must be a single value", at(node, key)));
  return node.Scalar();
}

// Runs a shared value parser (app/option_values.h): the same reasons as on the command line.
void require(const YAML::Node& node, const std::string& key, const std::string& error) {
  if (!error.empty()) throw ConfigError(fmt::format("{}: {}", at(node, key), error));
}

template <typename T>
T value(const YAML::Node& node, const std::string& key);

template <>
std::string value<std::string>(const YAML::Node& node, const std::string& key) {
  return scalar(node, key);
}
template <>
bool value<bool>(const YAML::Node& node, const std::string& key) {
  bool b = false;
  require(node, key, values::boolean(scalar(node, key), b));
  return b;
}

template <typename T>
void read(const YAML::Node& parent, const std::string& where, const char* key, T& out) {
  if (const YAML::Node n = parent[key]) out = value<T>(n, where + "." + key);
}

std::vector<std::string> string_list(const YAML::Node& n, const std::string& key) {
  if (n.IsScalar()) return {scalar(n, key)};
  if (!n.IsSequence()) throw ConfigError(fmt::format("{}: must be a list", at(n, key)));
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(scalar(item, key));
  return out;
}

std::vector<uint16_t> port_list(const YAML::Node& n, const std::string& key) {
  std::vector<uint16_t> out;
  for (const auto& text : string_list(n, key)) {
    uint16_t p = 0;
    require(n, key, values::port(text, p));
    out.push_back(p);
  }
  return out;
}

std::vector<std::string> ip_list(const YAML::Node& n, const std::string& key) {
  auto list = string_list(n, key);
  for (const auto& ip : list) {
    IpAddress a;
    require(n, key, values::ip_address(ip, a));
  }
  return list;
}

TimestampNs seconds(const YAML::Node& parent, const std::string& where, const char* key,
                    TimestampNs current) {
  const YAML::Node n = parent[key];
  if (!n) return current;
  std::string k = where + "." + key;
  TimestampNs out = 0;
  require(n, k, values::positive_seconds(scalar(n, k), out));
  return out;
}

template <typename T>
void positive(const YAML::Node& parent, const std::string& where, const char* key, T& out,
              uint64_t max = uint64_t(INT64_MAX)) {
  if (const YAML::Node n = parent[key]) {
    std::string k = where + "." + key;
    uint64_t v = 0;
    if (max == uint64_t(INT64_MAX)) {
      require(n, k, values::positive(scalar(n, k), v));
    } else {
      require(n, k, values::whole_number(scalar(n, k), 1, max, v));
    }
    out = T(v);
  }
}

// A key given twice in one mapping is an error (YAML parsers keep one silently).
void reject_duplicate_keys(const YAML::Node& node, const std::string& where) {
  if (node.IsMap()) {
    std::map<std::string, int> seen;
    for (const auto& kv : node) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
      std::string path = where.empty() ? key : where + "." + key;
      auto [it, fresh] = seen.emplace(key, kv.first.Mark().line + 1);
      if (!fresh) {
        throw ConfigError(fmt::format("'{}' is given twice (lines {} and {})", path, it->second,
                                      kv.first.Mark().line + 1));
      }
      reject_duplicate_keys(kv.second, path);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) reject_duplicate_keys(item, where);
  }
}

void load_auth_detect(const YAML::Node& a, AuthDetectConfig& c) {
  const std::string where = "detect.auth";
  expect_keys(a, where,
              {"alerts", "summary", "window", "brute_force_failures", "spray_users",
               "compromise_failures", "max_sources", "max_alert_users", "summary_max_rows"});
  read(a, where, "alerts", c.alerts);
  read(a, where, "summary", c.summary);
  c.window = seconds(a, where, "window", c.window);
  positive(a, where, "brute_force_failures", c.brute_force_failures, kMaxAuthThreshold);
  positive(a, where, "spray_users", c.spray_users, kMaxAuthThreshold);
  positive(a, where, "compromise_failures", c.compromise_failures, kMaxAuthThreshold);
  positive(a, where, "max_sources", c.max_sources, kMaxAuthSources);
  positive(a, where, "max_alert_users", c.max_alert_users, kMaxAuthThreshold);
  positive(a, where, "summary_max_rows", c.summary_max_rows, kMaxAuthSummaryRows);
}

void load(const YAML::Node& root, CaptureOptions& c, SessionOptions& s, const std::string& dir) {
  if (!root || root.IsNull()) return;
  reject_duplicate_keys(root, "");
  expect_keys(
      root, "",
      {"input", "jobs", "filters", "output", "protocols", "limits", "detect", "stats", "engine"});
  if (const YAML::Node e = root["engine"]) {
    expect_keys(e, "engine", {"workers", "ordered", "fanout", "read_ahead", "read_ahead_threads"});
    if (const YAML::Node n = e["workers"]) {
      require(n, "engine.workers", values::workers(scalar(n, "engine.workers"), s.workers));
      s.workers_given = true;
    }
    if (e["ordered"]) s.ordered_given = true;
    read(e, "engine", "ordered", s.ordered);
    read(e, "engine", "fanout", c.fanout);
    if (e["read_ahead"]) {
      read(e, "engine", "read_ahead", c.read_ahead);
      if (c.read_ahead != "auto" && c.read_ahead != "on" && c.read_ahead != "off")
        throw ConfigError("'engine.read_ahead' must be auto, on or off");
    }
    positive(e, "engine", "read_ahead_threads", c.read_ahead_threads, 8);
  }
  if (const YAML::Node in = root["input"]) {
    expect_keys(in, "input",
                {"device", "pcap_file", "bpf_filter", "snaplen", "promiscuous", "buffer_size_mb",
                 "immediate", "verify_checksums"});
    read(in, "input", "device", c.interface);
    if (const YAML::Node f = in["pcap_file"]) {
      c.read_files = string_list(f, "input.pcap_file");
      for (auto& path : c.read_files) path = config_relative(path, dir);
    }
    if (!c.interface.empty() && !c.read_files.empty()) {
      throw ConfigError("'input.device' and 'input.pcap_file' exclude each other");
    }
    if (const YAML::Node b = in["bpf_filter"])
      c.filter_words = {value<std::string>(b, "input.bpf_filter")};
    positive(in, "input", "snaplen", c.snaplen, 262144);
    positive(in, "input", "buffer_size_mb", c.buffer_size_mb, 4096);
    bool promisc = !c.no_promiscuous;
    read(in, "input", "promiscuous", promisc);
    c.no_promiscuous = !promisc;
    read(in, "input", "immediate", c.immediate);
    read(in, "input", "verify_checksums", c.verify_checksums);
  }
  s.stats = bool(root["stats"]);
  if (const YAML::Node j = root["jobs"]) {
    expect_keys(j, "jobs", {"tcp", "udp", "packets", "stats"});
    read(j, "jobs", "tcp", s.tcp);
    read(j, "jobs", "udp", s.udp);
    read(j, "jobs", "packets", s.packets);
    read(j, "jobs", "stats", s.stats);
  }
  if (const YAML::Node f = root["filters"]) {
    expect_keys(f, "filters", {"tcp", "udp"});
    if (const YAML::Node t = f["tcp"]) {
      expect_keys(t, "filters.tcp", {"src_ports", "dst_ports", "src_ips", "dst_ips"});
      if (t["src_ports"])
        s.filters.tcp_src_ports = port_list(t["src_ports"], "filters.tcp.src_ports");
      if (t["dst_ports"])
        s.filters.tcp_dst_ports = port_list(t["dst_ports"], "filters.tcp.dst_ports");
      if (t["src_ips"]) s.filters.tcp_src_ips = ip_list(t["src_ips"], "filters.tcp.src_ips");
      if (t["dst_ips"]) s.filters.tcp_dst_ips = ip_list(t["dst_ips"], "filters.tcp.dst_ips");
    }
    if (const YAML::Node u = f["udp"]) {
      expect_keys(u, "filters.udp", {"ports", "ips"});
      if (u["ports"]) s.filters.udp_ports = port_list(u["ports"], "filters.udp.ports");
      if (u["ips"]) s.filters.udp_ips = ip_list(u["ips"], "filters.udp.ips");
    }
  }
  if (const YAML::Node o = root["output"]) {
    expect_keys(o, "output",
                {"json", "utc", "stdout", "directory", "sqlite", "hashes", "append", "data_level",
                 "data_stream_direct", "data_encoding", "max_session_data",
                 "max_session_data_total", "redact", "weird"});
    read(o, "output", "json", s.json);
    read(o, "output", "utc", s.utc);
    read(o, "output", "stdout", s.stdout_output);
    read(o, "output", "directory", s.output_dir);
    read(o, "output", "sqlite", s.sqlite_path);
    s.output_dir = config_relative(s.output_dir, dir);
    s.sqlite_path = config_relative(s.sqlite_path, dir);
    read(o, "output", "hashes", s.hashes_path);
    s.hashes_path = config_relative(s.hashes_path, dir);
    read(o, "output", "append", s.append);
    if (const YAML::Node n = o["data_level"]) {
      std::string v = scalar(n, "output.data_level");
      require(n, "output.data_level", values::one_of(v, {"0", "1", "2"}));
      s.data_level = v[0] - '0';
    }
    if (const YAML::Node n = o["data_stream_direct"]) {
      std::string v = scalar(n, "output.data_stream_direct");
      require(n, "output.data_stream_direct", values::one_of(v, {"1", "2"}));
      s.stream = v == "1";
    }
    if (const YAML::Node n = o["data_encoding"]) {
      std::string enc = scalar(n, "output.data_encoding");
      require(n, "output.data_encoding", values::one_of(enc, {"text", "base64"}));
      s.base64 = enc == "base64";
    }
    positive(o, "output", "max_session_data", s.max_session_data);
    positive(o, "output", "max_session_data_total", s.max_session_data_total);
    read(o, "output", "redact", s.flow.app.redact);
    read(o, "output", "weird", s.flow.app.weird_events);
  }
  if (const YAML::Node p = root["protocols"]) {
    if (!p.IsMap()) throw ConfigError("'protocols' must map protocol names to settings");
    for (const auto& kv : p) {
      std::string name = kv.first.Scalar();
      const AnalyzerSpec* spec = find_analyzer(name);
      if (!spec) {
        std::string known;
        for (const auto& sp : analyzer_registry()) {
          if (find_analyzer(sp.name) != &sp) continue;  // listed once per name
          known += (known.empty() ? "" : ", ") + std::string(sp.name);
        }
        throw ConfigError(fmt::format("unknown protocol 'protocols.{}' (known: {})", name, known));
      }
      std::string where = "protocols." + name;
      // `protocols.NAME: [ports]` (short form) or `protocols.NAME: {ports: [...], option: value}`.
      if (!kv.second.IsMap()) {
        s.flow.app.ports[name] = port_list(kv.second, where);
        continue;
      }
      auto options = s.flow.app.options.try_emplace(name, AnalyzerOptions(spec->options)).first;
      for (const auto& opt : kv.second) {
        std::string key = opt.first.as<std::string>();
        if (key == "ports") {
          s.flow.app.ports[name] = port_list(opt.second, where + ".ports");
          continue;
        }
        std::string text = opt.second.IsScalar() ? opt.second.Scalar() : std::string();
        std::string error;
        if (!opt.second.IsScalar() || !options->second.set(key, text, error)) {
          if (error.empty()) error = "must be a single value";
          throw ConfigError(
              fmt::format("'{}.{}' (line {}): {}", where, key, opt.second.Mark().line + 1, error));
        }
      }
    }
  }
  if (const YAML::Node d = root["detect"]) {
    expect_keys(d, "detect", {"auth"});
    if (const YAML::Node a = d["auth"]) load_auth_detect(a, s.auth);
  }
  if (const YAML::Node l = root["limits"]) {
    expect_keys(l, "limits",
                {"max_flows", "max_buffer_per_direction", "max_buffer_total", "tcp_timeout",
                 "tcp_closed_linger", "udp_timeout", "fragment_timeout", "max_fragment_datagrams",
                 "max_fragment_bytes"});
    positive(l, "limits", "max_flows", s.flow.max_flows);
    positive(l, "limits", "max_buffer_per_direction", s.flow.max_buffer_per_direction);
    positive(l, "limits", "max_buffer_total", s.flow.max_buffer_total);
    s.flow.tcp_timeout = seconds(l, "limits", "tcp_timeout", s.flow.tcp_timeout);
    s.flow.tcp_closed_linger = seconds(l, "limits", "tcp_closed_linger", s.flow.tcp_closed_linger);
    s.flow.udp_timeout = seconds(l, "limits", "udp_timeout", s.flow.udp_timeout);
    s.defrag.timeout = seconds(l, "limits", "fragment_timeout", s.defrag.timeout);
    positive(l, "limits", "max_fragment_datagrams", s.defrag.max_datagrams);
    positive(l, "limits", "max_fragment_bytes", s.defrag.max_bytes);
  }
}

}  // namespace

std::string config_relative(const std::string& path, const std::string& config_dir) {
  if (path.empty() || path == "-" || path[0] == '/' || config_dir.empty() || config_dir == ".") {
    return path;
  }
  return config_dir + (config_dir.back() == '/' ? "" : "/") + path;
}

bool load_config(const std::string& path, CaptureOptions& capture, SessionOptions& session,
                 std::string& error) {
  // Why a file cannot be read, in the words of open(2), before yaml-cpp (which says only
  // "bad file", and takes a directory for an empty file).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    const char* why = fd < 0 ? std::strerror(errno) : "is a directory";
    if (fd >= 0) ::close(fd);
    error = fmt::format("{}: cannot read config file: {}", path, why);
    return false;
  }
  ::close(fd);
  try {
    std::string dir = ".";
    if (auto slash = path.rfind('/'); slash != std::string::npos) dir = path.substr(0, slash + 1);
    load(YAML::LoadFile(path), capture, session, dir);
    return true;
  } catch (const ConfigError& e) {
    error = fmt::format("{}: {}", path, e.what());
  } catch (const YAML::BadFile&) {
    error = fmt::format("{}: cannot read config file", path);
  } catch (const YAML::Exception& e) {
    // "yaml-cpp: error at line 3, column 1: ..." -> "YAML syntax error at line 3, ...".
    std::string what = e.what();
    constexpr std::string_view kLead = "yaml-cpp: error at ";
    if (what.rfind(kLead, 0) == 0) what = "YAML syntax error at " + what.substr(kLead.size());
    error = fmt::format("{}: {}", path, what);
  }
  return false;
}

}  // namespace netsift
