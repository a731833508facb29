// Names used in output for protocols: the `proto` field of events.
#pragma once

#include <cstdint>
#include <string_view>

#include "decode/packet_view.h"

namespace netsift {

// "tcp", "udp", "icmp", "icmp6", "gre", ... or "ip-N" for unnamed numbers.
std::string_view ip_proto_name(uint8_t proto);
// The packet's `proto`: its IP protocol name, "arp", "llc" (802.3 without SNAP), or
// "ethertype-0xNNNN"/"unknown".
std::string_view packet_proto(const PacketView& v, char* scratch /* >= 24 bytes */);
// "ipip", "gre", "erspan", "vxlan", "geneve" (empty for none).
std::string_view tunnel_name(TunnelKind kind);

}  // namespace netsift
