#include "analyzers/analyzer.h"

#include <cassert>
#include <charconv>

namespace netsift {

Event make_flow_event(const char* kind, const FlowInfo& flow) {
  return make_flow_event(kind, flow, flow.now);
}

Event make_flow_event(const char* kind, const FlowInfo& flow, TimestampNs ts) {
  Event e(kind, ts, flow.event_pool);
  e.set("src_ip", flow.client_ip);
  e.set("src_port", uint64_t(flow.client_port));
  e.set("dst_ip", flow.server_ip);
  e.set("dst_port", uint64_t(flow.server_port));
  e.set("proto", flow.proto == 6 ? "tcp" : flow.proto == 17 ? "udp" : "ip");
  e.set("community_id", std::string_view(flow.community_id));
  return e;
}

namespace {

bool parse_uint(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "yes" || text == "on") return out = true, true;
  if (text == "false" || text == "no" || text == "off") return out = false, true;
  return false;
}

}  // namespace

AnalyzerOptions::AnalyzerOptions(std::span<const AnalyzerOptionSpec> specs) : specs_(specs) {
  values_.reserve(specs.size());
  for (const auto& s : specs) values_.emplace_back(s.default_value);
}

bool AnalyzerOptions::set(std::string_view name, std::string_view value, std::string& error) {
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name != name) continue;
    uint64_t u;
    bool b;
    switch (specs_[i].kind) {
      case AnalyzerOptionSpec::Kind::Uint:
        if (!parse_uint(value, u)) {
          error = "must be a non-negative integer (" + std::string(specs_[i].help) + ")";
          return false;
        }
        break;
      case AnalyzerOptionSpec::Kind::Bool:
        if (!parse_bool(value, b)) {
          error = "must be true or false (" + std::string(specs_[i].help) + ")";
          return false;
        }
        break;
      case AnalyzerOptionSpec::Kind::String:
        break;
    }
    values_[i] = std::string(value);
    return true;
  }
  std::string known;
  for (const auto& s : specs_) known += (known.empty() ? "" : ", ") + std::string(s.name);
  error = "unknown option (known: ports" + (known.empty() ? "" : ", " + known) + ")";
  return false;
}

const std::string* AnalyzerOptions::find(std::string_view name) const {
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return &values_[i];
  }
  assert(!"analyzer asked for an option it did not declare");
  return nullptr;
}

uint64_t AnalyzerOptions::get_uint(std::string_view name) const {
  uint64_t v = 0;
  if (const std::string* s = find(name)) parse_uint(*s, v);
  return v;
}

bool AnalyzerOptions::get_bool(std::string_view name) const {
  bool v = false;
  if (const std::string* s = find(name)) parse_bool(*s, v);
  return v;
}

std::string_view AnalyzerOptions::get_string(std::string_view name) const {
  const std::string* s = find(name);
  return s ? std::string_view(*s) : std::string_view();
}

void AnalyzerContext::anomaly(size_t index, EventSink& out, std::string_view detail) const {
  if (host && spec && flow && index < spec->anomalies.size())
    host->anomaly(*spec, index, *flow, detail, out);
}

}  // namespace netsift
