// Internal: the layer decoders the Decoder chains together. Each takes the frame and
// the offset where its header starts, fills the view, and calls the next layer through
// a dispatch on the protocol number it found, so no layer names its children.
#pragma once

#include <cstdint>

#include "core/bytes.h"
#include "decode/decoder.h"
#include "decode/packet_view.h"

namespace netsift::decode {

struct Frame {
  ByteView data;  // the captured bytes
  PacketView& view;
  const DecoderOptions& options;
  bool snaplen_cut;  // the capture holds fewer bytes than were on the wire
  int depth = 0;     // encapsulations entered, bounded so hostile nesting cannot recurse deeply
};

void link_layer(Frame& f, uint16_t linktype);
// An Ethernet header at `offset` (the link layer, or a bridged frame inside a tunnel).
void ethernet(Frame& f, uint32_t offset);
// Dispatch on an Ethernet type (also used by SLL, PPPoE, MPLS guesses).
void by_ethertype(Frame& f, uint16_t ethertype, uint32_t offset);
void ipv4(Frame& f, uint32_t offset);
void ipv6(Frame& f, uint32_t offset);
void arp(Frame& f, uint32_t offset);
// Dispatch on an IP protocol number; `end` is where the IP payload ends in the capture.
void by_ip_proto(Frame& f, uint8_t proto, uint32_t offset, uint32_t end);
void tcp(Frame& f, uint32_t offset, uint32_t end);
void udp(Frame& f, uint32_t offset, uint32_t end);
void icmp(Frame& f, uint32_t offset, uint32_t end);
void icmp6(Frame& f, uint32_t offset, uint32_t end);
// Tunnels (tunnel.cc). udp_tunnel() returns false when the datagram is not a tunnel
// (wrong port or header), which then stays plain UDP.
void ip_in_ip(Frame& f, uint8_t proto, uint32_t offset, uint32_t end);
void gre(Frame& f, uint32_t offset, uint32_t end);
bool udp_tunnel(Frame& f, uint16_t dst_port, uint32_t offset, uint32_t end);

// Bytes from `offset` that no decoder follows: the payload of an unknown protocol.
void other_payload(Frame& f, uint32_t offset, uint32_t end);

// RFC 1071 one's-complement sum, folded but not inverted.
uint32_t checksum_add(uint32_t sum, ByteView bytes);
uint16_t checksum_fold(uint32_t sum);
// Sum of the IPv4/IPv6 pseudo header for a transport checksum.
uint32_t pseudo_header_sum(const PacketView& v, uint8_t proto, uint32_t length);

}  // namespace netsift::decode
