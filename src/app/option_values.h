// Parsers for option values, shared by the command line (CLI11 options) and the YAML
// config file, so that both accept the same values and reject the others with the same
// reason. Each returns an empty string on success, else the reason without the option's
// name ("'banana' is not an IP address"); the caller names the flag or the config key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"
#include "core/timestamp.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace netsift::values {

// A whole number in [min, max] (decimal, no sign unless min < 0, no trailing text).
std::string whole_number(std::string_view text, uint64_t min, uint64_t max, uint64_t& out);
// A whole number >= 1 (counts, caps, sizes).
std::string positive(std::string_view text, uint64_t& out);
// A TCP/UDP port, 0-65535.
std::string port(std::string_view text, uint16_t& out);
// An IPv4 or IPv6 address.
std::string ip_address(std::string_view text, IpAddress& out);
// A number of seconds > 0 (fractions allowed), as nanoseconds.
std::string positive_seconds(std::string_view text, TimestampNs& out);
// One of `allowed` (exact match).
std::string one_of(std::string_view text, const std::vector<std::string_view>& allowed);
// Worker threads: `auto` (0: one per core) or 1-kMaxWorkers.
constexpr uint64_t kMaxWorkers = 256;
std::string workers(std::string_view text, uint32_t& out);
// true/false/yes/no/on/off/1/0 (YAML 1.1 and CLI spellings).
std::string boolean(std::string_view text, bool& out);

// Command-line adapters: the option's value goes through the parser when the option is
// given; a bad value is a usage error ("--max-flows: '0' is not ..."), exit status 64.
CLI::Option* add_positive(CLI::App& app, const std::string& names, uint64_t& target,
                          const std::string& help);
CLI::Option* add_whole_number(CLI::App& app, const std::string& names, uint64_t min, uint64_t max,
                              uint64_t& target, const std::string& help);
CLI::Option* add_seconds(CLI::App& app, const std::string& names, TimestampNs& target,
                         const std::string& help);
// With `none_empties`, the value "none" stands for the empty list (a list whose default
// is not empty could not be emptied otherwise).
CLI::Option* add_port_list(CLI::App& app, const std::string& names, std::vector<uint16_t>& target,
                           const std::string& help, bool none_empties = false);
// Addresses are checked here and kept as text (the config file keeps them so too).
CLI::Option* add_ip_list(CLI::App& app, const std::string& names, std::vector<std::string>& target,
                         const std::string& help);

}  // namespace netsift::values
