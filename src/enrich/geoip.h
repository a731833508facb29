// IP geolocation through libmaxminddb: any MaxMind-format database — GeoLite2/GeoIP2
// City, Country or ASN, and the DB-IP "lite" files of ip-location-db (flat keys
// city/state1/country_code) — several at once (DB-IP ships IPv4 and IPv6 apart, ASN
// data comes in its own file). Lookups are not cached here; the caller caches per
// address (stats/address_book.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ip_address.h"

namespace netsift {

struct GeoInfo {
  std::string city, region, country;  // country: ISO 3166 code
  uint32_t asn = 0;
  std::string as_org;
  bool found() const { return !city.empty() || !region.empty() || !country.empty() || asn; }
};

class GeoIp {
 public:
  GeoIp();
  ~GeoIp();
  GeoIp(const GeoIp&) = delete;
  GeoIp& operator=(const GeoIp&) = delete;

  // Opens one more database file; false with `error` set if it cannot be read.
  bool open(const std::string& path, std::string& error);
  bool enabled() const { return !dbs_.empty(); }
  // What is in use, for messages: "file (type, IPv4|IPv6, built YYYY-MM-DD)", ...
  std::string describe() const;
  // Fields from every database that knows the address (the first answer per field).
  GeoInfo lookup(const IpAddress& a) const;

  // The files the default database installed by scripts/setup.sh would be at: the
  // directory $NETSIFT_GEOIP_DIR, else <prefix>/share/netsift/geoip for the prefixes
  // /usr/local and /usr; only files that exist are returned.
  static std::vector<std::string> default_files();

 private:
  struct Db;
  std::vector<std::unique_ptr<Db>> dbs_;
};

// The name of a private, local or reserved range holding `a` ("LAN", "loopback",
// "link-local", "multicast", ...), or nullptr for a public address. Databases have
// nothing to say about these.
const char* reserved_range_name(const IpAddress& a);

}  // namespace netsift
