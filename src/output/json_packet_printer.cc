// JSON Lines rendering of packets (docs/events.md lists the fields). Fields that do not
// apply to a packet are left out rather than written as null, so jq filters such as
// `select(.tcp_seq)` work. Written by hand into the output buffer: every value is a
// number, an address, a fixed name or escaped payload, so no general JSON writer (and
// no allocation) is needed on this per-packet path.
#include <array>

#include "core/ip_address.h"
#include "decode/icmp_names.h"
#include "decode/proto_names.h"
#include "enrich/community_id.h"
#include "flow/flow_key.h"
#include "output/line_writer.h"
#include "output/packet_printer.h"

namespace netsift {
namespace {

constexpr std::string_view kFlagNames[] = {"FIN", "SYN", "RST", "PSH", "ACK",
                                           "URG", "ECE", "CWR", "NS"};
constexpr size_t kMaxObjectWithoutPayload = 2048;

// Consecutive packets mostly belong to a few flows: a small direct-mapped cache saves
// the SHA-1 of the Community ID for all but the first packet of each flow.
class CommunityIdCache {
 public:
  const char* get(const PacketView& v, uint16_t sport, uint16_t dport) {
    FlowKey key;
    key.lo_ip = v.src_ip;
    key.hi_ip = v.dst_ip;
    key.lo_port = sport;
    key.hi_port = dport;
    key.proto = v.ip_proto;
    Entry& e = entries_[FlowKeyHash{}(key) % entries_.size()];
    if (!e.valid || !(e.key == key)) {
      e.key = key;
      e.valid = true;
      community_id(v.src_ip, v.dst_ip, v.ip_proto, sport, dport, e.id);
    }
    return e.id;
  }

 private:
  struct Entry {
    FlowKey key;
    bool valid = false;
    char id[kCommunityIdLength];
  };
  std::array<Entry, 1024> entries_{};
};

class JsonPacketPrinter final : public PacketPrinter {
 public:
  JsonPacketPrinter(OutputBuffer& out, JsonPacketOptions options)
      : out_(out), options_(options), cids_(std::make_unique<CommunityIdCache>()) {}

  void print(const PacketView& v, uint64_t frame) override {
    write(v, frame);
    out_.end_record();  // only after the LineWriter has returned its unused space
  }

