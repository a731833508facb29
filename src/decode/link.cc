// Link layers: Ethernet (+802.1Q/802.1ad stacks, LLC/SNAP), MPLS, PPPoE session,
// Linux cooked SLL/SLL2, raw IP, BSD null/loopback and NFLOG.
#include <algorithm>
#include <cstring>

#include "decode/decode_steps.h"

namespace netsift::decode {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800, kEtherArp = 0x0806, kEtherIpv6 = 0x86dd,
                   kEtherVlan = 0x8100, kEtherQinq = 0x88a8, kEtherQinqOld = 0x9100,
                   kEtherMpls = 0x8847, kEtherMplsMc = 0x8848, kEtherPppoe = 0x8864,
                   kEtherRarp = 0x8035, kEtherCentrino = 0x2452;
constexpr size_t kMaxMplsLabels = 16;

void raw_ip(Frame& f, uint32_t offset) {
  if (offset >= f.data.size()) {
    f.view.add_problem(Problem::LinkTruncated);
    return;
  }
  uint8_t version = f.data[offset] >> 4;
  if (version == 4) {
    ipv4(f, offset);
  } else if (version == 6) {
    ipv6(f, offset);
  } else {
    f.view.l3 = L3::Other;
    f.view.add_problem(Problem::IpUnknownVersion);
  }
}

// After an IEEE 802.3 length field (the Ethernet type's place, <= 1500): the LLC header.
// True with `type` and `offset` past a SNAP header with an Ethernet type (RFC 1042: OUI
// 0; 802.1H: 00-00-f8); false for the other LLC users (STP, NetBIOS, IPX, and SNAP with a
// vendor's OUI such as Cisco's PVST+ and CDP: not IP), which are named by their service
// access points, or when the header is cut.
bool llc_header(Frame& f, uint16_t& type, uint32_t& offset) {
  PacketView& v = f.view;
  if (f.data.size() < offset + 3) {
    v.add_problem(Problem::LlcTruncated);
    return false;
  }
  const uint8_t* llc = f.data.data() + offset;
  if (llc[0] == 0xaa && llc[1] == 0xaa && llc[2] == 0x03) {
    if (f.data.size() < offset + 8) {
      v.add_problem(Problem::LlcTruncated);
      return false;
    }
  }
  if (llc[0] == 0xaa && llc[1] == 0xaa && llc[2] == 0x03 && llc[3] == 0 && llc[4] == 0 &&
      (llc[5] == 0 || llc[5] == 0xf8)) {
    type = load_be16(llc + 6);
    offset += 8;
    return true;
  }
  v.llc = true;
  v.llc_dsap = llc[0];
  v.llc_ssap = llc[1];
  v.l3 = L3::Other;
  return false;
}

}  // namespace

void ethernet(Frame& f, uint32_t start) {
  if (f.data.size() < start + 14u) {
    f.view.add_problem(Problem::EthernetTruncated);
    return;
  }
  PacketView& v = f.view;
  std::memcpy(v.dst_mac.data(), f.data.data() + start, 6);
  std::memcpy(v.src_mac.data(), f.data.data() + start + 6, 6);
  v.has_macs = true;
  uint16_t type = load_be16(f.data.data() + start + 12);
  uint32_t offset = start + 14;
  if (type <= 1500 && !llc_header(f, type, offset)) return;
  by_ethertype(f, type, offset);
}

