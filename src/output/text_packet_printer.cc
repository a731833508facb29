// The readable one-line-per-packet form inherited from the ancestor tool:
//   [TCP]\t[1469135972.460123\t2016-07-21 21:19:32]\t192.168.235.135:55034(00:0c:29:92:67:d7)
//   ----->192.168.235.136:8080(00:0c:29:79:fd:94)\tSEQ=..\tACK=..\tFLAGS=['ACK', 'PSH']\tWIN=229
//   \tDATA=<escaped payload>\tttl=64\tLEN=<payload bytes>
// Fields are tab-separated so that cut/awk can pick them. Each line is written straight
// into the output buffer (LineWriter): this printer is the hot path of `packets`.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "core/ip_address.h"
#include "decode/icmp_names.h"
#include "decode/proto_names.h"
#include "output/byte_format.h"
#include "output/line_writer.h"
#include "output/packet_printer.h"
#include "output/time_format.h"

namespace netsift {
namespace {

constexpr std::string_view kFlagNames[] = {"FIN", "SYN", "RST", "PSH", "ACK",
                                           "URG", "ECE", "CWR", "NS"};
// "'PSH', 'ACK'" for each of the 512 combinations of the nine flags, made once: one
// copy per line instead of a loop whose nine data-dependent branches mispredict as the
// flags change from packet to packet.
struct FlagTexts {
  static constexpr size_t kMax = 64;  // all nine: 60 characters
  std::array<std::array<char, kMax>, 512> text{};
  std::array<uint8_t, 512> len{};
};
constexpr FlagTexts make_flag_texts() {
  FlagTexts t;
  for (size_t flags = 0; flags < 512; ++flags) {
    size_t n = 0;
    for (size_t i = 0; i < 9; ++i) {
      if (!(flags & (1u << i))) continue;
      if (n) {
        t.text[flags][n++] = ',';
        t.text[flags][n++] = ' ';
      }
      t.text[flags][n++] = '\'';
      for (char c : kFlagNames[i]) t.text[flags][n++] = c;
      t.text[flags][n++] = '\'';
    }
    t.len[flags] = uint8_t(n);
  }
  return t;
}
constexpr FlagTexts kFlagTexts = make_flag_texts();

// Everything but the payload fits in this many characters (two IPv6 endpoints with
// MACs, an ICMP message with a quoted header, six problem names...).
constexpr size_t kMaxLineWithoutPayload = 1024;

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
  static void endpoint(LineWriter& w, const IpAddress& a, bool port_known, uint16_t port) {
    bool brackets = a.family == 6 && port_known;
    if (brackets) w.ch('[');
    w.address(a);
    if (brackets) w.ch(']');
    if (port_known) {
      w.ch(':');
      w.u64(port);
    }
  }
  // "1469135972.460123": consecutive packets mostly share their second, whose digits
  // are kept.
  void epoch(LineWriter& w, TimestampNs ts) {
    second_.write(w, uint64_t(seconds_part(ts)));
    w.ch('.');
    w.u64_padded(uint64_t(nanos_part(ts) / 1000), 6);
  }
  void time(LineWriter& w, TimestampNs ts) {
    w.ch('[');
    epoch(w, ts);
    w.ch('\t');
    w.str(time_.calendar(ts));
    w.ch(']');
  }
  static std::string_view tag(const PacketView& v, char* scratch) {
    switch (v.l4) {
      case L4::Tcp:
        return "TCP";
      case L4::Udp:
        return "UDP";
      case L4::Icmp:
        return v.l4_header ? icmp_tag(v.icmp_type, false) : "ICMP";
      case L4::Icmp6:
        return v.l4_header ? icmp_tag(v.icmp_type, true) : "ICMP6";
      default:
        break;
    }
    if (v.l3 == L3::Arp) return "ARP";
    if (v.is_ip()) {
      std::string_view name = packet_proto(v, scratch);
      size_t n = std::min<size_t>(name.size(), 23);
      for (size_t i = 0; i < n; ++i) scratch[i] = char(std::toupper(uint8_t(name[i])));
      return {scratch, n};
    }
    // A link type netsift does not decode has no Ethernet header to speak of.
    return v.has_macs || v.ethertype ? "ETHER" : "LINK";
  }
  ByteView shown_payload(const PacketView& v) const {
    ByteView data = v.payload();
    if (options_.data_max && data.size() > options_.data_max) data = data.first(options_.data_max);
    return data;
  }

