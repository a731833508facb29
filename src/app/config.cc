#include "app/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <stdexcept>

#include "analyzers/registry.h"
#include "core/ip_address.h"

namespace netsift {
namespace {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Checks that `node` is a map whose keys are all in `allowed`.
void expect_keys(const YAML::Node& node, const std::string& where, std::set<std::string> allowed) {
  if (!node.IsMap()) throw ConfigError(fmt::format("'{}' must be a mapping", where));
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw ConfigError(fmt::format("unknown key '{}{}{}' (allowed here: {})", where,
                                    where.empty() ? "" : ".", key, list));
    }
  }
}

template <typename T>
T value(const YAML::Node& node, const std::string& key) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(fmt::format("bad value for '{}' (line {}): '{}'", key, node.Mark().line + 1,
                                  node.IsScalar() ? node.Scalar() : std::string("<not a scalar>")));
  }
}

template <typename T>
void read(const YAML::Node& parent, const std::string& where, const char* key, T& out) {
  if (const YAML::Node n = parent[key]) out = value<T>(n, where + "." + key);
}

std::vector<std::string> string_list(const YAML::Node& n, const std::string& key) {
  if (n.IsScalar()) return {value<std::string>(n, key)};
  if (!n.IsSequence()) throw ConfigError(fmt::format("'{}' must be a list", key));
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(value<std::string>(item, key));
  return out;
}

std::vector<uint16_t> port_list(const YAML::Node& n, const std::string& key) {
  std::vector<uint16_t> out;
  for (const auto& text : string_list(n, key)) {
    char* end = nullptr;
    long p = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end || p < 0 || p > 65535) {
      throw ConfigError(fmt::format("bad port '{}' in '{}'", text, key));
    }
    out.push_back(uint16_t(p));
  }
  return out;
}

std::vector<std::string> ip_list(const YAML::Node& n, const std::string& key) {
  auto list = string_list(n, key);
  for (const auto& ip : list) {
    IpAddress a;
    if (!parse_address(ip, a))
      throw ConfigError(fmt::format("bad IP address '{}' in '{}'", ip, key));
  }
  return list;
}

TimestampNs seconds(const YAML::Node& parent, const std::string& where, const char* key,
                    TimestampNs current) {
  const YAML::Node n = parent[key];
  if (!n) return current;
  double s = value<double>(n, where + "." + key);
  if (!(s > 0))
    throw ConfigError(fmt::format("'{}.{}' must be a positive number of seconds", where, key));
  return TimestampNs(s * 1e9);
}

template <typename T>
void positive(const YAML::Node& parent, const std::string& where, const char* key, T& out) {
  if (const YAML::Node n = parent[key]) {
    auto v = value<long long>(n, where + "." + key);
    if (v <= 0) throw ConfigError(fmt::format("'{}.{}' must be positive", where, key));
    out = T(v);
  }
}

void load(const YAML::Node& root, CaptureOptions& c, SessionOptions& s) {
  if (!root || root.IsNull()) return;
  expect_keys(root, "", {"input", "jobs", "filters", "output", "protocols", "limits"});
  if (const YAML::Node in = root["input"]) {
    expect_keys(in, "input",
                {"device", "pcap_file", "bpf_filter", "snaplen", "promiscuous", "buffer_size_mb",
                 "immediate", "verify_checksums"});
    read(in, "input", "device", c.interface);
    if (const YAML::Node f = in["pcap_file"]) c.read_files = string_list(f, "input.pcap_file");
    if (!c.interface.empty() && !c.read_files.empty()) {
      throw ConfigError("'input.device' and 'input.pcap_file' exclude each other");
    }
    if (const YAML::Node b = in["bpf_filter"])
      c.filter_words = {value<std::string>(b, "input.bpf_filter")};
    positive(in, "input", "snaplen", c.snaplen);
    positive(in, "input", "buffer_size_mb", c.buffer_size_mb);
    bool promisc = !c.no_promiscuous;
    read(in, "input", "promiscuous", promisc);
    c.no_promiscuous = !promisc;
    read(in, "input", "immediate", c.immediate);
    read(in, "input", "verify_checksums", c.verify_checksums);
  }
  if (const YAML::Node j = root["jobs"]) {
    expect_keys(j, "jobs", {"tcp", "udp", "packets"});
    read(j, "jobs", "tcp", s.tcp);
    read(j, "jobs", "udp", s.udp);
    read(j, "jobs", "packets", s.packets);
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
                {"json", "utc", "stdout", "directory", "sqlite", "data_level", "data_stream_direct",
                 "data_encoding", "max_session_data", "max_session_data_total"});
    read(o, "output", "json", s.json);
    read(o, "output", "utc", s.utc);
    read(o, "output", "stdout", s.stdout_output);
    read(o, "output", "directory", s.output_dir);
    read(o, "output", "sqlite", s.sqlite_path);
    if (const YAML::Node n = o["data_level"]) {
      s.data_level = value<int>(n, "output.data_level");
      if (s.data_level < 0 || s.data_level > 2)
        throw ConfigError("'output.data_level' must be 0, 1 or 2");
    }
    if (const YAML::Node n = o["data_stream_direct"]) {
      int mode = value<int>(n, "output.data_stream_direct");
      if (mode != 1 && mode != 2) {
        throw ConfigError(
            "'output.data_stream_direct' must be 1 (stream chunks) or 2 (whole session)");
      }
      s.stream = mode == 1;
    }
    if (const YAML::Node n = o["data_encoding"]) {
      std::string enc = value<std::string>(n, "output.data_encoding");
      if (enc != "text" && enc != "base64")
        throw ConfigError("'output.data_encoding' must be text or base64");
      s.base64 = enc == "base64";
    }
    positive(o, "output", "max_session_data", s.max_session_data);
    positive(o, "output", "max_session_data_total", s.max_session_data_total);
  }
  if (const YAML::Node p = root["protocols"]) {
    if (!p.IsMap()) throw ConfigError("'protocols' must map protocol names to settings");
    for (const auto& kv : p) {
      std::string name = kv.first.as<std::string>();
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

bool load_config(const std::string& path, CaptureOptions& capture, SessionOptions& session,
                 std::string& error) {
  try {
    load(YAML::LoadFile(path), capture, session);
    return true;
  } catch (const ConfigError& e) {
    error = fmt::format("{}: {}", path, e.what());
  } catch (const YAML::BadFile&) {
    error = fmt::format("{}: cannot read config file", path);
  } catch (const YAML::Exception& e) {
    error = fmt::format("{}: {}", path, e.what());
  }
  return false;
}

}  // namespace netsift