namespace {

void mpls(Frame& f, uint32_t offset) {
  for (;;) {
    if (f.data.size() < offset + 4) {
      f.view.add_problem(Problem::MplsTruncated);
      return;
    }
    uint32_t entry = load_be32(f.data.data() + offset);
    offset += 4;
    if (++f.view.mpls_count > kMaxMplsLabels) {
      f.view.add_problem(Problem::MplsTooDeep);
      return;
    }
    if (entry & 0x100) break;  // bottom of stack
  }
  // No type field after the stack: guess by the IP version nibble, as every tool does.
  if (offset >= f.data.size()) {
    f.view.add_problem(Problem::MplsTruncated);  // nothing after the label stack
    return;
  }
  {
    uint8_t version = f.data[offset] >> 4;
    if (version == 4 || version == 6) {
      raw_ip(f, offset);
      return;
    }
  }
  f.view.l3 = L3::Other;
}

void pppoe_session(Frame& f, uint32_t offset) {
  if (f.data.size() < offset + 8) {
    f.view.add_problem(Problem::PppoeTruncated);
    return;
  }
  f.view.pppoe = true;
  uint16_t ppp_proto = load_be16(f.data.data() + offset + 6);
  offset += 8;
  if (ppp_proto == 0x0021) {
    by_ethertype(f, kEtherIpv4, offset);
  } else if (ppp_proto == 0x0057) {
    by_ethertype(f, kEtherIpv6, offset);
  } else {
    f.view.l3 = L3::Other;
  }
}

// An 802.11 data frame inside Ethernet, as Intel Centrino drivers in promiscuous mode
// deliver them: the 802.11 header, then LLC/SNAP with an Ethernet type.
void wlan_data(Frame& f, uint32_t offset, bool driver_decrypted) {
  if (f.data.size() < offset + 24) {
    f.view.add_problem(Problem::LinkTruncated);
    return;
  }
  const uint8_t* h = f.data.data() + offset;
  uint16_t fc = load_le16(h);
  uint8_t type = (fc >> 2) & 3, subtype = (fc >> 4) & 15;
  bool to_ds = fc & 0x100, from_ds = fc & 0x200;
  bool protected_frame = fc & 0x4000;
  if (type != 2 || (subtype & 4)) {  // not data, or null data
    f.view.l3 = L3::Other;
    return;
  }
  uint32_t header = 24 + (to_ds && from_ds ? 6 : 0) + ((subtype & 8) ? 2 : 0);
  uint32_t llc = offset + header;
  if (protected_frame && !driver_decrypted) {
    f.view.l3 = L3::Other;  // encrypted payload
    return;
  }
  if (protected_frame) {
    // The driver hands over decrypted data but keeps the Protected bit and the IV
    // header (4 bytes WEP, 8 with the ExtIV bit); the LLC/SNAP check below rejects
    // anything still encrypted.
    if (f.data.size() < llc + 4) {
      f.view.add_problem(Problem::LinkTruncated);
      return;
    }
    llc += (f.data[llc + 3] & 0x20) ? 8 : 4;
  }
  if (f.data.size() < llc + 8) {
    f.view.add_problem(Problem::LlcTruncated);
    return;
  }
  const uint8_t* l = f.data.data() + llc;
  if (l[0] != 0xaa || l[1] != 0xaa || l[2] != 0x03) {
    f.view.l3 = L3::Other;
    return;
  }
  by_ethertype(f, load_be16(l + 6), llc + 8);
}

// Radiotap: a little-endian length at offset 2, then the 802.11 frame. A trailing
// FCS (flags bit 0x10, when the flags field is present) is cut off.
void radiotap(Frame& f) {
  if (f.data.size() < 8) {
    f.view.add_problem(Problem::LinkTruncated);
    return;
  }
  uint16_t len = load_le16(f.data.data() + 2);
  uint32_t present = load_le32(f.data.data() + 4);
  if (len < 8 || len > f.data.size()) {
    f.view.add_problem(Problem::LinkTruncated);
    return;
  }
  // Flags (bit 1) follow TSFT (bit 0, 8 bytes aligned to 8) when present; skip the
  // extended present bitmaps first.
  uint32_t pos = 8;
  uint32_t word = present;
  while ((word & 0x80000000u) && pos + 4 <= len) {
    word = load_le32(f.data.data() + pos);
    pos += 4;
  }
  ByteView frame = f.data;
  if (present & 0x2) {
    if (present & 0x1) pos = ((pos + 7) & ~7u) + 8;
    if (pos < len && (f.data[pos] & 0x10) && f.data.size() >= len + 4u) {
      frame = f.data.first(f.data.size() - 4);
    }
  }
  Frame inner{frame, f.view, f.options, f.snaplen_cut, f.depth};
  wlan_data(inner, len, false);
}

// PPP with or without HDLC-like framing (ff 03), and Cisco HDLC (address, control,
// Ethernet type).
void ppp(Frame& f, bool cisco_hdlc) {
  uint32_t offset = 0;
  if (cisco_hdlc) {
    if (f.data.size() < 4) {
      f.view.add_problem(Problem::LinkTruncated);
      return;
    }
    by_ethertype(f, load_be16(f.data.data() + 2), 4);
    return;
  }
  if (f.data.size() >= 2 && f.data[0] == 0xff && f.data[1] == 0x03) offset = 2;
  if (f.data.size() < offset + 1) {
    f.view.add_problem(Problem::LinkTruncated);
    return;
  }
  uint16_t proto;
  if (f.data[offset] & 1) {  // protocol field compression: one byte
    proto = f.data[offset];
    offset += 1;
  } else {
    if (f.data.size() < offset + 2) {
      f.view.add_problem(Problem::LinkTruncated);
      return;
    }
    proto = load_be16(f.data.data() + offset);
    offset += 2;
  }
  if (proto == 0x21) {
    ipv4(f, offset);
  } else if (proto == 0x57) {
    ipv6(f, offset);
  } else {
    f.view.l3 = L3::Other;
  }
}

// ARPHRD_* hardware types of SLL/SLL2 whose "protocol" field is not an Ethernet type.
constexpr uint16_t kArphrdNetlink = 824;

void sll(Frame& f) {
  if (f.data.size() < 16) {
    f.view.add_problem(Problem::SllTruncated);
    return;
  }
  const uint8_t* h = f.data.data();
  uint16_t hatype = load_be16(h + 2), addr_len = load_be16(h + 4);
  if (addr_len == 6) {
    std::memcpy(f.view.src_mac.data(), h + 6, 6);
    f.view.has_macs = true;
  }
  uint16_t proto = load_be16(h + 14);
  if (hatype == kArphrdNetlink) {
    f.view.l3 = L3::Other;
    return;
  }
  by_ethertype(f, proto, 16);
}

void sll2(Frame& f) {
  if (f.data.size() < 20) {
    f.view.add_problem(Problem::SllTruncated);
    return;
  }
  const uint8_t* h = f.data.data();
  uint16_t proto = load_be16(h);
  uint16_t hatype = load_be16(h + 8);
  uint8_t addr_len = h[11];
  if (addr_len == 6) {
    std::memcpy(f.view.src_mac.data(), h + 12, 6);
    f.view.has_macs = true;
  }
  if (hatype == kArphrdNetlink) {
    f.view.l3 = L3::Other;
    return;
  }
  by_ethertype(f, proto, 20);
}

// BSD loopback: a 4-byte address family, host byte order for DLT_NULL (either order,
// depending on the capturing machine) and network order for DLT_LOOP.
void null_loopback(Frame& f, bool network_order) {
  if (f.data.size() < 4) {
    f.view.add_problem(Problem::NullTruncated);
    return;
  }
  uint32_t family = network_order ? load_be32(f.data.data()) : load_le32(f.data.data());
  if (!network_order && (family & 0xffff0000u)) family = load_be32(f.data.data());
  switch (family) {
    case 2:  // AF_INET everywhere
      ipv4(f, 4);
      return;
    case 10:  // AF_INET6 on Linux
    case 24:  // NetBSD, OpenBSD, BSD/OS
    case 28:  // FreeBSD
    case 30:  // macOS
      ipv6(f, 4);
      return;
    default:
      f.view.l3 = L3::Other;
  }
}

// NFLOG: family, version, resource id, then TLVs (host-order lengths, 4-byte aligned);
// the packet is the NFULA_PAYLOAD TLV.
void nflog(Frame& f) {
  if (f.data.size() < 4) {
    f.view.add_problem(Problem::NflogTruncated);
    return;
  }
  uint8_t family = f.data[0];
  uint32_t offset = 4;
  constexpr uint16_t kNfulaPayload = 9;
  while (offset + 4 <= f.data.size()) {
    uint16_t len = load_le16(f.data.data() + offset);
    uint16_t type = load_le16(f.data.data() + offset + 2) & 0x7fff;
    if (len < 4 || offset + len > f.data.size()) {
      f.view.add_problem(Problem::NflogBadTlv);
      return;
    }
    if (type == kNfulaPayload) {
      Frame inner{f.data.first(offset + len), f.view, f.options, f.snaplen_cut};
      if (family == 2) {
        ipv4(inner, offset + 4);
      } else if (family == 10) {
        ipv6(inner, offset + 4);
      } else {
        raw_ip(inner, offset + 4);
      }
      return;
    }
    offset += (len + 3u) & ~3u;
  }
  f.view.add_problem(Problem::NflogTruncated);
}

}  // namespace

