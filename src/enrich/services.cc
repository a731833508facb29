// The table follows IANA's registry names where one exists and the name the software
// uses otherwise; entries marked 't'/'u' apply to one transport only, 'b' to both.
#include "enrich/services.h"

#include <algorithm>
#include <array>

namespace netsift {
namespace {

struct Entry {
  uint16_t port;
  char transport;  // 't' TCP, 'u' UDP, 'b' both
  std::string_view name;
};

// Sorted by port (checked at compile time below).
constexpr Entry kServices[] = {
    {7, 'b', "echo"},
    {9, 'b', "discard"},
    {13, 'b', "daytime"},
    {19, 'b', "chargen"},
    {20, 't', "ftp-data"},
    {21, 't', "ftp"},
    {22, 't', "ssh"},
    {23, 't', "telnet"},
    {25, 't', "smtp"},
    {37, 'b', "time"},
    {43, 't', "whois"},
    {49, 'b', "tacacs"},
    {53, 'b', "dns"},
    {67, 'u', "dhcp"},
    {68, 'u', "dhcp"},
    {69, 'u', "tftp"},
    {70, 't', "gopher"},
    {79, 't', "finger"},
    {80, 't', "http"},
    {88, 'b', "kerberos"},
    {102, 't', "iso-tsap"},
    {110, 't', "pop3"},
    {111, 'b', "sunrpc"},
    {113, 't', "ident"},
    {119, 't', "nntp"},
    {123, 'u', "ntp"},
    {135, 'b', "msrpc"},
    {137, 'u', "netbios-ns"},
    {138, 'u', "netbios-dgm"},
    {139, 't', "netbios-ssn"},
    {143, 't', "imap"},
    {161, 'u', "snmp"},
    {162, 'u', "snmp-trap"},
    {179, 't', "bgp"},
    {194, 't', "irc"},
    {389, 'b', "ldap"},
    {427, 'b', "svrloc"},
    {443, 'b', "https"},
    {445, 't', "microsoft-ds"},
    {464, 'b', "kpasswd"},
    {465, 't', "smtps"},
    {500, 'u', "isakmp"},
    {502, 't', "modbus"},
    {512, 't', "exec"},
    {513, 't', "login"},
    {514, 'u', "syslog"},
    {515, 't', "printer"},
    {520, 'u', "rip"},
    {546, 'u', "dhcpv6-client"},
    {547, 'u', "dhcpv6-server"},
    {548, 't', "afp"},
    {554, 'b', "rtsp"},
    {587, 't', "submission"},
    {623, 'u', "ipmi"},
    {631, 'b', "ipp"},
    {636, 't', "ldaps"},
    {646, 'b', "ldp"},
    {853, 'b', "domain-s"},
    {873, 't', "rsync"},
    {902, 't', "vmware-auth"},
    {989, 't', "ftps-data"},
    {990, 't', "ftps"},
    {993, 't', "imaps"},
    {995, 't', "pop3s"},
    {1080, 't', "socks"},
    {1194, 'b', "openvpn"},
    {1433, 't', "mssql"},
    {1434, 'u', "mssql-monitor"},
    {1521, 't', "oracle"},
    {1701, 'u', "l2tp"},
    {1723, 't', "pptp"},
    {1812, 'u', "radius"},
    {1813, 'u', "radius-acct"},
    {1883, 't', "mqtt"},
    {1900, 'u', "ssdp"},
    {2049, 'b', "nfs"},
    {2082, 't', "cpanel"},
    {2181, 't', "zookeeper"},
    {2375, 't', "docker"},
    {2376, 't', "docker-tls"},
    {2379, 't', "etcd"},
    {2380, 't', "etcd-peer"},
    {3000, 't', "grafana"},
    {3128, 't', "squid"},
    {3260, 't', "iscsi"},
    {3268, 't', "ldap-gc"},
    {3306, 't', "mysql"},
    {3389, 'b', "rdp"},
    {3478, 'b', "stun"},
    {3544, 'u', "teredo"},
    {4369, 't', "epmd"},
    {4500, 'u', "ipsec-nat-t"},
    {4789, 'u', "vxlan"},
    {5000, 't', "upnp"},
    {5060, 'b', "sip"},
    {5061, 't', "sips"},
    {5222, 't', "xmpp-client"},
    {5269, 't', "xmpp-server"},
    {5353, 'u', "mdns"},
    {5355, 'u', "llmnr"},
    {5432, 't', "postgresql"},
    {5601, 't', "kibana"},
    {5672, 't', "amqp"},
    {5683, 'u', "coap"},
    {5900, 't', "vnc"},
    {5938, 'b', "teamviewer"},
    {5984, 't', "couchdb"},
    {6081, 'u', "geneve"},
    {6379, 't', "redis"},
    {6443, 't', "kubernetes-api"},
    {6514, 't', "syslog-tls"},
    {6660, 't', "irc"},
    {6667, 't', "irc"},
    {6881, 'b', "bittorrent"},
    {7000, 't', "cassandra"},
    {7001, 't', "cassandra-tls"},
    {7474, 't', "neo4j"},
    {8000, 't', "http-alt"},
    {8008, 't', "http-alt"},
    {8080, 't', "http-proxy"},
    {8081, 't', "http-alt"},
    {8086, 't', "influxdb"},
    {8088, 't', "http-alt"},
    {8443, 't', "https-alt"},
    {8500, 't', "consul"},
    {8883, 't', "mqtt-tls"},
    {8888, 't', "http-alt"},
    {9000, 't', "http-alt"},
    {9042, 't', "cassandra-cql"},
    {9090, 't', "prometheus"},
    {9092, 't', "kafka"},
    {9100, 't', "jetdirect"},
    {9200, 't', "elasticsearch"},
    {9300, 't', "elasticsearch-cluster"},
    {9418, 't', "git"},
    {10050, 't', "zabbix-agent"},
    {10051, 't', "zabbix-trapper"},
    {11211, 'b', "memcached"},
    {14000, 't', "scotty-ft"},
    {15672, 't', "rabbitmq-mgmt"},
    {25565, 't', "minecraft"},
    {27017, 't', "mongodb"},
    {27018, 't', "mongodb"},
    {28017, 't', "mongodb-http"},
    {50000, 't', "db2"},
    {50070, 't', "hdfs-namenode"},
};

constexpr bool sorted() {
  for (size_t i = 1; i < std::size(kServices); ++i) {
    if (kServices[i - 1].port > kServices[i].port) return false;
  }
  return true;
}
static_assert(sorted(), "kServices must stay sorted by port");

}  // namespace

std::string_view service_name(PortProto proto, uint16_t port) {
  const char want = proto == PortProto::Tcp ? 't' : 'u';
  auto it = std::lower_bound(std::begin(kServices), std::end(kServices), port,
                             [](const Entry& e, uint16_t p) { return e.port < p; });
  for (; it != std::end(kServices) && it->port == port; ++it) {
    if (it->transport == want || it->transport == 'b') return it->name;
  }
  return {};
}

std::string_view conversation_service(PortProto proto, uint16_t src_port, uint16_t dst_port,
                                      bool* dst_is_server) {
  std::string_view d = service_name(proto, dst_port), s = service_name(proto, src_port);
  // Both named (e.g. 53 <-> 53, or 80 <-> 8080): the lower port is the server's, as a rule.
  bool dst_server = !d.empty() && (s.empty() || dst_port <= src_port);
  if (dst_is_server) *dst_is_server = dst_server || (d.empty() && s.empty() && dst_port < src_port);
  return dst_server ? d : s;
}

}  // namespace netsift