  // Flattened like JsonPacketPrinter::write: keeps the LineWriter cursor in a register.
  [[gnu::flatten]] void print_full(const PacketView& v) {
    ByteView data = v.payload_len ? shown_payload(v) : ByteView{};
    LineWriter w(out_, kMaxLineWithoutPayload + data.size() * (options_.data_binary ? 7 : 4));
    char scratch[24];
    w.ch('[');
    w.str(tag(v, scratch));
    w.lit("]\t");
    if (!options_.no_time) {
      time(w, v.raw->ts);
      w.ch('\t');
    }
    if (v.is_ip() && !v.src_ip.empty()) {
      print_ip(w, v, data);
    } else if (v.l3 == L3::Arp) {
      print_arp(w, v);
      tunnel(w, v);
    } else {
      if (v.has_macs) {
        w.mac(v.src_mac.data());
        w.lit(" ----->");
        w.mac(v.dst_mac.data());
        w.ch('\t');
      }
      static constexpr char kHex[] = "0123456789abcdef";
      if (v.llc) {
        // 802.3 with an LLC header: a length, not a type; the access points say who.
        w.lit("type=llc\tdsap=0x");
        w.ch(kHex[v.llc_dsap >> 4]);
        w.ch(kHex[v.llc_dsap & 15]);
        w.lit("\tssap=0x");
        w.ch(kHex[v.llc_ssap >> 4]);
        w.ch(kHex[v.llc_ssap & 15]);
      } else if (v.has_macs || v.ethertype) {
        w.lit("type=0x");
        for (int shift = 12; shift >= 0; shift -= 4) w.ch(kHex[(v.ethertype >> shift) & 15]);
      } else {
        w.lit("linktype=");
        w.u64(v.raw->linktype);
      }
      w.lit("\tLEN=");
      w.u64(v.raw->wirelen);
      tunnel(w, v);
    }
    if (v.problem_count) {
      w.lit("\tPROBLEMS=");
      for (size_t i = 0; i < v.stored_problems(); ++i) {
        if (i) w.ch(',');
        w.str(problem_name(v.problems[i]));
      }
    }
    w.ch('\n');
  }

  // "src:port(mac) ----->dst:port(mac)"
  static void endpoints(LineWriter& w, const PacketView& v, bool dst_mac) {
    endpoint(w, v.src_ip, v.has_ports, v.src_port);
    if (v.has_macs) {
      w.ch('(');
      w.mac(v.src_mac.data());
      w.ch(')');
    }
    w.lit(" ----->");
    endpoint(w, v.dst_ip, v.has_ports, v.dst_port);
    if (dst_mac) {
      w.ch('(');
      w.mac(v.dst_mac.data());
      w.ch(')');
    }
  }

  // TUNNEL=gre(10.172.64.6 ----->10.172.64.7 id=40): the outermost header of a tunnel.
  static void tunnel(LineWriter& w, const PacketView& v) {
    if (!v.tunneled) return;
    w.lit("\tTUNNEL=");
    w.str(tunnel_name(v.tunnel_kind));
    w.ch('(');
    w.address(v.outer_src_ip);
    w.lit(" ----->");
    w.address(v.outer_dst_ip);
    if (v.has_tunnel_id) {
      w.lit(" id=");
      w.u64(v.tunnel_id);
    }
    w.ch(')');
  }

  void print_ip(LineWriter& w, const PacketView& v, ByteView data) {
    endpoints(w, v, v.has_macs && v.raw->linktype == linktype::kEthernet);
    tunnel(w, v);
    if (v.fragment) {
      w.lit("\tFRAG=");
      w.u64(v.frag_id);
      w.ch(':');
      w.u64(v.frag_offset);
      if (v.more_fragments) {
        w.lit(":MF");
      } else {
        w.lit(":last");
      }
    }
    if (v.l4 == L4::Tcp && v.l4_header) {
      w.lit("\tSEQ=");
      w.u64(v.tcp_seq);
      w.lit("\tACK=");
      w.u64(v.tcp_ack);
      w.lit("\tFLAGS=[");
      const size_t flags = v.tcp_flags & 511u;
      w.str({kFlagTexts.text[flags].data(), kFlagTexts.len[flags]});
      w.lit("]\tWIN=");
      w.u64(v.tcp_window);
    }
    if ((v.l4 == L4::Icmp || v.l4 == L4::Icmp6) && v.l4_header) print_icmp(w, v);
    if (!data.empty()) {
      w.lit("\tDATA=");
      w.escaped(data);
    }
    w.lit("\tttl=");
    w.u64(v.ttl);
    if (options_.data_binary) {
      static constexpr char kHex[] = "0123456789abcdef";
      w.lit("\tDATA_BINARY=");
      for (size_t i = 0; i < data.size(); ++i) {
        if (i) w.ch(' ');
        w.ch(kHex[data[i] >> 4]);
        w.ch(kHex[data[i] & 15]);
      }
    }
    w.lit("\tLEN=");
    w.u64(v.payload_wire_len);
  }