void by_ethertype(Frame& f, uint16_t ethertype, uint32_t offset) {
  PacketView& v = f.view;
  constexpr int kMaxEncapsulations = 16;
  if (++f.depth > kMaxEncapsulations) {
    v.add_problem(Problem::LinkTooDeep);
    return;
  }
  for (;;) {
    if (ethertype == kEtherVlan || ethertype == kEtherQinq || ethertype == kEtherQinqOld) {
      if (f.data.size() < offset + 4) {
        v.add_problem(Problem::VlanTruncated);
        return;
      }
      if (v.vlan_count >= PacketView::kMaxVlans) {
        v.add_problem(Problem::VlanTooDeep);
        return;
      }
      v.vlans[v.vlan_count++] = load_be16(f.data.data() + offset) & 0x0fff;
      ethertype = load_be16(f.data.data() + offset + 2);
      offset += 4;
      // A tagged 802.3 frame: its length where the type would be, then LLC.
      if (ethertype <= 1500 && !llc_header(f, ethertype, offset)) return;
      continue;
    }
    break;
  }
  v.ethertype = ethertype;
  switch (ethertype) {
    case kEtherIpv4:
      ipv4(f, offset);
      return;
    case kEtherIpv6:
      ipv6(f, offset);
      return;
    case kEtherArp:
    case kEtherRarp:  // same layout as ARP
      arp(f, offset);
      return;
    case kEtherMpls:
    case kEtherMplsMc:
      mpls(f, offset);
      return;
    case kEtherPppoe:
      pppoe_session(f, offset);
      return;
    case kEtherCentrino:
      wlan_data(f, offset, true);
      return;
    default:
      v.l3 = L3::Other;
  }
}