 private:
  // Flattened so that the LineWriter lives in registers: its cursor is a member, and
  // through a reference every character store might alias it (a reload per field).
  [[gnu::flatten]] void write(const PacketView& v, uint64_t frame) {
    const RawPacket& raw = *v.raw;
    size_t payload = options_.payload ? v.payload_len : 0;
    LineWriter w(out_, kMaxObjectWithoutPayload + payload * 5);
    w.lit("{\"event\":\"packet\",\"frame\":");
    frame_.write(w, frame);
    w.lit(",\"ts\":");
    if (raw.ts < 0) w.ch('-');
    TimestampNs ts = raw.ts < 0 ? -raw.ts : raw.ts;
    second_.write(w, uint64_t(seconds_part(ts)));
    w.ch('.');
    w.u64_padded(uint64_t(nanos_part(ts) / 1000), 6);
    w.lit(",\"caplen\":");
    w.u64(raw.caplen);
    w.lit(",\"len\":");
    w.u64(raw.wirelen);
    w.lit(",\"linktype\":");
    w.u64(raw.linktype);
    if (raw.interface_id) {
      w.lit(",\"interface\":");
      w.u64(raw.interface_id);
    }
    if (v.has_macs) {
      w.lit(",\"src_mac\":\"");
      w.mac(v.src_mac.data());
      w.ch('"');
      if (raw.linktype == linktype::kEthernet) {
        w.lit(",\"dst_mac\":\"");
        w.mac(v.dst_mac.data());
        w.ch('"');
      }
    }
    if (v.vlan_count) {
      w.lit(",\"vlan\":[");
      for (size_t i = 0; i < std::min<size_t>(v.vlan_count, PacketView::kMaxVlans); ++i) {
        if (i) w.ch(',');
        w.u64(v.vlans[i]);
      }
      w.ch(']');
    }
    if (v.mpls_count) {
      w.lit(",\"mpls_labels\":");
      w.u64(v.mpls_count);
    }
    if (v.pppoe) w.lit(",\"pppoe\":true");
    char scratch[24];
    w.lit(",\"proto\":\"");
    w.str(packet_proto(v, scratch));
    w.ch('"');
    if (v.llc) {
      w.lit(",\"llc_dsap\":");
      w.u64(v.llc_dsap);
      w.lit(",\"llc_ssap\":");
      w.u64(v.llc_ssap);
    }
    if (v.l3 == L3::Arp) {
      w.lit(",\"arp_op\":");
      w.u64(v.arp_op);
      if (!v.src_ip.empty()) {
        string_field(w, "src_ip", v.src_ip);
        string_field(w, "dst_ip", v.dst_ip);
        w.lit(",\"arp_sender_mac\":\"");
        w.mac(v.arp_sender_mac.data());
        w.lit("\",\"arp_target_mac\":\"");
        w.mac(v.arp_target_mac.data());
        w.ch('"');
      }
    }
    if (v.is_ip() && !v.src_ip.empty()) write_ip(w, v);
    // After the inner packet's fields: a tunnel may carry a frame without IP (ARP).
    if (v.tunneled) {
      string_field(w, "outer_src_ip", v.outer_src_ip);
      string_field(w, "outer_dst_ip", v.outer_dst_ip);
      w.lit(",\"tunnel\":\"");
      w.str(tunnel_name(v.tunnel_kind));
      w.ch('"');
      if (v.has_tunnel_id) uint_field(w, "tunnel_id", v.tunnel_id);
      if (v.tunneled_depth > 1) uint_field(w, "tunnel_depth", v.tunneled_depth);
    }
    if (v.problem_count) {
      w.lit(",\"problems\":[");
      for (size_t i = 0; i < v.stored_problems(); ++i) {
        if (i) w.ch(',');
        w.ch('"');
        w.str(problem_name(v.problems[i]));
        w.ch('"');
      }
      w.ch(']');
    }
    w.lit("}\n");
  }

  // Keys are literals so that each copy has a size known at compile time.
  template <size_t N>
  static void string_field(LineWriter& w, const char (&key)[N], const IpAddress& a) {
    w.lit(",\"");
    w.lit(key);
    w.lit("\":\"");
    w.address(a);
    w.ch('"');
  }
  template <size_t N>
  static void uint_field(LineWriter& w, const char (&key)[N], uint64_t value) {
    w.lit(",\"");
    w.lit(key);
    w.lit("\":");
    w.u64(value);
  }

  void write_ip(LineWriter& w, const PacketView& v) {
    uint_field(w, "ip_version", v.l3 == L3::Ipv4 ? 4 : 6);
    string_field(w, "src_ip", v.src_ip);
    string_field(w, "dst_ip", v.dst_ip);
    uint_field(w, "ttl", v.ttl);
    if (v.l3 == L3::Ipv4) uint_field(w, "ip_id", v.ip_id);
    if (v.ip_checksum == ChecksumStatus::Bad) w.lit(",\"ip_checksum\":\"bad\"");
    if (v.fragment) {
      w.lit(",\"fragment\":{\"id\":");
      w.u64(v.frag_id);
      w.lit(",\"offset\":");
      w.u64(v.frag_offset);
      if (v.more_fragments) {
        w.lit(",\"more\":true}");
      } else {
        w.lit(",\"more\":false}");
      }
    }
    if (v.has_ports) {
      uint_field(w, "src_port", v.src_port);
      uint_field(w, "dst_port", v.dst_port);
    }
    if (v.l4 == L4::Tcp && v.l4_header) write_tcp(w, v);
    if ((v.l4 == L4::Icmp || v.l4 == L4::Icmp6) && v.l4_header) write_icmp(w, v);
    if (v.l4_checksum == ChecksumStatus::Bad) w.lit(",\"l4_checksum\":\"bad\"");
    uint_field(w, "payload_len", v.payload_wire_len);
    if (v.payload_len != v.payload_wire_len) uint_field(w, "payload_captured", v.payload_len);
    if (options_.payload && v.payload_len) {
      w.lit(",\"payload\":\"");
      w.escaped(v.payload(), true);
      w.ch('"');
    }
    write_community_id(w, v);
  }

