// Per-address facts the statistics need for every packet — inside the home networks
// or not, and where it is — looked up once per address and cached, so the per-packet
// path is one hash probe. Locations are interned: one Location per distinct answer,
// shared by every address that has it. The cache holds at most `max_entries`
// addresses; past that it starts over (counted), keeping memory bounded.
#pragma once

#include <tsl/robin_map.h>

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ip_address.h"
#include "enrich/geoip.h"
#include "stats/home_networks.h"

namespace netsift {

struct Location {
  GeoInfo geo;
  std::string label;    // "Nanjing, Jiangsu, CN", "LAN", "loopback", "unknown", "" (no GeoIP)
  std::string country;  // ISO code, or the range name for reserved ranges; "" if unknown
};

struct AddressFacts {
  bool home = false;
  uint32_t location = 0;  // index into AddressBook::location()
};

class AddressBook {
 public:
  // `geoip` may be disabled; it must outlive the book.
  AddressBook(const HomeNetworks& home, const GeoIp& geoip, size_t max_entries = 1u << 20);

  // By value: a later insert may move the cached entries (locations never move).
  AddressFacts facts(const IpAddress& a) {
    auto it = cache_.find(a);
    if (it != cache_.end()) return it->second;
    return insert(a);
  }
  const Location& location(uint32_t id) const { return locations_[id]; }
  uint64_t lookups() const { return lookups_; }
  uint64_t restarts() const { return restarts_; }

 private:
  AddressFacts insert(const IpAddress& a);
  uint32_t intern(Location&& loc);

  const HomeNetworks& home_;
  const GeoIp& geoip_;
  size_t max_entries_;
  tsl::robin_map<IpAddress, AddressFacts, IpAddressHash> cache_;
  std::deque<Location> locations_;  // a deque: references stay valid as it grows
  std::unordered_map<std::string, uint32_t> by_label_;
  uint64_t lookups_ = 0, restarts_ = 0;
};

}  // namespace netsift
