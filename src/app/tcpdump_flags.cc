#include "app/tcpdump_flags.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace netsift {
namespace {

// -tt/-tttt and -vv/-vvv are taken (packets counts -t; -v is one level), so not here.
constexpr std::array<std::pair<std::string_view, std::string_view>, 39> kHints = {{
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
    {"-Q", "give the direction in the filter expression ('inbound', 'outbound')"},
    {"-P", "give the direction in the filter expression ('inbound', 'outbound')"},
    {"-T", "protocols are recognised by port and by content; no type needs forcing"},
    {"-#", "frames are numbered in the JSON output ('frame')"},
    {"--number", "frames are numbered in the JSON output ('frame')"},
    {"-d", "netsift does not print compiled filters: use 'tcpdump -d EXPRESSION'"},
    {"-dd", "netsift does not print compiled filters: use 'tcpdump -dd EXPRESSION'"},
    {"-ddd", "netsift does not print compiled filters: use 'tcpdump -ddd EXPRESSION'"},
    {"-j", "the time stamp type is the interface's default"},
    {"-J", "the time stamp type is the interface's default"},
    {"--time-stamp-precision", "nanosecond time stamps are always kept (and written by -w)"},
    {"--nano", "nanosecond time stamps are always kept (and written by -w)"},
    {"--micro", "nanosecond time stamps are always kept (and written by -w)"},
    {"--time-stamp-type", "the time stamp type is the interface's default"},
    {"--list-time-stamp-types", "the time stamp type is the interface's default"},
    {"-V", "give each file with its own -r (-r a.pcap -r b.pcap)"},
    {"-u", "netsift does not decode NFS"},
    {"--direction", "give the direction in the filter expression ('inbound', 'outbound')"},
    {"--dont-verify-checksums", "checksums are not checked unless -v/--verify-checksums is given"},
    {"--monitor-mode", "netsift does not set monitor mode"},
    {"--linktype", "the link type is chosen by the interface"},
    {"-O", "the filter is always optimized"},
    {"-M", "netsift does not validate TCP-MD5 signatures"},
    {"-H", "netsift does not decode 802.11s mesh headers"},
}};

}  // namespace

std::string tcpdump_flag_hint(std::string_view arg) {
  if (arg.rfind("--", 0) == 0) arg = arg.substr(0, arg.find('='));  // --opt=value
  for (const auto& [flag, hint] : kHints) {
    if (arg == flag) return fmt::format("tcpdump's {} does not apply to netsift: {}", flag, hint);
  }
  return {};
}

}  // namespace netsift