  // Needs the ports (or ICMP type/code) for TCP/UDP/ICMP; other protocols hash without.
  void write_community_id(LineWriter& w, const PacketView& v) {
    bool icmp = v.l4 == L4::Icmp || v.l4 == L4::Icmp6;
    bool wants_ports = v.l4 == L4::Tcp || v.l4 == L4::Udp || icmp;
    if (v.fragment && v.frag_offset != 0) return;
    if (wants_ports && !(icmp ? v.l4_header : v.has_ports)) return;
    const char* id =
        cids_->get(v, icmp ? v.icmp_type : v.src_port, icmp ? v.icmp_code : v.dst_port);
    w.lit(",\"community_id\":\"");
    w.str({id, kCommunityIdLength});
    w.ch('"');
  }

  static void write_tcp(LineWriter& w, const PacketView& v) {
    uint_field(w, "tcp_seq", v.tcp_seq);
    uint_field(w, "tcp_ack", v.tcp_ack);
    w.lit(",\"tcp_flags\":[");
    bool first = true;
    for (int i = 0; i < 9; ++i) {
      if (!(v.tcp_flags & (1u << i))) continue;
      if (!first) w.ch(',');
      first = false;
      w.ch('"');
      w.str(kFlagNames[i]);
      w.ch('"');
    }
    w.ch(']');
    uint_field(w, "tcp_win", v.tcp_window);
    if (v.tcp_mss) uint_field(w, "tcp_mss", v.tcp_mss);
    if (v.tcp_wscale != 0xff) uint_field(w, "tcp_wscale", v.tcp_wscale);
    if (v.tcp_sack_permitted) w.lit(",\"tcp_sack_permitted\":true");
    if (v.tcp_sack_blocks) uint_field(w, "tcp_sack_blocks", v.tcp_sack_blocks);
    if (v.tcp_has_timestamps) {
      uint_field(w, "tcp_tsval", v.tcp_ts_val);
      uint_field(w, "tcp_tsecr", v.tcp_ts_ecr);
    }
  }

  static void write_icmp(LineWriter& w, const PacketView& v) {
    bool v6 = v.l4 == L4::Icmp6;
    uint_field(w, "icmp_type", v.icmp_type);
    uint_field(w, "icmp_code", v.icmp_code);
    w.lit(",\"icmp_message\":\"");
    w.str(icmp_message(v.icmp_type, v.icmp_code, v6));
    w.ch('"');
    if (v.icmp_has_echo) {
      uint_field(w, "icmp_id", v.icmp_id);
      uint_field(w, "icmp_seq", v.icmp_seq);
    }
    if (v.icmp_has_target) string_field(w, "icmp_target", v.icmp_target);
    const QuotedHeader& q = v.quoted;
    if (q.present) {
      uint_field(w, "inner_ip_version", q.ip_version);
      string_field(w, "inner_src_ip", q.src_ip);
      string_field(w, "inner_dst_ip", q.dst_ip);
      uint_field(w, "inner_ttl", q.ttl);
      w.lit(",\"inner_proto\":\"");
      std::string_view name = ip_proto_name(q.proto);
      if (name.empty()) {
        w.lit("ip-");
        w.u64(q.proto);
      } else {
        w.str(name);
      }
      w.ch('"');
      if (q.has_ports) {
        uint_field(w, "inner_src_port", q.src_port);
        uint_field(w, "inner_dst_port", q.dst_port);
      }
    }
  }

  OutputBuffer& out_;
  JsonPacketOptions options_;
  std::unique_ptr<CommunityIdCache> cids_;
  CachedDecimal frame_, second_;
};

}  // namespace

std::unique_ptr<PacketPrinter> make_json_packet_printer(OutputBuffer& out,
                                                        JsonPacketOptions options) {
  return std::make_unique<JsonPacketPrinter>(out, options);
}

}  // namespace netsift
