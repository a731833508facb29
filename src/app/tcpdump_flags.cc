#include "app/tcpdump_flags.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace netsift {
namespace {

// -tt/-tttt and -vv/-vvv are taken (packets counts -t; -v is one level), so not here.
constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kHints = {{
    {"-D", "netsift does not list interfaces: use 'ip link' (or 'tcpdump -D')"},
    {"--list-interfaces", "netsift does not list interfaces: use 'ip link' (or 'tcpdump -D')"},
    {"-L", "netsift does not list link types: they are chosen by the interface"},
    {"-S", "sequence numbers are always printed absolute"},
    {"-N", "host names are never resolved, so there are no domains to strip"},
    {"-K", "checksums are not checked unless -v/--verify-checksums is given"},
    {"-U", "-w output is written per packet with -l, and at least every 200 ms live"},
    {"-y", "the link type is chosen by the interface"},
    {"-z", "netsift does not run commands on rotated files"},
    {"-G", "netsift does not rotate -w files"},
    {"-C", "netsift does not rotate -w files"},
    {"-W", "netsift does not rotate -w files"},
    {"-F", "give the filter expression on the command line, e.g. \"$(cat FILE)\""},
    {"-E", "netsift does not decrypt IPsec"},
    {"-I", "netsift does not set monitor mode"},
}};

}  // namespace

std::string tcpdump_flag_hint(std::string_view arg) {
  for (const auto& [flag, hint] : kHints) {
    if (arg == flag) return fmt::format("tcpdump's {} does not apply to netsift: {}", flag, hint);
  }
  return {};
}

}  // namespace netsift
