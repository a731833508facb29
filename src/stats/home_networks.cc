#include "stats/home_networks.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>

namespace netsift {
namespace {

constexpr const char* kDefaultHome[] = {"10.0.0.0/8",    "172.16.0.0/12", "192.168.0.0/16",
                                        "100.64.0.0/10", "127.0.0.0/8",   "169.254.0.0/16",
                                        "fc00::/7",      "::1/128",       "fe80::/10"};

IpAddress masked(const IpAddress& a, unsigned prefix) {
  IpAddress m = a;
  for (unsigned i = 0; i < 16; ++i) {
    unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
    if (bits >= 8) continue;
    m.bytes[i] &= uint8_t(0xff00u >> bits);
  }
  return m;
}

unsigned prefix_of_mask(const uint8_t* mask, size_t len) {
  unsigned n = 0;
  for (size_t i = 0; i < len; ++i) n += unsigned(__builtin_popcount(mask[i]));
  return n;
}

}  // namespace

bool Cidr::contains(const IpAddress& a) const {
  return a.family == base.family && masked(a, prefix) == base;
}

bool parse_cidr(const std::string& text, Cidr& out) {
  auto slash = text.find('/');
  IpAddress a;
  if (!parse_address(text.substr(0, slash), a)) return false;
  unsigned max = a.family == 4 ? 32 : 128, prefix = max;
  if (slash != std::string::npos) {
    const std::string p = text.substr(slash + 1);
    char* end = nullptr;
    long v = std::strtol(p.c_str(), &end, 10);
    if (p.empty() || *end || v < 0 || v > long(max)) return false;
    prefix = unsigned(v);
  }
  out.prefix = uint8_t(prefix);
  out.base = masked(a, prefix);
  return true;
}

std::string to_string(const Cidr& c) {
  return to_string(c.base) + "/" + std::to_string(c.prefix);
}

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::In:
      return "IN";
    case Direction::Out:
      return "OUT";
    case Direction::Loop:
      return "LOOP";
    case Direction::Other:
      break;
  }
  return "OTHER";
}

HomeNetworks::HomeNetworks() {
  std::string unused;
  set({std::begin(kDefaultHome), std::end(kDefaultHome)}, unused);
}

bool HomeNetworks::set(const std::vector<std::string>& cidrs, std::string& error) {
  std::vector<Cidr> ranges;
  for (const auto& text : cidrs) {
    Cidr c;
    if (!parse_cidr(text, c)) {
      error = "bad network '" + text + "' (expected ADDRESS/PREFIX)";
      return false;
    }
    ranges.push_back(c);
  }
  ranges_ = std::move(ranges);
  return true;
}

bool HomeNetworks::add_interface(const std::string& name, std::string& error) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    error = "cannot list interface addresses";
    return false;
  }
  std::vector<Cidr> found;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !i->ifa_netmask || name != i->ifa_name) continue;
    Cidr c;
    if (i->ifa_addr->sa_family == AF_INET) {
      auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      auto* m = reinterpret_cast<const sockaddr_in*>(i->ifa_netmask);
      c.prefix = uint8_t(prefix_of_mask(reinterpret_cast<const uint8_t*>(&m->sin_addr), 4));
      c.base = masked(IpAddress::v4(reinterpret_cast<const uint8_t*>(&a->sin_addr)), c.prefix);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      auto* m = reinterpret_cast<const sockaddr_in6*>(i->ifa_netmask);
      c.prefix = uint8_t(prefix_of_mask(m->sin6_addr.s6_addr, 16));
      c.base = masked(IpAddress::v6(a->sin6_addr.s6_addr), c.prefix);
    } else {
      continue;
    }
    found.push_back(c);
  }
  freeifaddrs(list);
  if (found.empty()) {
    error = "interface '" + name + "' has no IP address";
    return false;
  }
  ranges_ = std::move(found);
  return true;
}

bool HomeNetworks::contains(const IpAddress& a) const {
  for (const Cidr& c : ranges_) {
    if (c.contains(a)) return true;
  }
  return false;
}

}  // namespace netsift
