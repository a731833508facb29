// JSON Lines rendering of packets. Fields that do not apply to a packet are left out
// rather than written as null, so `jq 'select(.tcp_seq)'` style filters work.
#include <fmt/format.h>
#include <rapidjson/writer.h>

#include <string>

#include "core/ip_address.h"
#include "decode/icmp_names.h"
#include "decode/proto_names.h"
#include "enrich/community_id.h"
#include "output/packet_printer.h"
#include "output/time_format.h"

namespace netsift {
namespace {

using Writer = rapidjson::Writer<JsonStream>;

void put_string(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), rapidjson::SizeType(key.size()));
  w.String(value.data(), rapidjson::SizeType(value.size()));
}

void put_uint(Writer& w, std::string_view key, uint64_t value) {
  w.Key(key.data(), rapidjson::SizeType(key.size()));
  w.Uint64(value);
}

void put_address(Writer& w, std::string_view key, const IpAddress& a) {
  char buf[kMaxAddressText];
  put_string(w, key, {buf, format_address(a, buf)});
}

void put_mac(Writer& w, std::string_view key, const uint8_t* mac) {
  char buf[17];
  format_mac(mac, buf);
  put_string(w, key, {buf, 17});
}

constexpr std::string_view kFlagNames[] = {"FIN", "SYN", "RST", "PSH", "ACK",
                                           "URG", "ECE", "CWR", "NS"};

class JsonPacketPrinter final : public PacketPrinter {
 public:
  JsonPacketPrinter(OutputBuffer& out, JsonPacketOptions options)
      : out_(out), stream_(out), writer_(stream_), options_(options) {}

  void print(const PacketView& v, uint64_t frame) override {
    const RawPacket& raw = *v.raw;
    Writer& w = writer_;
    w.Reset(stream_);
    w.StartObject();
    put_string(w, "event", "packet");
    put_uint(w, "frame", frame);
    char num[32];
    w.Key("ts");
    w.RawValue(num, TimeFormatter::epoch_micros(raw.ts, num), rapidjson::kNumberType);
    put_uint(w, "caplen", raw.caplen);
    put_uint(w, "len", raw.wirelen);
    put_uint(w, "linktype", raw.linktype);
    if (raw.interface_id) put_uint(w, "interface", raw.interface_id);
    if (v.has_macs) {
      put_mac(w, "src_mac", v.src_mac.data());
      if (raw.linktype == linktype::kEthernet) put_mac(w, "dst_mac", v.dst_mac.data());
    }
    if (v.vlan_count) {
      w.Key("vlan");
      w.StartArray();
      for (size_t i = 0; i < std::min<size_t>(v.vlan_count, PacketView::kMaxVlans); ++i) {
        w.Uint(v.vlans[i]);
      }
      w.EndArray();
    }
    if (v.mpls_count) put_uint(w, "mpls_labels", v.mpls_count);
    if (v.pppoe) {
      w.Key("pppoe");
      w.Bool(true);
    }
    char scratch[24];
    put_string(w, "proto", packet_proto(v, scratch));
    if (v.l3 == L3::Arp) {
      put_uint(w, "arp_op", v.arp_op);
      if (!v.src_ip.empty()) {
        put_address(w, "src_ip", v.src_ip);
        put_address(w, "dst_ip", v.dst_ip);
        put_mac(w, "arp_sender_mac", v.arp_sender_mac.data());
        put_mac(w, "arp_target_mac", v.arp_target_mac.data());
      }
    }
    if (v.is_ip() && !v.src_ip.empty()) write_ip(w, v);
    if (v.problem_count) {
      w.Key("problems");
      w.StartArray();
      for (size_t i = 0; i < v.stored_problems(); ++i) {
        std::string_view name = problem_name(v.problems[i]);
        w.String(name.data(), rapidjson::SizeType(name.size()));
      }
      w.EndArray();
    }
    w.EndObject();
    out_.push('\n');
    out_.end_record();
  }