  static void print_icmp(LineWriter& w, const PacketView& v) {
    bool v6 = v.l4 == L4::Icmp6;
    w.ch('\t');
    w.u64(v.icmp_type);
    w.ch(':');
    w.u64(v.icmp_code);
    w.ch('[');
    w.str(icmp_message(v.icmp_type, v.icmp_code, v6));
    w.ch(']');
    if (v.icmp_has_echo) {
      w.lit("\tid=");
      w.u64(v.icmp_id);
      w.lit("\tseq=");
      w.u64(v.icmp_seq);
    }
    if (v.icmp_has_target) {
      w.lit("\ttarget=");
      w.address(v.icmp_target);
    }
    const QuotedHeader& q = v.quoted;
    if (q.present) {
      w.lit("\tINNER=");
      std::string_view name = ip_proto_name(q.proto);
      if (name.empty()) {
        w.lit("ip-");
        w.u64(q.proto);
      } else {
        w.str(name);
      }
      w.ch(' ');
      endpoint(w, q.src_ip, q.has_ports, q.src_port);
      w.lit(" ----->");
      endpoint(w, q.dst_ip, q.has_ports, q.dst_port);
      w.lit(" ttl=");
      w.u64(q.ttl);
    }
  }

  static void print_arp(LineWriter& w, const PacketView& v) {
    if (v.src_ip.empty()) {
      w.lit("op=");
      w.u64(v.arp_op);
    } else if (v.arp_op == 1) {
      w.lit("who-has ");
      w.address(v.dst_ip);
      w.lit(" tell ");
      w.address(v.src_ip);
      w.ch('(');
      w.mac(v.arp_sender_mac.data());
      w.ch(')');
    } else if (v.arp_op == 2) {
      w.lit("reply ");
      w.address(v.src_ip);
      w.lit(" is-at ");
      w.mac(v.arp_sender_mac.data());
      w.lit(" to ");
      w.address(v.dst_ip);
      w.ch('(');
      w.mac(v.arp_target_mac.data());
      w.ch(')');
    } else {
      w.lit("op=");
      w.u64(v.arp_op);
      w.ch(' ');
      w.address(v.src_ip);
      w.lit(" ----->");
      w.address(v.dst_ip);
    }
  }

  [[gnu::flatten]] void print_quiet(const PacketView& v) {
    LineWriter w(out_, kMaxLineWithoutPayload);
    if (options_.calendar) {
      // tcpdump -tttt: "2016-07-21 21:19:32.460123"
      w.str(time_.calendar(v.raw->ts));
      w.ch('.');
      w.u64_padded(uint64_t(nanos_part(v.raw->ts) / 1000), 6);
      w.ch(' ');
    } else if (!options_.no_time) {
      epoch(w, v.raw->ts);
      w.ch(' ');
    }
    char scratch[24];
    w.str(tag(v, scratch));
    w.ch(' ');
    if (v.is_ip() && !v.src_ip.empty()) {
      endpoint(w, v.src_ip, v.has_ports, v.src_port);
      w.lit(" > ");
      endpoint(w, v.dst_ip, v.has_ports, v.dst_port);
      w.lit(" len=");
      w.u64(v.payload_wire_len);
    } else if (v.l3 == L3::Arp && !v.src_ip.empty()) {
      w.address(v.src_ip);
      w.lit(" > ");
      w.address(v.dst_ip);
    } else {
      w.lit("len=");
      w.u64(v.raw->wirelen);
    }
    w.ch('\n');
  }

  OutputBuffer& out_;
  TextPacketOptions options_;
  TimeFormatter time_;
  CachedDecimal second_;
};

}  // namespace

std::unique_ptr<PacketPrinter> make_text_packet_printer(OutputBuffer& out,
                                                        TextPacketOptions options) {
  return std::make_unique<TextPacketPrinter>(out, options);
}

}  // namespace netsift
