// Service names per port, from a table shipped in the code (so the answer does not
// depend on the host's /etc/services, which lacks most database and cluster ports:
// 27017 mongodb, 6379 redis, 9200 elasticsearch, ...).
#pragma once

#include <cstdint>
#include <string_view>

namespace netsift {

enum class PortProto : uint8_t { Tcp, Udp };

// The registered or customary service on `port`, or "" when none is known.
std::string_view service_name(PortProto proto, uint16_t port);

// The service of a conversation between two ports: the better-known port's service
// (the server side, as a rule), else "".
std::string_view conversation_service(PortProto proto, uint16_t src_port, uint16_t dst_port,
                                      bool* dst_is_server = nullptr);

}  // namespace netsift
