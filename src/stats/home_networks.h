// The networks counted as "home" when telling a packet's direction (IN, OUT, LOOP,
// OTHER), parsed from CIDR text. Default: the private and local ranges (RFC 1918,
// 100.64/10 shared space, loopback, link-local, IPv6 ULA, loopback and link-local).
#pragma once

#include <string>
#include <vector>

#include "core/ip_address.h"

namespace netsift {

struct Cidr {
  IpAddress base;  // host bits cleared
  uint8_t prefix = 0;
  bool contains(const IpAddress& a) const;
};

// "10.0.0.0/8", "fd00::/8", or an address alone (a /32 or /128). False on bad text.
bool parse_cidr(const std::string& text, Cidr& out);

enum class Direction : uint8_t { In, Out, Loop, Other };
// "IN", "OUT", "LOOP", "OTHER" (the ancestor's names).
const char* direction_name(Direction d);

class HomeNetworks {
 public:
  HomeNetworks();  // the default private ranges
  // Replaces the ranges; false with `error` naming the bad entry.
  bool set(const std::vector<std::string>& cidrs, std::string& error);
  // Adds the addresses of a live interface (with their netmasks); false if it has none.
  bool add_interface(const std::string& name, std::string& error);

  bool contains(const IpAddress& a) const;
  // IN: from outside to home; OUT: home to outside; LOOP: both ends home; OTHER: neither.
  Direction direction(const IpAddress& src, const IpAddress& dst) const {
    bool s = contains(src), d = contains(dst);
    return s ? (d ? Direction::Loop : Direction::Out) : (d ? Direction::In : Direction::Other);
  }
  const std::vector<Cidr>& ranges() const { return ranges_; }

 private:
  std::vector<Cidr> ranges_;
};

std::string to_string(const Cidr& c);

}  // namespace netsift
