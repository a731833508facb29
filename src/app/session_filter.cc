#include "app/session_filter.h"

#include <algorithm>
#include <string>

namespace netsift {
namespace {

bool contains_ip(const std::vector<IpAddress>& list, const IpAddress& a) {
  return list.empty() || std::find(list.begin(), list.end(), a) != list.end();
}
bool contains_port(const std::vector<uint16_t>& list, uint16_t p) {
  return list.empty() || std::find(list.begin(), list.end(), p) != list.end();
}
std::vector<IpAddress> parse_ips(const std::vector<std::string>& texts) {
  std::vector<IpAddress> out;
  for (const auto& t : texts) {
    IpAddress a;
    if (parse_address(t, a)) out.push_back(a);  // validated when the options were read
  }
  return out;
}

}  // namespace

SessionFilter::SessionFilter(const SessionFilters& filters)
    : f_(filters),
      tcp_src_ips_(parse_ips(filters.tcp_src_ips)),
      tcp_dst_ips_(parse_ips(filters.tcp_dst_ips)),
      udp_ips_(parse_ips(filters.udp_ips)),
      empty_(filters.tcp_src_ports.empty() && filters.tcp_dst_ports.empty() &&
             filters.tcp_src_ips.empty() && filters.tcp_dst_ips.empty() &&
             filters.udp_ports.empty() && filters.udp_ips.empty()) {}

bool SessionFilter::wanted(uint8_t proto, const IpAddress& client_ip, uint16_t client_port,
                           const IpAddress& server_ip, uint16_t server_port) const {
  if (proto == 6) {
    return contains_port(f_.tcp_src_ports, client_port) &&
           contains_port(f_.tcp_dst_ports, server_port) && contains_ip(tcp_src_ips_, client_ip) &&
           contains_ip(tcp_dst_ips_, server_ip);
  }
  return (contains_port(f_.udp_ports, client_port) || contains_port(f_.udp_ports, server_port)) &&
         (contains_ip(udp_ips_, client_ip) || contains_ip(udp_ips_, server_ip));
}

void FilteringSink::emit(const Event& e) {
  if (!filter_.empty()) {
    const auto& d = e.doc();
    auto proto = d.FindMember("proto");
    if (proto != d.MemberEnd() && proto->value.IsString()) {
      std::string_view p(proto->value.GetString(), proto->value.GetStringLength());
      if (p == "tcp" || p == "udp") {
        IpAddress src, dst;
        uint16_t sport = 0, dport = 0;
        auto text = [&](const char* key, IpAddress& out) {
          auto it = d.FindMember(key);
          if (it != d.MemberEnd() && it->value.IsString())
            parse_address(it->value.GetString(), out);
        };
        auto port = [&](const char* key, uint16_t& out) {
          auto it = d.FindMember(key);
          if (it != d.MemberEnd() && it->value.IsUint()) out = uint16_t(it->value.GetUint());
        };
        text("src_ip", src);
        text("dst_ip", dst);
        port("src_port", sport);
        port("dst_port", dport);
        if (!filter_.wanted(p == "tcp" ? 6 : 17, src, sport, dst, dport)) return;
      }
    }
  }
  next_.emit(e);
}

}  // namespace netsift
