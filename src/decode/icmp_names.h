// Human names of ICMP and ICMPv6 types and codes (RFC 792, 950, 1256, 1812, 4443,
// 4861, IANA registries).
#pragma once

#include <cstdint>
#include <string_view>

namespace netsift {

// e.g. "destination unreachable: port unreachable"; "type N" for unknown types.
std::string_view icmp_message(uint8_t type, uint8_t code, bool v6);
// Short tag for text output, e.g. "ICMP_Unreach", "ICMP6_EchoRequest".
std::string_view icmp_tag(uint8_t type, bool v6);
// True for error messages that quote the offending packet's header.
bool icmp_is_error(uint8_t type, bool v6);

}  // namespace netsift
