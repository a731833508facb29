// Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec):
// a direction-independent flow identifier shared by Zeek, Suricata and Wireshark, so
// events from netsift can be joined with theirs.
#pragma once

#include <cstdint>
#include <string>

#include "core/ip_address.h"

namespace netsift {

constexpr size_t kCommunityIdLength = 30;  // "1:" + 28 base64 characters

// Writes the ID into out[0..kCommunityIdLength). For ICMP/ICMPv6, pass type and code
// as the ports; they are mapped to the spec's port equivalents. Protocols without ports
// ignore them.
void community_id(const IpAddress& src, const IpAddress& dst, uint8_t proto, uint16_t src_port,
                  uint16_t dst_port, char* out, uint16_t seed = 0);
std::string community_id(const IpAddress& src, const IpAddress& dst, uint8_t proto,
                         uint16_t src_port, uint16_t dst_port, uint16_t seed = 0);

}  // namespace netsift
