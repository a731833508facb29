// The readable one-line-per-packet form inherited from the ancestor tool:
//   [TCP]\t[1469135972.460123\t2016-07-21 21:19:32]\t192.168.235.135:55034(00:0c:29:92:67:d7)
//   ----->192.168.235.136:8080(00:0c:29:79:fd:94)\tSEQ=..\tACK=..\tFLAGS=['ACK', 'PSH']\tWIN=229
//   \tDATA=<escaped payload>\tttl=64\tLEN=<payload bytes>
// Fields are tab-separated so that cut/awk can pick them.
#include <fmt/format.h>

#include <algorithm>

#include "core/ip_address.h"
#include "decode/icmp_names.h"
#include "decode/proto_names.h"
#include "output/byte_format.h"
#include "output/packet_printer.h"
#include "output/time_format.h"

namespace netsift {
namespace {

constexpr std::string_view kFlagNames[] = {"FIN", "SYN", "RST", "PSH", "ACK",
                                           "URG", "ECE", "CWR", "NS"};

class TextPacketPrinter final : public PacketPrinter {
 public:
  TextPacketPrinter(OutputBuffer& out, TextPacketOptions options)
      : out_(out), options_(options), time_(options.utc) {}

  void print(const PacketView& v, uint64_t frame) override {
    (void)frame;
    if (options_.quiet) {
      print_quiet(v);
    } else {
      print_full(v);
    }
    if (options_.hexdump) append_hexdump(out_, v.raw->data);
    out_.end_record();
  }

 private:
  void put(std::string_view s) { out_.append(s); }
  void put_uint(uint64_t n) {
    fmt::format_int f(n);
    out_.append(f.data(), f.size());
  }
  void put_address(const IpAddress& a) {
    char buf[kMaxAddressText];
    out_.append(buf, format_address(a, buf));
  }
  void put_endpoint(const IpAddress& a, bool port_known, uint16_t port) {
    if (a.family == 6 && port_known) {
      out_.push('[');
      put_address(a);
      out_.push(']');
    } else {
      put_address(a);
    }
    if (port_known) {
      out_.push(':');
      put_uint(port);
    }
  }
  void put_mac(const std::array<uint8_t, 6>& mac) {
    char buf[17];
    format_mac(mac.data(), buf);
    out_.append(buf, 17);
  }
  void put_time(TimestampNs ts) {
    char num[32];
    put("[");
    out_.append(num, TimeFormatter::epoch_micros(ts, num));
    put("\t");
    put(time_.calendar(ts));
    put("]");
  }
  std::string_view tag(const PacketView& v, char* scratch) {
    switch (v.l4) {
      case L4::Tcp: return "TCP";
      case L4::Udp: return "UDP";
      case L4::Icmp: return v.l4_header ? icmp_tag(v.icmp_type, false) : "ICMP";
      case L4::Icmp6: return v.l4_header ? icmp_tag(v.icmp_type, true) : "ICMP6";
      default: break;
    }
    if (v.l3 == L3::Arp) return "ARP";
    if (v.is_ip()) {
      std::string_view name = packet_proto(v, scratch);
      size_t n = std::min<size_t>(name.size(), 23);
      for (size_t i = 0; i < n; ++i) scratch[i] = char(std::toupper(uint8_t(name[i])));
      return {scratch, n};
    }
    return "ETHER";
  }

  void print_full(const PacketView& v) {
    char scratch[24];
    put("[");
    put(tag(v, scratch));
    put("]\t");
    put_time(v.raw->ts);
    put("\t");
    if (v.is_ip() && !v.src_ip.empty()) {
      print_ip(v);
    } else if (v.l3 == L3::Arp) {
      print_arp(v);
    } else {
      if (v.has_macs) {
        put_mac(v.src_mac);
        put(" ----->");
        put_mac(v.dst_mac);
        put("\t");
      }
      put("type=0x");
      char hex[8];
      auto end = fmt::format_to(hex, "{:04x}", v.ethertype);
      out_.append(hex, size_t(end - hex));
      put("\tLEN=");
      put_uint(v.raw->wirelen);
    }
    print_problems(v);
    out_.push('\n');
  }

