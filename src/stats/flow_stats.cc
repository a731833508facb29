#include "stats/flow_stats.h"

#include <algorithm>
#include <cstring>

#include "enrich/services.h"

namespace netsift {
namespace {

constexpr TimestampNs kClosedLinger = 5 * kNsPerSec;
// Traceroute's UDP probes go to 33434 plus one per probe (3 per hop, up to 30 hops).
constexpr uint16_t kTracerouteFirst = 33434, kTracerouteLast = 33434 + 99;

template <typename Set, typename Key>
void insert_capped(Set& set, Key&& key, size_t cap, uint64_t& dropped) {
  if (set.size() < cap || set.count(key)) {
    set.insert(std::forward<Key>(key));
  } else {
    ++dropped;
  }
}

// A count per key, with the same cap: an existing key always counts, a new one only
// while there is room.
template <typename Map, typename Key>
void count_capped(Map& map, const Key& key, size_t cap, uint64_t& dropped) {
  if (map.size() < cap) {
    ++map[key];
  } else if (auto it = map.find(key); it != map.end()) {
    ++it.value();
  } else {
    ++dropped;
  }
}

}  // namespace

IcmpKind icmp_kind(const PacketView& v) {
  if (v.fragment || !v.l4_header) return IcmpKind::None;
  const uint8_t t = v.icmp_type;
  // An error answers the receiver only when it quotes a packet the receiver sent; one
  // quoting someone else's packet (or nothing) is what an error flood (BlackNurse) is.
  const bool about_own = v.quoted.present && v.quoted.src_ip == v.dst_ip;
  if (v.l4 == L4::Icmp) {
    if (t == 8 || t == 13 || t == 15 || t == 17) return IcmpKind::Query;
    if (t == 0 || t == 14 || t == 16 || t == 18) return IcmpKind::Reply;
    if (t == 3 || t == 4 || t == 5 || t == 11 || t == 12)
      return about_own ? IcmpKind::Error : IcmpKind::Other;
    return IcmpKind::Other;
  }
  if (v.l4 == L4::Icmp6) {
    if (t == 128) return IcmpKind::Query;
    if (t == 129) return IcmpKind::Reply;
    if (t >= 1 && t <= 4) return about_own ? IcmpKind::Error : IcmpKind::Other;
    return IcmpKind::Other;
  }
  return IcmpKind::None;
}

FlowPacket make_flow_packet(const PacketView& v, uint32_t ip_length, bool nxdomain, uint64_t pos) {
  FlowPacket p;
  p.key = make_flow_key(v, p.from_lo);
  if (v.fragment) {
    p.key.lo_port = p.key.hi_port = 0;
    p.from_lo = std::memcmp(v.src_ip.bytes.data(), v.dst_ip.bytes.data(), 16) <= 0;
  }
  p.l4 = v.l4;
  p.tcp_ports = v.l4 == L4::Tcp && v.has_ports && !v.fragment;
  p.tcp_header = v.l4 == L4::Tcp && v.l4_header && !v.fragment;
  p.nxdomain = nxdomain;
  p.icmp = icmp_kind(v);
  p.tcp_flags = v.tcp_flags;
  p.tcp_seq = v.tcp_seq;
  p.ip_length = ip_length;
  p.ts = p.now = v.raw->ts;
  p.pos = pos;
  if (v.l4_header && !v.fragment && v.raw->caplen > v.l3_offset) {
    p.ip = v.raw->data.data() + v.l3_offset;
    p.ip_captured = std::min<uint32_t>(ip_length, v.raw->caplen - v.l3_offset);
  }
  return p;
}

void FlowStats::add(const FlowPacket& p) {
  const FlowKey& key = p.key;
  const bool from_lo = p.from_lo;
  auto it = index_.find(key);
  uint32_t idx;
  if (it != index_.end()) {
    StatsFlow& old = pool_[it->second];
    // Idle past its timeout (the expiry at the bucket's end has not come yet), or a
    // new connection on its 5-tuple: the old record stays in the pool (its counts roll
    // up at the bucket's end) and ends at the next expiry; this packet starts a new one.
    bool idle = p.now - old.idle_since > (old.closed ? kClosedLinger : idle_timeout_);
    const uint16_t syn_ack = p.tcp_flags & (tcp_flag::kSyn | tcp_flag::kAck);
    bool reused = !idle && p.tcp_header &&
                  ((syn_ack == tcp_flag::kSyn &&
                    starts_new_connection(old, p, from_lo == old.client_is_lo ? 0 : 1)) ||
                   // A SYN/ACK after both FINs, or stamped before the close (FlowTable::on_packet).
                   (syn_ack == (tcp_flag::kSyn | tcp_flag::kAck) && old.closed &&
                    (((old.flags[0] & old.flags[1]) & tcp_flag::kFin) || p.ts < old.last)));
    if (idle || reused) {
      old.reused = reused;
      old.retired = true;
      retired_.push_back(it->second);
      index_.erase(it);
      it = index_.end();
    }
  }
  if (it != index_.end()) {
    idx = it->second;
  } else {
    if (!free_.empty()) {
      idx = free_.back();
      free_.pop_back();
      pool_[idx] = StatsFlow{};
    } else {
      idx = uint32_t(pool_.size());
      pool_.emplace_back();
    }
    index_.emplace(key, idx);
    StatsFlow& f = pool_[idx];
    f.key = key;
    f.first_pos = p.pos;
    f.proto = key.proto;
    f.first = p.ts;
    f.d_started = true;
    // The client: the SYN's sender; the receiver of a SYN-ACK seen first; else the
    // side whose port is not a known service, else the first sender.
    bool src_is_client = true;
    if (p.tcp_ports && (p.tcp_flags & (tcp_flag::kSyn | tcp_flag::kAck)) == tcp_flag::kSyn) {
      src_is_client = true;
    } else if (p.tcp_ports && (p.tcp_flags & (tcp_flag::kSyn | tcp_flag::kAck)) ==
                                  (tcp_flag::kSyn | tcp_flag::kAck)) {
      src_is_client = false;
    } else if (key.lo_port || key.hi_port) {
      bool dst_is_server = true;
      const uint16_t sport = from_lo ? key.lo_port : key.hi_port;
      const uint16_t dport = from_lo ? key.hi_port : key.lo_port;
      conversation_service(p.l4 == L4::Udp ? PortProto::Udp : PortProto::Tcp, sport, dport,
                           &dst_is_server);
      src_is_client = dst_is_server;
    }
    f.client_is_lo = src_is_client == from_lo;
    if (f.server_port() && (p.l4 == L4::Tcp || p.l4 == L4::Udp)) {
      f.service = service_name(p.l4 == L4::Udp ? PortProto::Udp : PortProto::Tcp, f.server_port());
      if (dpi_) f.dpi = dpi_->begin();
    }
  }
  StatsFlow& f = pool_[idx];
  const int dir = (from_lo == f.client_is_lo) ? 0 : 1;
  if (p.ts > f.last) f.last = p.ts;
  f.idle_since = p.now;
  ++f.packets[dir];
  f.bytes[dir] += p.ip_length;
  ++f.d_packets[dir];
  f.d_bytes[dir] += p.ip_length;
  if (p.tcp_header) {
    const uint16_t fl = p.tcp_flags;
    f.flags[dir] |= fl;
    const bool syn = fl & tcp_flag::kSyn, ack = fl & tcp_flag::kAck;
    f.d_flag_syn += syn && !ack;
    f.d_flag_synack += syn && ack;
    f.d_flag_fin += (fl & tcp_flag::kFin) != 0;
    f.d_flag_rst += (fl & tcp_flag::kRst) != 0;
    if (syn && !ack && dir == 0) {
      if (!f.has_isn) f.has_isn = true, f.client_isn = p.tcp_seq;
      f.syn = true;
      ++f.d_syn;
    } else if (syn && ack && dir == 1) {
      if (!f.synack) f.d_synack = true;
      f.synack = true;
    } else if (!syn && ack && dir == 0 && f.syn && f.synack && !f.established) {
      f.established = true;
      f.d_completed = true;
    }
    if (fl & (tcp_flag::kRst | tcp_flag::kFin)) {
      if ((fl & tcp_flag::kRst) || ((f.flags[0] & tcp_flag::kFin) && (f.flags[1] & tcp_flag::kFin)))
        f.closed = true;
    }
  }
  switch (p.icmp) {
    case IcmpKind::Query:
      ++f.d_icmp_query[dir];
      break;
    case IcmpKind::Reply:
      ++f.d_icmp_reply[dir];
      f.icmp_replied[dir] = true;
      break;
    case IcmpKind::Error:
      ++f.d_icmp_error[dir];
      break;
    default:
      break;
  }
  if (f.dpi && p.ip) {
    std::string_view app;
    if (dpi_->feed(f.dpi, p.ip, p.ip_captured, p.ts / 1'000'000, app)) f.app = app;
  }
  if (p.nxdomain && dir == 1) {
    ++f.nxdomain;
    ++f.d_nxdomain;
  }
  if (!f.touched) {
    f.touched = true;
    touched_.push_back(idx);
  }
}

// The session engine's rules (FlowTable::starts_new_connection, FlowTable::replays):
// on a closed connection any SYN but the same one retried after a refusal; on an open
// one a SYN with another sequence number, or the same SYN once the handshake is done (a
// copy of the capture replays the connection). The session engine keeps a replayed
// connection and its original apart packet by packet; flow records, without sequence
// tracking, end the original at the copy's SYN (the totals stay the same).
bool FlowStats::starts_new_connection(const StatsFlow& f, const FlowPacket& p, int dir) {
  if (f.proto != 6) return false;
  if (f.closed) {
    return dir != 0 || !f.has_isn || p.tcp_seq != f.client_isn || f.synack || p.ts < f.last;
  }
  return dir == 0 && f.has_isn &&
         (p.tcp_seq != f.client_isn || f.established || p.ts < f.last ||
          p.ts - f.last > kSynRetryGap);
}

void FlowStats::roll_up(BucketPartial& out,
                        const std::function<std::string_view(const IpAddress&)>& country,
                        const BucketCaps& caps) {
  const size_t cap = caps.set_entries;
  // The host's row in this bucket, or null when the table is full (its traffic still
  // counts in the bucket's services, protocols and countries).
  auto host = [&](const IpAddress& a) -> HostCounters* {
    if (out.hosts.size() < caps.hosts) return &out.hosts[a];  // one lookup while room
    auto it = out.hosts.find(a);
    if (it != out.hosts.end()) return &it.value();
    ++out.hosts_dropped;
    return nullptr;
  };
  for (uint32_t idx : touched_) {
    StatsFlow& f = pool_[idx];
    const IpAddress &c = f.client(), &s = f.server();
    const uint64_t pk = f.d_packets[0] + f.d_packets[1], by = f.d_bytes[0] + f.d_bytes[1];
    // One host at a time: a reference into the map dies when the next insert rehashes.
    if (HostCounters* h = host(c)) {
      h->packets_out += f.d_packets[0], h->bytes_out += f.d_bytes[0];
      h->packets_in += f.d_packets[1], h->bytes_in += f.d_bytes[1];
      h->flows += f.d_started;
      h->nxdomain_in += f.d_nxdomain;
      if (f.proto == 17) h->udp_out += f.d_packets[0], h->udp_in += f.d_packets[1];
      if (f.proto == 1 || f.proto == 58) {
        h->icmp_in += f.d_packets[1];
        h->icmp_replies_in += f.d_icmp_reply[1], h->icmp_errors_in += f.d_icmp_error[1];
        h->icmp_queries_out += f.d_icmp_query[0];
      }
    }
    if (HostCounters* h = host(s)) {
      h->packets_out += f.d_packets[1], h->bytes_out += f.d_bytes[1];
      h->packets_in += f.d_packets[0], h->bytes_in += f.d_bytes[0];
      h->flows += f.d_started && s != c;  // a host talking to itself: one flow
      if (f.proto == 17) h->udp_out += f.d_packets[1], h->udp_in += f.d_packets[0];
      if (f.proto == 1 || f.proto == 58) {
        h->icmp_in += f.d_packets[0];
        h->icmp_replies_in += f.d_icmp_reply[0], h->icmp_errors_in += f.d_icmp_error[0];
        h->icmp_queries_out += f.d_icmp_query[1];
      }
    }
    insert_capped(out.peers, AddrPair{c, s, 0}, cap, out.dropped);
    insert_capped(out.peers, AddrPair{s, c, 0}, cap, out.dropped);
    if (f.server_port()) {
      insert_capped(out.contacted_ports, AddrPort{c, f.server_port(), f.proto}, cap, out.dropped);
      Traffic& svc = out.services[uint32_t(f.proto) << 16 | f.server_port()];
      svc.packets += pk, svc.bytes += by, svc.flows += f.d_started;
    }
    Traffic& pr = out.protocols[f.proto];
    pr.packets += pk, pr.bytes += by, pr.flows += f.d_started;
    // A flow counts once for a country even when both ends are in it.
    std::string_view cc = country(c), cs = country(s);
    if (!cc.empty()) {
      Traffic& t = out.countries[std::string(cc)];
      t.packets += pk, t.bytes += by, t.flows += f.d_started;
    }
    if (!cs.empty() && cs != cc) {
      Traffic& t = out.countries[std::string(cs)];
      t.packets += pk, t.bytes += by, t.flows += f.d_started;
    }
    if (f.proto == 6) {
      out.tcp_packets += pk;
      out.tcp_syn += f.d_flag_syn;
      out.tcp_synack += f.d_flag_synack;
      out.tcp_fin += f.d_flag_fin;
      out.tcp_rst += f.d_flag_rst;
      if (f.d_syn) {
        insert_capped(out.probes, AddrPair{c, s, f.server_port()}, cap, out.dropped);
        out.syns[AddrPort{s, f.server_port(), 6}] += f.d_syn;
      }
      if (f.synack && (f.d_syn || f.d_synack)) {
        insert_capped(out.answered, AddrPair{c, s, f.server_port()}, cap, out.dropped);
      }
      if (f.d_completed) {
        ++out.completed[AddrPort{s, f.server_port(), 6}];
        if (std::binary_search(caps.burst_ports.begin(), caps.burst_ports.end(), f.server_port()))
          count_capped(out.connections, AddrPair{c, s, f.server_port()}, cap, out.dropped);
      }
    }
    if (f.proto == 1 || f.proto == 58) {
      // Echo requests each way; answered when the other way ever carried a reply.
      for (int d = 0; d < 2; ++d) {
        if (!f.d_icmp_query[d]) continue;
        const IpAddress &from = d == 0 ? c : s, &to = d == 0 ? s : c;
        insert_capped(out.pings, AddrPair{from, to, 0}, cap, out.dropped);
        if (f.icmp_replied[1 - d])
          insert_capped(out.pings_answered, AddrPair{from, to, 0}, cap, out.dropped);
      }
      f.d_icmp_query[0] = f.d_icmp_query[1] = f.d_icmp_reply[0] = f.d_icmp_reply[1] = 0;
      f.d_icmp_error[0] = f.d_icmp_error[1] = 0;
    }
    // UDP probes: the client sent to the server port; answered once the server sent any
    // UDP back. A flow only the "server" side ever sent on is a probe the other way: a
    // scanner sending from a well-known port (nmap -sU -g 53) looks like that server.
    // Traceroute's ports (33434 and up, one per probe) are not a scan.
    if (f.proto == 17) {
      const bool reversed = f.packets[0] == 0 && f.packets[1] > 0;
      const IpAddress &prober = reversed ? s : c, &probed = reversed ? c : s;
      const uint16_t port = reversed ? f.client_port() : f.server_port();
      const uint64_t sent = f.d_packets[reversed ? 1 : 0], back = f.packets[reversed ? 0 : 1];
      if (port && sent && (port < kTracerouteFirst || port > kTracerouteLast)) {
        insert_capped(out.udp_probes, AddrPair{prober, probed, port}, cap, out.dropped);
        if (back) insert_capped(out.udp_answered, AddrPair{prober, probed, port}, cap, out.dropped);
      }
    }
    f.d_packets[0] = f.d_packets[1] = f.d_bytes[0] = f.d_bytes[1] = f.d_nxdomain = 0;
    f.d_syn = f.d_flag_syn = f.d_flag_synack = f.d_flag_fin = f.d_flag_rst = 0;
    f.d_started = f.d_synack = f.d_completed = f.touched = false;
  }
  touched_.clear();
}

FlowStats::~FlowStats() {
  for (auto& f : pool_) {
    if (f.dpi) dpi_->finish(f.dpi);
  }
}

void FlowStats::end_detection(StatsFlow& f) {
  if (f.dpi) f.app = dpi_->finish(f.dpi);
}

void FlowStats::release(uint32_t idx) {
  if (!pool_[idx].retired) index_.erase(pool_[idx].key);  // else its key names a new flow
  free_.push_back(idx);
}

void FlowStats::expire(TimestampNs now, bool all,
                       const std::function<void(const StatsFlow&)>& done) {
  std::vector<uint32_t> ended;
  ended.swap(retired_);
  for (const auto& [key, idx] : index_) {
    const StatsFlow& f = pool_[idx];
    if (all || f.idle_since + (f.closed ? kClosedLinger : idle_timeout_) < now) {
      ended.push_back(idx);
    }
  }
  // Oldest first, so that records come out in a stable order whatever the table.
  std::sort(ended.begin(), ended.end(),
            [&](uint32_t a, uint32_t b) { return flow_order_less(pool_[a], pool_[b]); });
  for (uint32_t idx : ended) {
    end_detection(pool_[idx]);
    done(pool_[idx]);
    release(idx);
  }
}

void FlowStats::evict_oldest(size_t n, const std::function<void(const StatsFlow&)>& done) {
  std::vector<uint32_t> all;
  all.swap(retired_);  // done already: they go first, not counted as evicted
  const size_t retired = all.size();
  for (uint32_t idx : all) {
    end_detection(pool_[idx]);
    done(pool_[idx]);
    release(idx);
  }
  n -= std::min(n, retired);
  all.clear();
  all.reserve(index_.size());
  for (const auto& [key, idx] : index_) all.push_back(idx);
  n = std::min(n, all.size());
  std::nth_element(
      all.begin(), all.begin() + std::ptrdiff_t(n), all.end(),
      [&](uint32_t a, uint32_t b) { return pool_[a].idle_since < pool_[b].idle_since; });
  all.resize(n);
  for (uint32_t idx : all) {
    end_detection(pool_[idx]);
    done(pool_[idx]);
    release(idx);
  }
  evicted_ += n;
}

}  // namespace netsift