void link_layer(Frame& f, uint16_t linktype) {
  switch (linktype) {
    case linktype::kEthernet:
      ethernet(f, 0);
      return;
    case linktype::kRaw:
    case linktype::kRawOpenBsd:
    case linktype::kRawBsdOs:
      raw_ip(f, 0);
      return;
    case linktype::kIpv4:
      ipv4(f, 0);
      return;
    case linktype::kIpv6:
      ipv6(f, 0);
      return;
    case linktype::kNull:
      null_loopback(f, false);
      return;
    case linktype::kLoop:
      null_loopback(f, true);
      return;
    case linktype::kLinuxSll:
      sll(f);
      return;
    case linktype::kLinuxSll2:
      sll2(f);
      return;
    case linktype::kNflog:
      nflog(f);
      return;
    case linktype::kRadiotap:
      radiotap(f);
      return;
    case linktype::kIeee80211: {
      wlan_data(f, 0, false);
      return;
    }
    case linktype::kPpp:
    case linktype::kPppHdlc:
      ppp(f, false);
      return;
    case linktype::kCiscoHdlc:
      ppp(f, true);
      return;
    default:
      f.view.add_problem(Problem::LinkUnsupported);
  }
}

void arp(Frame& f, uint32_t offset) {
  PacketView& v = f.view;
  v.l3 = L3::Arp;
  v.l3_offset = offset;
  if (f.data.size() < offset + 8) {
    v.add_problem(Problem::ArpTruncated);
    return;
  }
  const uint8_t* h = f.data.data() + offset;
  uint16_t htype = load_be16(h), ptype = load_be16(h + 2);
  uint8_t hlen = h[4], plen = h[5];
  v.arp_op = load_be16(h + 6);
  if (htype != 1 || ptype != 0x0800 || hlen != 6 || plen != 4) return;  // not Ethernet/IPv4
  if (f.data.size() < offset + 28) {
    v.add_problem(Problem::ArpTruncated);
    return;
  }
  std::memcpy(v.arp_sender_mac.data(), h + 8, 6);
  v.src_ip = IpAddress::v4(h + 14);
  std::memcpy(v.arp_target_mac.data(), h + 18, 6);
  v.dst_ip = IpAddress::v4(h + 24);
}

}  // namespace netsift::decode