  void print_ip(const PacketView& v) {
    bool ports = v.has_ports;
    put_endpoint(v.src_ip, ports, v.src_port);
    if (v.has_macs) {
      put("(");
      put_mac(v.src_mac);
      put(")");
    }
    put(" ----->");
    put_endpoint(v.dst_ip, ports, v.dst_port);
    if (v.has_macs && v.raw->linktype == linktype::kEthernet) {
      put("(");
      put_mac(v.dst_mac);
      put(")");
    }
    if (v.fragment) {
      put("\tFRAG=");
      put_uint(v.frag_id);
      put(":");
      put_uint(v.frag_offset);
      put(v.more_fragments ? ":MF" : ":last");
    }
    if (v.l4 == L4::Tcp && v.l4_header) {
      put("\tSEQ=");
      put_uint(v.tcp_seq);
      put("\tACK=");
      put_uint(v.tcp_ack);
      put("\tFLAGS=[");
      bool first = true;
      for (int i = 0; i < 9; ++i) {
        if (!(v.tcp_flags & (1u << i))) continue;
        if (!first) put(", ");
        first = false;
        put("'");
        put(kFlagNames[i]);
        put("'");
      }
      put("]\tWIN=");
      put_uint(v.tcp_window);
    }
    if ((v.l4 == L4::Icmp || v.l4 == L4::Icmp6) && v.l4_header) print_icmp(v);
    if (v.payload_len) {
      ByteView data = v.payload();
      if (options_.data_max && data.size() > options_.data_max) data = data.first(options_.data_max);
      put("\tDATA=");
      append_escaped(out_, data);
    }
    put("\tttl=");
    put_uint(v.ttl);
    if (options_.data_binary) {
      ByteView data = v.payload();
      if (options_.data_max && data.size() > options_.data_max) data = data.first(options_.data_max);
      put("\tDATA_BINARY=");
      append_hex(out_, data);
    }
    put("\tLEN=");
    put_uint(v.payload_wire_len);
  }

  void print_icmp(const PacketView& v) {
    bool v6 = v.l4 == L4::Icmp6;
    put("\t");
    put_uint(v.icmp_type);
    put(":");
    put_uint(v.icmp_code);
    put("[");
    put(icmp_message(v.icmp_type, v.icmp_code, v6));
    put("]");
    if (v.icmp_has_echo) {
      put("\tid=");
      put_uint(v.icmp_id);
      put("\tseq=");
      put_uint(v.icmp_seq);
    }
    if (v.icmp_has_target) {
      put("\ttarget=");
      put_address(v.icmp_target);
    }
    const QuotedHeader& q = v.quoted;
    if (q.present) {
      put("\tINNER=");
      std::string_view name = ip_proto_name(q.proto);
      if (name.empty()) {
        put("ip-");
        put_uint(q.proto);
      } else {
        put(name);
      }
      put(" ");
      put_endpoint(q.src_ip, q.has_ports, q.src_port);
      put(" ----->");
      put_endpoint(q.dst_ip, q.has_ports, q.dst_port);
      put(" ttl=");
      put_uint(q.ttl);
    }
  }

  void print_arp(const PacketView& v) {
    if (v.src_ip.empty()) {
      put("op=");
      put_uint(v.arp_op);
    } else if (v.arp_op == 1) {
      put("who-has ");
      put_address(v.dst_ip);
      put(" tell ");
      put_address(v.src_ip);
      put("(");
      put_mac(v.arp_sender_mac);
      put(")");
    } else if (v.arp_op == 2) {
      put("reply ");
      put_address(v.src_ip);
      put(" is-at ");
      put_mac(v.arp_sender_mac);
      put(" to ");
      put_address(v.dst_ip);
      put("(");
      put_mac(v.arp_target_mac);
      put(")");
    } else {
      put("op=");
      put_uint(v.arp_op);
      put(" ");
      put_address(v.src_ip);
      put(" ----->");
      put_address(v.dst_ip);
    }
  }

  void print_problems(const PacketView& v) {
    if (!v.problem_count) return;
    put("\tPROBLEMS=");
    for (size_t i = 0; i < v.stored_problems(); ++i) {
      if (i) put(",");
      put(problem_name(v.problems[i]));
    }
  }

  void print_quiet(const PacketView& v) {
    char num[32];
    out_.append(num, TimeFormatter::epoch_micros(v.raw->ts, num));
    char scratch[24];
    put(" ");
    put(tag(v, scratch));
    put(" ");
    if (v.is_ip() && !v.src_ip.empty()) {
      put_endpoint(v.src_ip, v.has_ports, v.src_port);
      put(" > ");
      put_endpoint(v.dst_ip, v.has_ports, v.dst_port);
      put(" len=");
      put_uint(v.payload_wire_len);
    } else if (v.l3 == L3::Arp && !v.src_ip.empty()) {
      put_address(v.src_ip);
      put(" > ");
      put_address(v.dst_ip);
    } else {
      put("len=");
      put_uint(v.raw->wirelen);
    }
    out_.push('\n');
  }

  OutputBuffer& out_;
  TextPacketOptions options_;
  TimeFormatter time_;
};

}  // namespace

std::unique_ptr<PacketPrinter> make_text_packet_printer(OutputBuffer& out,
                                                        TextPacketOptions options) {
  return std::make_unique<TextPacketPrinter>(out, options);
}

}  // namespace netsift
