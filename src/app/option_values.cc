#include "app/option_values.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>

namespace netsift::values {

std::string whole_number(std::string_view text, uint64_t min, uint64_t max, uint64_t& out) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  bool digits = !text.empty() && text[0] >= '0' && text[0] <= '9';
  if (!digits || end != text.data() + text.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return fmt::format("'{}' is not a whole number", text);
  }
  if (ec == std::errc::result_out_of_range || v > max) {
    return fmt::format("'{}' is too large (at most {})", text, max);
  }
  if (v < min) return fmt::format("'{}' is too small (at least {})", text, min);
  out = v;
  return {};
}

std::string positive(std::string_view text, uint64_t& out) {
  std::string err = whole_number(text, 1, uint64_t(INT64_MAX), out);
  if (!err.empty() && err.find("too large") == err.npos) {
    return fmt::format("'{}' is not a positive whole number", text);
  }
  return err;
}

std::string workers(std::string_view text, uint32_t& out) {
  if (text == "auto") {
    out = 0;
    return {};
  }
  uint64_t n = 0;
  std::string err = whole_number(text, 1, kMaxWorkers, n);
  if (!err.empty()) {
    return fmt::format("'{}' is not a number of workers (auto, or 1-{})", text, kMaxWorkers);
  }
  out = uint32_t(n);
  return {};
}

std::string port(std::string_view text, uint16_t& out) {
  uint64_t v = 0;
  if (!whole_number(text, 0, 65535, v).empty()) {
    return fmt::format("'{}' is not a port number (0-65535)", text);
  }
  out = uint16_t(v);
  return {};
}

std::string ip_address(std::string_view text, IpAddress& out) {
  if (!parse_address(std::string(text), out)) {
    return fmt::format("'{}' is not an IP address", text);
  }
  return {};
}

std::string positive_seconds(std::string_view text, TimestampNs& out) {
  double s = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), s);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !(s > 0) ||
      !std::isfinite(s)) {
    return fmt::format("'{}' is not a positive number of seconds", text);
  }
  if (s > 1e9) return fmt::format("'{}' is too large (at most 1000000000 seconds)", text);
  out = TimestampNs(s * 1e9);
  if (out <= 0) return fmt::format("'{}' is not a positive number of seconds", text);
  return {};
}

std::string one_of(std::string_view text, const std::vector<std::string_view>& allowed) {
  std::string list;
  for (auto a : allowed) {
    if (a == text) return {};
    list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
  }
  return fmt::format("'{}' is not one of {}", text, list);
}

std::string boolean(std::string_view text, bool& out) {
  for (auto t : {"true", "yes", "on", "1", "True", "Yes", "On", "TRUE", "YES", "ON"}) {
    if (text == t) return out = true, std::string();
  }
  for (auto f : {"false", "no", "off", "0", "False", "No", "Off", "FALSE", "NO", "OFF"}) {
    if (text == f) return out = false, std::string();
  }
  return fmt::format("'{}' is not true or false", text);
}

namespace {

// The longest of the option's names, for messages ("--max-flows").
std::string flag_name(const std::string& names) {
  std::string best;
  size_t start = 0;
  for (;;) {
    size_t comma = names.find(',', start);
    std::string n = names.substr(start, comma == names.npos ? names.npos : comma - start);
    if (n.size() > best.size()) best = n;
    if (comma == names.npos) break;
    start = comma + 1;
  }
  return best;
}

void require(const std::string& names, const std::string& error) {
  if (!error.empty()) throw CLI::ValidationError(flag_name(names), error);
}

}  // namespace

CLI::Option* add_whole_number(CLI::App& app, const std::string& names, uint64_t min, uint64_t max,
                              uint64_t& target, const std::string& help) {
  return app
      .add_option_function<std::string>(
          names,
          [names, min, max, &target](const std::string& v) {
            require(names, whole_number(v, min, max, target));
          },
          help)
      ->type_name("N");
}

CLI::Option* add_positive(CLI::App& app, const std::string& names, uint64_t& target,
                          const std::string& help) {
  return app
      .add_option_function<std::string>(
          names, [names, &target](const std::string& v) { require(names, positive(v, target)); },
          help)
      ->type_name("N");
}

CLI::Option* add_seconds(CLI::App& app, const std::string& names, TimestampNs& target,
                         const std::string& help) {
  return app
      .add_option_function<std::string>(
          names,
          [names, &target](const std::string& v) { require(names, positive_seconds(v, target)); },
          help)
      ->type_name("SECONDS");
}

CLI::Option* add_port_list(CLI::App& app, const std::string& names, std::vector<uint16_t>& target,
                           const std::string& help, bool none_empties) {
  return app
      .add_option_function<std::vector<std::string>>(
          names,
          [names, &target, none_empties](const std::vector<std::string>& list) {
            target.clear();
            if (none_empties && list.size() == 1 && list[0] == "none") return;
            for (const auto& v : list) {
              uint16_t p = 0;
              require(names, port(v, p));
              target.push_back(p);
            }
          },
          help)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("PORT[,PORT]");
}

CLI::Option* add_ip_list(CLI::App& app, const std::string& names, std::vector<std::string>& target,
                         const std::string& help) {
  return app
      .add_option_function<std::vector<std::string>>(
          names,
          [names, &target](const std::vector<std::string>& list) {
            for (const auto& v : list) {
              IpAddress a;
              require(names, ip_address(v, a));
            }
            target = list;
          },
          help)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("IP[,IP]");
}

}  // namespace netsift::values
