#include "stats/address_book.h"

namespace netsift {

AddressBook::AddressBook(const HomeNetworks& home, const GeoIp& geoip, size_t max_entries)
    : home_(home), geoip_(geoip), max_entries_(max_entries) {
  intern(Location{});  // id 0: nothing known
}

AddressFacts AddressBook::insert(const IpAddress& a) {
  if (cache_.size() >= max_entries_) {
    cache_.clear();
    ++restarts_;
  }
  AddressFacts f;
  f.home = home_.contains(a);
  Location loc;
  if (const char* range = reserved_range_name(a)) {
    loc.label = range;
    loc.country = range;
  } else if (geoip_.enabled()) {
    ++lookups_;
    loc.geo = geoip_.lookup(a);
    for (const std::string* part : {&loc.geo.city, &loc.geo.region, &loc.geo.country}) {
      if (part->empty()) continue;
      if (!loc.label.empty()) loc.label += ", ";
      loc.label += *part;
    }
    if (loc.label.empty()) loc.label = "unknown";
    loc.country = loc.geo.country;
  }
  f.location = loc.label.empty() ? 0 : intern(std::move(loc));
  cache_.emplace(a, f);
  return f;
}

uint32_t AddressBook::intern(Location&& loc) {
  // The label identifies a location except for the AS, which differs within a city.
  std::string key = loc.label + '\n' + std::to_string(loc.geo.asn) + '\n' + loc.geo.as_org;
  auto it = by_label_.find(key);
  if (it != by_label_.end()) return it->second;
  uint32_t id = uint32_t(locations_.size());
  locations_.push_back(std::move(loc));
  by_label_.emplace(std::move(key), id);
  return id;
}

}  // namespace netsift
