#include "decode/icmp_names.h"

namespace netsift {
namespace {

std::string_view unreach_v4(uint8_t code) {
  switch (code) {
    case 0:
      return "destination unreachable: network unreachable";
    case 1:
      return "destination unreachable: host unreachable";
    case 2:
      return "destination unreachable: protocol unreachable";
    case 3:
      return "destination unreachable: port unreachable";
    case 4:
      return "destination unreachable: fragmentation needed and DF set";
    case 5:
      return "destination unreachable: source route failed";
    case 6:
      return "destination unreachable: destination network unknown";
    case 7:
      return "destination unreachable: destination host unknown";
    case 8:
      return "destination unreachable: source host isolated";
    case 9:
      return "destination unreachable: network administratively prohibited";
    case 10:
      return "destination unreachable: host administratively prohibited";
    case 11:
      return "destination unreachable: network unreachable for type of service";
    case 12:
      return "destination unreachable: host unreachable for type of service";
    case 13:
      return "destination unreachable: communication administratively prohibited";
    case 14:
      return "destination unreachable: host precedence violation";
    case 15:
      return "destination unreachable: precedence cutoff in effect";
    default:
      return "destination unreachable: unknown code";
  }
}

std::string_view message_v4(uint8_t type, uint8_t code) {
  switch (type) {
    case 0:
      return "echo reply";
    case 3:
      return unreach_v4(code);
    case 4:
      return "source quench";
    case 5:
      switch (code) {
        case 0:
          return "redirect: for network";
        case 1:
          return "redirect: for host";
        case 2:
          return "redirect: for type of service and network";
        case 3:
          return "redirect: for type of service and host";
        default:
          return "redirect: unknown code";
      }
    case 8:
      return "echo request";
    case 9:
      return "router advertisement";
    case 10:
      return "router solicitation";
    case 11:
      return code == 0   ? "time exceeded: time to live exceeded in transit"
             : code == 1 ? "time exceeded: fragment reassembly time exceeded"
                         : "time exceeded: unknown code";
    case 12:
      switch (code) {
        case 0:
          return "parameter problem: pointer indicates the error";
        case 1:
          return "parameter problem: missing a required option";
        case 2:
          return "parameter problem: bad length";
        default:
          return "parameter problem: unknown code";
      }
    case 13:
      return "timestamp request";
    case 14:
      return "timestamp reply";
    case 15:
      return "information request";
    case 16:
      return "information reply";
    case 17:
      return "address mask request";
    case 18:
      return "address mask reply";
    case 30:
      return "traceroute";
    case 40:
      return "photuris security failure";
    case 42:
      return "extended echo request";
    case 43:
      return "extended echo reply";
    default:
      return "unknown type";
  }
}

std::string_view message_v6(uint8_t type, uint8_t code) {
  switch (type) {
    case 1:
      switch (code) {
        case 0:
          return "destination unreachable: no route to destination";
        case 1:
          return "destination unreachable: communication administratively prohibited";
        case 2:
          return "destination unreachable: beyond scope of source address";
        case 3:
          return "destination unreachable: address unreachable";
        case 4:
          return "destination unreachable: port unreachable";
        case 5:
          return "destination unreachable: source address failed ingress/egress policy";
        case 6:
          return "destination unreachable: reject route to destination";
        case 7:
          return "destination unreachable: error in source routing header";
        default:
          return "destination unreachable: unknown code";
      }
    case 2:
      return "packet too big";
    case 3:
      return code == 0   ? "time exceeded: hop limit exceeded in transit"
             : code == 1 ? "time exceeded: fragment reassembly time exceeded"
                         : "time exceeded: unknown code";
    case 4:
      switch (code) {
        case 0:
          return "parameter problem: erroneous header field";
        case 1:
          return "parameter problem: unrecognized next header type";
        case 2:
          return "parameter problem: unrecognized IPv6 option";
        default:
          return "parameter problem: unknown code";
      }
    case 128:
      return "echo request";
    case 129:
      return "echo reply";
    case 130:
      return "multicast listener query";
    case 131:
      return "multicast listener report";
    case 132:
      return "multicast listener done";
    case 133:
      return "router solicitation";
    case 134:
      return "router advertisement";
    case 135:
      return "neighbor solicitation";
    case 136:
      return "neighbor advertisement";
    case 137:
      return "redirect";
    case 138:
      return "router renumbering";
    case 139:
      return "node information query";
    case 140:
      return "node information response";
    case 141:
      return "inverse neighbor discovery solicitation";
    case 142:
      return "inverse neighbor discovery advertisement";
    case 143:
      return "multicast listener report v2";
    case 144:
      return "home agent address discovery request";
    case 145:
      return "home agent address discovery reply";
    case 146:
      return "mobile prefix solicitation";
    case 147:
      return "mobile prefix advertisement";
    case 151:
      return "multicast router advertisement";
    case 152:
      return "multicast router solicitation";
    case 153:
      return "multicast router termination";
    case 155:
      return "RPL control message";
    default:
      return "unknown type";
  }
}

}  // namespace

std::string_view icmp_message(uint8_t type, uint8_t code, bool v6) {
  return v6 ? message_v6(type, code) : message_v4(type, code);
}

std::string_view icmp_tag(uint8_t type, bool v6) {
  if (v6) {
    switch (type) {
      case 1:
        return "ICMP6_Unreach";
      case 2:
        return "ICMP6_TooBig";
      case 3:
        return "ICMP6_TimeExceed";
      case 4:
        return "ICMP6_ParamProb";
      case 128:
        return "ICMP6_EchoRequest";
      case 129:
        return "ICMP6_EchoReply";
      case 133:
        return "ICMP6_RouterSolicit";
      case 134:
        return "ICMP6_RouterAdvert";
      case 135:
        return "ICMP6_NeighborSolicit";
      case 136:
        return "ICMP6_NeighborAdvert";
      case 137:
        return "ICMP6_Redirect";
      default:
        return "ICMP6";
    }
  }
  switch (type) {
    case 0:
      return "ICMP_EchoReply";
    case 3:
      return "ICMP_Unreach";
    case 4:
      return "ICMP_SrcQuench";
    case 5:
      return "ICMP_Redirect";
    case 8:
      return "ICMP_Echo";
    case 11:
      return "ICMP_TimeExceed";
    case 12:
      return "ICMP_ParamProb";
    case 13:
      return "ICMP_Timestamp";
    case 14:
      return "ICMP_TimestampReply";
    default:
      return "ICMP";
  }
}

bool icmp_is_error(uint8_t type, bool v6) {
  if (v6) return type >= 1 && type <= 4;
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

}  // namespace netsift