 private:
  void write_ip(Writer& w, const PacketView& v) {
    put_uint(w, "ip_version", v.l3 == L3::Ipv4 ? 4 : 6);
    put_address(w, "src_ip", v.src_ip);
    put_address(w, "dst_ip", v.dst_ip);
    put_uint(w, "ttl", v.ttl);
    if (v.l3 == L3::Ipv4) put_uint(w, "ip_id", v.ip_id);
    if (v.ip_checksum == ChecksumStatus::Bad) put_string(w, "ip_checksum", "bad");
    if (v.fragment) {
      w.Key("fragment");
      w.StartObject();
      put_uint(w, "id", v.frag_id);
      put_uint(w, "offset", v.frag_offset);
      w.Key("more");
      w.Bool(v.more_fragments);
      w.EndObject();
    }
    if (v.has_ports) {
      put_uint(w, "src_port", v.src_port);
      put_uint(w, "dst_port", v.dst_port);
    }
    if (v.l4 == L4::Tcp && v.l4_header) write_tcp(w, v);
    if ((v.l4 == L4::Icmp || v.l4 == L4::Icmp6) && v.l4_header) write_icmp(w, v);
    if (v.l4_checksum == ChecksumStatus::Bad) put_string(w, "l4_checksum", "bad");
    put_uint(w, "payload_len", v.payload_wire_len);
    if (v.payload_len != v.payload_wire_len) put_uint(w, "payload_captured", v.payload_len);
    if (options_.payload && v.payload_len) {
      escaped_.clear();
      for (uint8_t c : v.payload()) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
          escaped_.push_back(char(c));
        } else {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          escaped_.append(buf, 4);
        }
      }
      put_string(w, "payload", escaped_);
    }
    write_community_id(w, v);
  }

  // Needs the ports (or ICMP type/code) for TCP/UDP/ICMP; other protocols hash without.
  void write_community_id(Writer& w, const PacketView& v) {
    bool icmp = v.l4 == L4::Icmp || v.l4 == L4::Icmp6;
    bool wants_ports = v.l4 == L4::Tcp || v.l4 == L4::Udp || icmp;
    if (v.fragment && v.frag_offset != 0) return;
    if (wants_ports && !(icmp ? v.l4_header : v.has_ports)) return;
    char cid[kCommunityIdLength];
    community_id(v.src_ip, v.dst_ip, v.ip_proto, icmp ? v.icmp_type : v.src_port,
                 icmp ? v.icmp_code : v.dst_port, cid);
    put_string(w, "community_id", {cid, kCommunityIdLength});
  }

  void write_tcp(Writer& w, const PacketView& v) {
    put_uint(w, "tcp_seq", v.tcp_seq);
    put_uint(w, "tcp_ack", v.tcp_ack);
    w.Key("tcp_flags");
    w.StartArray();
    for (int i = 0; i < 9; ++i) {
      if (v.tcp_flags & (1u << i)) w.String(kFlagNames[i].data(), rapidjson::SizeType(kFlagNames[i].size()));
    }
    w.EndArray();
    put_uint(w, "tcp_win", v.tcp_window);
    if (v.tcp_mss) put_uint(w, "tcp_mss", v.tcp_mss);
    if (v.tcp_wscale != 0xff) put_uint(w, "tcp_wscale", v.tcp_wscale);
    if (v.tcp_sack_permitted) {
      w.Key("tcp_sack_permitted");
      w.Bool(true);
    }
    if (v.tcp_sack_blocks) put_uint(w, "tcp_sack_blocks", v.tcp_sack_blocks);
    if (v.tcp_has_timestamps) {
      put_uint(w, "tcp_tsval", v.tcp_ts_val);
      put_uint(w, "tcp_tsecr", v.tcp_ts_ecr);
    }
  }

  void write_icmp(Writer& w, const PacketView& v) {
    bool v6 = v.l4 == L4::Icmp6;
    put_uint(w, "icmp_type", v.icmp_type);
    put_uint(w, "icmp_code", v.icmp_code);
    put_string(w, "icmp_message", icmp_message(v.icmp_type, v.icmp_code, v6));
    if (v.icmp_has_echo) {
      put_uint(w, "icmp_id", v.icmp_id);
      put_uint(w, "icmp_seq", v.icmp_seq);
    }
    if (v.icmp_has_target) put_address(w, "icmp_target", v.icmp_target);
    const QuotedHeader& q = v.quoted;
    if (q.present) {
      put_uint(w, "inner_ip_version", q.ip_version);
      put_address(w, "inner_src_ip", q.src_ip);
      put_address(w, "inner_dst_ip", q.dst_ip);
      put_uint(w, "inner_ttl", q.ttl);
      std::string_view name = ip_proto_name(q.proto);
      char scratch[8];
      if (name.empty()) {
        auto end = fmt::format_to(scratch, "ip-{}", q.proto);
        name = {scratch, size_t(end - scratch)};
      }
      put_string(w, "inner_proto", name);
      if (q.has_ports) {
        put_uint(w, "inner_src_port", q.src_port);
        put_uint(w, "inner_dst_port", q.dst_port);
      }
    }
  }

  OutputBuffer& out_;
  JsonStream stream_;
  Writer writer_;
  JsonPacketOptions options_;
  std::string escaped_;
};

}  // namespace

std::unique_ptr<PacketPrinter> make_json_packet_printer(OutputBuffer& out,
                                                        JsonPacketOptions options) {
  return std::make_unique<JsonPacketPrinter>(out, options);
}

}  // namespace netsift
