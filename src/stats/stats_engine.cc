#include "stats/stats_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "decode/proto_names.h"
#include "enrich/services.h"
#include "events/alert.h"
#include "output/json_text.h"
#include "stats/dns_peek.h"

namespace netsift {
namespace {

constexpr size_t kReportAlerts = 100;

// Floor division, so that pre-1970 stamps land in the right bucket too.
int64_t bucket_of(TimestampNs ts, TimestampNs length) {
  return ts >= 0 ? ts / length : -((-ts + length - 1) / length);
}

std::string_view port_service(const PacketView& v, uint16_t port) {
  if (!v.has_ports) return {};
  if (v.l4 == L4::Tcp) return service_name(PortProto::Tcp, port);
  if (v.l4 == L4::Udp) return service_name(PortProto::Udp, port);
  return {};
}

// TCP flags as letters in tcpdump's order: "S", "SA", "FA", "R", "PA", ...
size_t flag_letters(uint16_t flags, char* out) {
  static constexpr struct {
    uint16_t bit;
    char letter;
  } kFlags[] = {{tcp_flag::kFin, 'F'}, {tcp_flag::kSyn, 'S'}, {tcp_flag::kRst, 'R'},
                {tcp_flag::kPsh, 'P'}, {tcp_flag::kAck, 'A'}, {tcp_flag::kUrg, 'U'},
                {tcp_flag::kEce, 'E'}, {tcp_flag::kCwr, 'W'}, {tcp_flag::kNs, 'N'}};
  size_t n = 0;
  for (const auto& f : kFlags) {
    if (flags & f.bit) out[n++] = f.letter;
  }
  return n;
}

// Appends `s` as a JSON string (quotes included).
void json_string(fmt::memory_buffer& b, std::string_view s) {
  b.push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      b.push_back('\\');
      b.push_back(char(c));
    } else if (c < 0x20) {
      fmt::format_to(std::back_inserter(b), "\\u{:04x}", c);
    } else {
      b.push_back(char(c));
    }
  }
  b.push_back('"');
}

// The protocol's name, or "ip-N" written into `scratch`.
std::string_view proto_label(uint8_t proto, char (&scratch)[8]) {
  std::string_view name = ip_proto_name(proto);
  if (!name.empty()) return name;
  auto end = fmt::format_to_n(scratch, sizeof scratch, "ip-{}", proto).out;
  return {scratch, size_t(end - scratch)};
}

std::string tcp_state(const StatsFlow& f) {
  if (f.proto != 6) return {};
  if ((f.flags[0] | f.flags[1]) & tcp_flag::kRst) return "reset";
  if ((f.flags[0] & tcp_flag::kFin) && (f.flags[1] & tcp_flag::kFin)) return "closed";
  if (f.established) return "established";
  if (f.synack) return "syn_answered";
  if (f.syn) return "syn_only";
  return "midstream";
}

}  // namespace

StatsEngine::StatsEngine(const StatsOptions& options, const HomeNetworks& home, const GeoIp& geoip,
                         StatsOutputs out, const MakeFlowAccounting& make_flows)
    : options_(options),
      out_(out),
      defrag_(DefragConfig{}, decoder_),
      counters_(options.max_addresses),
      book_(home, geoip, options.max_addresses),
      detectors_(options.detectors),
      time_(options.utc) {
  if (make_flows) {
    flows_ = make_flows(*this);
  } else {
    FlowShardLimits limits;
    limits.max_flows = options.max_flows;
    limits.bucket =
        BucketCaps::make(options.max_set_entries, options.max_addresses, options.detectors);
    limits.flow_timeout = options.flow_timeout;
    limits.dpi = options.dpi;
    flows_ = std::make_unique<FlowShard>(limits, book_, partial_, static_cast<FlowEndSink&>(*this));
  }
}

StatsEngine::~StatsEngine() = default;

void StatsEngine::on_packet(const PacketView& v) {
  const TimestampNs ts = v.raw->ts;
  if (ts > clock_) clock_ = ts;
  progress_.on_packet(ts);
  if (++packets_since_expiry_ >= 64) {
    packets_since_expiry_ = 0;
    defrag_.expire(clock_);
  }
  const PacketView* whole = nullptr;
  if (v.fragment && defrag_.add(v, assembled_) == IpDefragmenter::Result::Complete) {
    whole = &assembled_;
  }
  counters_.add(v, whole);
  if (!v.is_ip() || v.src_ip.empty() || v.dst_ip.empty()) return;

  // Buckets follow packet time; a packet stamped a little before the current bucket
  // (several interfaces, reordering: up to a second) counts in the current one. Further
  // back, time itself stepped back (captures concatenated, `mergecap -a`): the bucket
  // ends and one at the packet's time begins, so that each part is counted in its own
  // minutes (rows then come in file order, and a bucket may come twice).
  const int64_t bucket = bucket_of(ts, options_.bucket);
  if (!started_) {
    started_ = true;
    bucket_ = bucket;
  } else if (bucket > bucket_ || (bucket < bucket_ && ts < bucket_ * options_.bucket - kNsPerSec)) {
    close_bucket();
    bucket_ = bucket;
  }
  // Bytes of the (innermost) IP packet as its header states them.
  const uint32_t ip_length = v.l4_offset > v.l3_offset
                                 ? v.l4_offset - v.l3_offset + v.l4_wire_len
                                 : v.raw->wirelen - std::min(v.raw->wirelen, v.l3_offset);
  bool nxdomain = false;
  if (v.l4 == L4::Udp && v.has_ports && !v.fragment && (v.src_port == 53 || v.dst_port == 53)) {
    dns_look(v, nxdomain);
  }
  FlowPacket fp = make_flow_packet(v, ip_length, nxdomain, flow_pos_++);
  fp.now = progress_.stamp();
  flows_->add(v, fp);
  if (options_.per_packet) write_packet(v, ip_length);
}

void StatsEngine::dns_look(const PacketView& v, bool& nxdomain) {
  DnsPeek dns;
  if (!peek_dns(v.payload(), dns)) return;
  if (dns.response) {
    nxdomain = dns.rcode == 3;
    if (nxdomain && dns.name_len) {
      // FNV-1a over the registered domain: a burst is many domains that do not exist
      // (a DGA), not repeats of a name or many names under one zone (search lists,
      // load tests).
      uint64_t h = 0xcbf29ce484222325ull;
      for (char c : dns.domain()) h = (h ^ uint8_t(c)) * 0x100000001b3ull;
      if (partial_.nxdomain_names.size() < options_.max_set_entries) {
        partial_.nxdomain_names.insert(ClientName{v.dst_ip, h});
      } else {
        ++partial_.dropped;
      }
    }
    return;
  }
  if (dns.opcode != 0 || dns.name_len == 0) return;
  const DetectorConfig& c = options_.detectors;
  std::string_view sub = dns.subdomain();
  if (sub.size() < c.dns_long_name || !encoded_looking(sub, c.dns_entropy)) return;
  char buf[kMaxAddressText];
  std::string key(buf, format_address(v.src_ip, buf));
  key += ' ';
  key += dns.domain();
  auto it = partial_.dns_names.find(key);
  if (it == partial_.dns_names.end()) {
    if (partial_.dns_names.size() >= options_.max_set_entries) {
      ++partial_.dropped;
      return;
    }
    it = partial_.dns_names.emplace(std::move(key), DnsNameStats{}).first;
  }
  DnsNameStats& d = it->second;
  ++d.queries;
  d.longest = std::max<uint32_t>(d.longest, uint32_t(dns.name_len));
  d.max_entropy = std::max(d.max_entropy, shannon_entropy(sub));
  if (d.sample.empty() || dns.name() < d.sample) d.sample = dns.name();
}

void StatsEngine::write_packet(const PacketView& v, uint32_t ip_length) {
  char pl[8];  // "ip-N" for unnamed protocols
  const AddressFacts sf = book_.facts(v.src_ip);
  const AddressFacts df = book_.facts(v.dst_ip);
  const Location& sl = book_.location(sf.location);
  const Location& dl = book_.location(df.location);
  const Direction dir = sf.home ? (df.home ? Direction::Loop : Direction::Out)
                                : (df.home ? Direction::In : Direction::Other);
  const std::string_view ss = port_service(v, v.src_port), ds = port_service(v, v.dst_port);
  const std::string_view proto = proto_label(v.ip_proto, pl);
  char flags[12];
  const size_t nflags = v.l4 == L4::Tcp && v.l4_header ? flag_letters(v.tcp_flags, flags) : 0;
  char sa[kMaxAddressText], da[kMaxAddressText];
  const std::string_view src(sa, format_address(v.src_ip, sa)),
      dst(da, format_address(v.dst_ip, da));
  if (out_.store) {
    out_.store->packet(PacketRow{direction_name(dir), v.raw->ts, proto, &v.src_ip, v.src_port,
                                 v.has_ports, sl.label, ss, &v.dst_ip, v.dst_port, dl.label, ds,
                                 ip_length, v.payload_wire_len, std::string_view(flags, nflags)});
  }
  if (!out_.lines) return;
  fmt::memory_buffer b;
  auto it = std::back_inserter(b);
  if (options_.json) {
    char ts[32];
    fmt::format_to(it, "{{\"event\":\"ip\",\"ts\":{},\"direct\":\"{}\",\"proto\":\"{}\",",
                   std::string_view(ts, TimeFormatter::epoch_micros(v.raw->ts, ts)),
                   direction_name(dir), proto);
    fmt::format_to(it, "\"src_ip\":\"{}\",", src);
    if (v.has_ports) fmt::format_to(it, "\"src_port\":{},", v.src_port);
    fmt::format_to(it, "\"dst_ip\":\"{}\",", dst);
    if (v.has_ports) fmt::format_to(it, "\"dst_port\":{},", v.dst_port);
    auto field = [&](const char* key, std::string_view value) {
      if (value.empty()) return;
      fmt::format_to(it, "\"{}\":", key);
      json_string(b, value);
      b.push_back(',');
    };
    field("src_ip_geo", sl.label);
    field("src_country", sl.geo.country);
    if (sl.geo.asn) fmt::format_to(it, "\"src_asn\":{},", sl.geo.asn);
    field("src_as_org", sl.geo.as_org);
    field("dst_ip_geo", dl.label);
    field("dst_country", dl.geo.country);
    if (dl.geo.asn) fmt::format_to(it, "\"dst_asn\":{},", dl.geo.asn);
    field("dst_as_org", dl.geo.as_org);
    field("src_port_service", ss);
    field("dst_port_service", ds);
    if (v.l4 == L4::Tcp && v.l4_header) field("tcp_flags", std::string_view(flags, nflags));
    fmt::format_to(it, "\"packet_length\":{},\"data_length\":{}}}\n", ip_length,
                   v.payload_wire_len);
  } else {
    // The ancestor's line: DIRECTION\tdate PROTO src:port(geo)(service) dst:port(geo)(service) len
    auto none = [](std::string_view s) { return s.empty() ? std::string_view("NONE") : s; };
    char upper[16];
    size_t n = std::min(proto.size(), sizeof upper);
    for (size_t i = 0; i < n; ++i) upper[i] = char(std::toupper(uint8_t(proto[i])));
    fmt::format_to(it, "{}\t{} {} ", direction_name(dir), time_.calendar(v.raw->ts),
                   std::string_view(upper, n));
    auto endpoint = [&](std::string_view addr, uint16_t port, std::string_view geo,
                        std::string_view svc) {
      const bool v6 = addr.find(':') != std::string_view::npos;
      if (v.has_ports) {
        if (v6) {
          fmt::format_to(it, "[{}]:{}", addr, port);
        } else {
          fmt::format_to(it, "{}:{}", addr, port);
        }
      } else {
        fmt::format_to(it, "{}", addr);
      }
      fmt::format_to(it, "({})({})", none(geo), none(svc));
    };
    endpoint(src, v.src_port, sl.label, ss);
    b.push_back(' ');
    endpoint(dst, v.dst_port, dl.label, ds);
    fmt::format_to(it, " {}\n", ip_length);
  }
  out_.lines->append(b.data(), b.size());
  out_.lines->end_record();
}

void StatsEngine::on_idle(TimestampNs wall_now) {
  if (!started_) return;
  progress_.on_wall_time(wall_now);
  const int64_t bucket = bucket_of(wall_now, options_.bucket);
  if (bucket > bucket_) {
    close_bucket();
    bucket_ = bucket;
  }
}

void StatsEngine::close_bucket() {
  partial_.start = bucket_ * options_.bucket;
  // The flows' counts (with several workers: every worker's partial, merged).
  flows_->roll_up(partial_, progress_.now(), false);
  found_.clear();
  detectors_.on_bucket(partial_, options_.bucket, found_);
  // Hosts in address order: the rows, and the run totals when they are capped, come out
  // in one order whatever the hash tables' history.
  std::vector<const std::pair<IpAddress, HostCounters>*> hosts;
  hosts.reserve(partial_.hosts.size());
  for (const auto& h : partial_.hosts) hosts.push_back(&h);
  std::sort(hosts.begin(), hosts.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  emit_bucket(partial_, hosts);
  for (const Alert& a : found_) emit_alert(a);
  ++buckets_;
  // Run totals.
  for (const auto* entry : hosts) {
    const auto& [addr, h] = *entry;
    auto it = hosts_.find(addr);
    if (it != hosts_.end()) {
      it.value().add(h);
    } else if (hosts_.size() < options_.max_addresses) {
      hosts_.emplace(addr, h);
    } else {
      ++hosts_dropped_;
    }
  }
  bucket_entries_dropped_ += partial_.dropped;
  bucket_hosts_dropped_ += partial_.hosts_dropped;
  for (const auto& [k, t] : partial_.services) services_[k].add(t);
  for (const auto& [k, t] : partial_.countries) countries_[k].add(t);
  for (size_t i = 0; i < protocols_.size(); ++i) protocols_[i].add(partial_.protocols[i]);
  flows_->end_flows("timeout");
  if (out_.store) out_.store->commit();
  if (out_.events) out_.events->flush();
  if (options_.report_each_bucket && out_.report_out && !finishing_) {
    out_.report_out->append(report_text());
    out_.report_out->flush();
  } else if (options_.report_each_bucket && out_.report && !finishing_) {
    if (out_.lines) out_.lines->flush();  // per-packet lines first, then the report
    print_report(out_.report);
    std::fflush(out_.report);
  }
  partial_.clear();
}

void StatsEngine::emit_bucket(const BucketPartial& b,
                              const std::vector<const std::pair<IpAddress, HostCounters>*>& hosts) {
  char pl[8];  // "ip-N" for unnamed protocols
  // Distinct peers and contacted ports per host, from the bucket's pair sets.
  tsl::robin_map<IpAddress, std::pair<uint64_t, uint64_t>, IpAddressHash> distinct;
  for (const AddrPair& p : b.peers) ++distinct[p.a].first;
  for (const AddrPort& p : b.contacted_ports) ++distinct[p.a].second;
  uint64_t packets = 0, bytes = 0, flows = 0;
  for (const Traffic& t : b.protocols) packets += t.packets, bytes += t.bytes, flows += t.flows;
  if (out_.store) {
    StatsStore& s = *out_.store;
    for (const auto* entry : hosts) {
      const auto& [addr, h] = *entry;
      const AddressFacts f = book_.facts(addr);
      const Location& loc = book_.location(f.location);
      auto d = distinct.find(addr);
      s.host(b.start, addr, loc.country, loc.label, f.home, h.packets_in, h.bytes_in, h.packets_out,
             h.bytes_out, h.flows, d == distinct.end() ? 0 : d->second.first,
             d == distinct.end() ? 0 : d->second.second);
    }
    std::vector<std::pair<uint32_t, Traffic>> services(b.services.begin(), b.services.end());
    std::sort(services.begin(), services.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    for (const auto& [k, t] : services) {
      const uint8_t proto = uint8_t(k >> 16);
      const uint16_t port = uint16_t(k);
      s.service(b.start, proto_label(proto, pl), port,
                service_name(proto == 17 ? PortProto::Udp : PortProto::Tcp, port), t.packets,
                t.bytes, t.flows);
    }
    std::vector<const std::pair<std::string, Traffic>*> countries;
    for (const auto& c : b.countries) countries.push_back(&c);
    std::sort(countries.begin(), countries.end(),
              [](const auto* x, const auto* y) { return x->first < y->first; });
    for (const auto* c : countries)
      s.country(b.start, c->first, c->second.packets, c->second.bytes, c->second.flows);
    for (size_t i = 0; i < b.protocols.size(); ++i) {
      const Traffic& t = b.protocols[i];
      if (t.packets) s.protocol(b.start, proto_label(uint8_t(i), pl), t.packets, t.bytes, t.flows);
    }
    if (b.tcp_packets)
      s.tcp_flags(b.start, b.tcp_packets, b.tcp_syn, b.tcp_synack, b.tcp_fin, b.tcp_rst);
  }
  if (!out_.events) return;
  Event e("stats_bucket", b.start + options_.bucket);
  e.set_time("bucket_start", b.start);
  e.set_time("bucket_seconds", options_.bucket);
  e.set("packets", packets);
  e.set("bytes", bytes);
  e.set("flows", flows);
  e.set("hosts", uint64_t(b.hosts.size()));
  if (b.hosts_dropped) e.set("host_updates_capped", b.hosts_dropped);
  if (b.dropped) e.set("set_entries_capped", b.dropped);
  std::vector<std::pair<IpAddress, uint64_t>> top;
  for (const auto& [addr, h] : b.hosts) top.emplace_back(addr, h.bytes_in + h.bytes_out);
  auto more = [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  };
  std::sort(top.begin(), top.end(), more);
  if (top.size() > options_.top) top.resize(options_.top);
  rapidjson::Value list(rapidjson::kArrayType);
  char buf[kMaxAddressText];
  for (const auto& [addr, n] : top) {
    rapidjson::Value pair(rapidjson::kArrayType);
    pair.PushBack(rapidjson::Value(buf, rapidjson::SizeType(format_address(addr, buf)), e.alloc()),
                  e.alloc());
    pair.PushBack(rapidjson::Value(n), e.alloc());
    list.PushBack(pair, e.alloc());
  }
  e.set("top_hosts_by_bytes", std::move(list));
  rapidjson::Value protos(rapidjson::kObjectType);
  for (size_t i = 0; i < b.protocols.size(); ++i) {
    if (!b.protocols[i].packets) continue;
    std::string_view name = proto_label(uint8_t(i), pl);
    protos.AddMember(rapidjson::Value(name.data(), rapidjson::SizeType(name.size()), e.alloc()),
                     rapidjson::Value(b.protocols[i].packets), e.alloc());
  }
  e.set("protocol_packets", std::move(protos));
  rapidjson::Value fl(rapidjson::kObjectType);
  fl.AddMember("syn", b.tcp_syn, e.alloc());
  fl.AddMember("synack", b.tcp_synack, e.alloc());
  fl.AddMember("fin", b.tcp_fin, e.alloc());
  fl.AddMember("rst", b.tcp_rst, e.alloc());
  e.set("tcp_flags", std::move(fl));
  out_.events->emit(e);
}

void StatsEngine::emit_alert(const Alert& a) {
  ++alert_count_;
  if (alerts_.size() < kReportAlerts) alerts_.push_back(a);
  const IpAddress* src = a.src.empty() ? nullptr : &a.src;
  const IpAddress* dst = a.dst.empty() ? nullptr : &a.dst;
  if (out_.store) {
    out_.store->alert(a.ts, a.kind, src, dst, a.port, a.count, a.window, a.detail);
  }
  if (!out_.events) return;
  Event e = make_alert_event(AlertInfo{a.kind, a.ts, src, dst, a.count, a.window, a.detail});
  if (a.port) e.set("port", uint64_t(a.port));
  out_.events->emit(e);
}

void StatsEngine::flow_ended(const StatsFlow& f, std::string_view cc, std::string_view sc,
                             const char* reason) {
  char pl[8];  // "ip-N" for unnamed protocols
  if (f.reused) reason = "port_reuse";
  ++flows_ended_;
  const std::string state = tcp_state(f);
  const std::string_view proto = proto_label(f.proto, pl);
  // The application protocol where nDPI names one that the port's service does not.
  std::string_view app = f.app;
  if (!app.empty() && app.size() == f.service.size() &&
      std::equal(app.begin(), app.end(), f.service.begin(), [](char a, char b) {
        return std::tolower(uint8_t(a)) == std::tolower(uint8_t(b));
      })) {
    app = {};
  }
  if (out_.store) {
    out_.store->flow(StatsStore::FlowRow{
        proto, &f.client(), &f.server(), f.client_port(), f.server_port(), f.first, f.last,
        f.packets[0], f.bytes[0], f.packets[1], f.bytes[1], f.service, app, cc, sc, state, reason});
  }
  if (!out_.events) return;
  Event e("flow", f.last);
  e.set_time("first_ts", f.first);
  e.set("proto", proto);
  e.set("src_ip", f.client());
  if (f.client_port() || f.server_port()) e.set("src_port", uint64_t(f.client_port()));
  e.set("dst_ip", f.server());
  if (f.client_port() || f.server_port()) e.set("dst_port", uint64_t(f.server_port()));
  e.set("src_packets", f.packets[0]);
  e.set("src_bytes", f.bytes[0]);
  e.set("dst_packets", f.packets[1]);
  e.set("dst_bytes", f.bytes[1]);
  e.set_time("duration", f.last - f.first);
  if (!f.service.empty()) e.set("service", f.service);
  if (!app.empty()) e.set("app", app);
  if (!cc.empty()) e.set("src_country", cc);
  if (!sc.empty()) e.set("dst_country", sc);
  if (!state.empty()) e.set("tcp_state", state);
  e.set("end", reason);
  out_.events->emit(e);
}

void StatsEngine::finish(bool input_cut) {
  finishing_ = true;
  if (started_) close_bucket();
  BucketPartial nothing;  // no packet since the last roll-up
  flows_->roll_up(nothing, progress_.now(), true);
  flows_->end_flows("end_of_input");
  Event summary = summary_event();
  if (input_cut) summary.set("interrupted", true);
  if (out_.store) {
    TextBuffer json;
    append_json(summary.doc(), json);
    out_.store->finish(counters_.first_ts, counters_.last_ts, counters_.packets, json.view(),
                       !input_cut);
  }
  if (out_.events) {
    out_.events->emit(summary);
    out_.events->flush();
  }
}

Event StatsEngine::summary_event() const {
  const TrafficCounters& c = counters_;
  Event e("stats_summary", c.last_ts);
  e.set_time("first_ts", c.first_ts);
  e.set_time("last_ts", c.last_ts);
  e.set("packets", c.packets);
  e.set("bytes", c.bytes);
  e.set("ipv4_packets", c.ipv4_packets);
  e.set("ipv6_packets", c.ipv6_packets);
  e.set("tcp_packets", c.tcp_packets);
  e.set("udp_packets", c.udp_packets);
  e.set("icmp_packets", c.icmp_packets);
  e.set("icmpv6_packets", c.icmpv6_packets);
  e.set("arp_packets", c.arp_packets);
  e.set("vlan_packets", c.vlan_packets);
  e.set("ip_frame_bytes", c.ip_frame_bytes);
  e.set("distinct_ip_addresses", uint64_t(c.distinct_addresses()));
  if (c.untracked_address_hits()) e.set("untracked_address_hits", c.untracked_address_hits());
  rapidjson::Value top(rapidjson::kArrayType);
  char buf[kMaxAddressText];
  for (const auto& [addr, n] : c.top_addresses(options_.top)) {
    rapidjson::Value pair(rapidjson::kArrayType);
    pair.PushBack(rapidjson::Value(buf, rapidjson::SizeType(format_address(addr, buf)), e.alloc()),
                  e.alloc());
    pair.PushBack(rapidjson::Value(n), e.alloc());
    top.PushBack(pair, e.alloc());
  }
  e.set("top_addresses_by_packets", std::move(top));
  e.set("buckets", buckets_);
  e.set("flows", flows_ended_);
  if (flows_->evicted()) e.set("flows_evicted", flows_->evicted());
  e.set("alerts", alert_count_);
  rapidjson::Value capped(rapidjson::kObjectType);
  auto cap = [&](const char* name, uint64_t n) {
    if (n) capped.AddMember(rapidjson::StringRef(name), n, e.alloc());
  };
  cap("bucket_host_updates", bucket_hosts_dropped_);
  cap("bucket_set_entries", bucket_entries_dropped_);
  cap("run_hosts", hosts_dropped_);
  cap("volume_baselines", detectors_.baselines_dropped());
  if (capped.MemberCount()) e.set("capped", std::move(capped));
  return e;
}

std::string StatsEngine::caps_note() const {
  std::string note;
  auto add = [&](uint64_t n, const char* what) {
    if (n) note += fmt::format("{}{} {}", note.empty() ? "" : ", ", n, what);
  };
  add(flows_->evicted(), "flows ended early at the flow cap (--max-flows)");
  add(bucket_hosts_dropped_ + hosts_dropped_,
      "host row updates turned away at the address cap (--max-addresses)");
  add(counters_.untracked_address_hits(), "address hits not counted per address");
  add(bucket_entries_dropped_, "set entries not kept (--max-set-entries)");
  add(detectors_.baselines_dropped(), "volume baselines not kept");
  return note;
}

void StatsEngine::print_report(FILE* out) {
  const std::string r = report_text();
  std::fwrite(r.data(), 1, r.size(), out);
}

std::string StatsEngine::report_text() {
  char pl[8];  // "ip-N" for unnamed protocols
  const TrafficCounters& c = counters_;
  std::string r;
  auto it = std::back_inserter(r);
  fmt::format_to(it, "== netsift stats ==\n");
  fmt::format_to(it, "packets {}  bytes {}  IP frame bytes {}  flows {}  buckets {}\n", c.packets,
                 c.bytes, c.ip_frame_bytes, flows_ended_ + flows_->open_flows(), buckets_);
  fmt::format_to(it, "IPv4 {}  IPv6 {}  ARP {}  VLAN-tagged {}\n", c.ipv4_packets, c.ipv6_packets,
                 c.arp_packets, c.vlan_packets);
  fmt::format_to(it, "TCP {}  UDP {}  ICMP {}  ICMPv6 {}\n", c.tcp_packets, c.udp_packets,
                 c.icmp_packets, c.icmpv6_packets);
  fmt::format_to(it, "distinct IP addresses {}\n", c.distinct_addresses());
  fmt::format_to(it, "\ntop addresses (packets as source or destination):\n");
  for (const auto& [addr, n] : c.top_addresses(options_.top)) {
    fmt::format_to(it, "  {:<40} {}\n", to_string(addr), n);
  }
  auto top_n = [&](auto& rows) {
    std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
      return x.second.bytes != y.second.bytes ? x.second.bytes > y.second.bytes : x.first < y.first;
    });
    if (rows.size() > options_.top) rows.resize(options_.top);
  };
  std::vector<std::pair<IpAddress, Traffic>> talkers;
  for (const auto& [addr, h] : hosts_) {
    talkers.push_back(
        {addr, Traffic{h.packets_in + h.packets_out, h.bytes_in + h.bytes_out, h.flows}});
  }
  top_n(talkers);
  AddressBook& book = book_;
  fmt::format_to(it, "\ntop talkers (bytes):\n");
  for (const auto& [addr, t] : talkers) {
    const AddressFacts f = book.facts(addr);
    const Location& loc = book.location(f.location);
    auto h = hosts_.find(addr);
    fmt::format_to(it, "  {:<40} {:>14} B  in {} B  out {} B  {} flows  {}{}\n", to_string(addr),
                   t.bytes, h->second.bytes_in, h->second.bytes_out, h->second.flows,
                   f.home ? "home" : "", loc.label.empty() ? "" : (f.home ? ", " : "") + loc.label);
  }
  std::vector<std::pair<uint32_t, Traffic>> svcs(services_.begin(), services_.end());
  top_n(svcs);
  fmt::format_to(it, "\ntop services (bytes):\n");
  for (const auto& [k, t] : svcs) {
    const uint8_t proto = uint8_t(k >> 16);
    const uint16_t port = uint16_t(k);
    std::string_view name = service_name(proto == 17 ? PortProto::Udp : PortProto::Tcp, port);
    fmt::format_to(it, "  {}/{:<6} {:<16} {:>14} B  {} packets  {} flows\n", proto_label(proto, pl),
                   port, name.empty() ? "-" : name, t.bytes, t.packets, t.flows);
  }
  std::vector<std::pair<std::string, Traffic>> ctry(countries_.begin(), countries_.end());
  top_n(ctry);
  if (!ctry.empty()) {
    fmt::format_to(it, "\ncountries and ranges (bytes):\n");
    for (const auto& [k, t] : ctry) {
      fmt::format_to(it, "  {:<24} {:>14} B  {} packets  {} flows\n", k, t.bytes, t.packets,
                     t.flows);
    }
  }
  fmt::format_to(it, "\nprotocols:\n");
  for (size_t i = 0; i < protocols_.size(); ++i) {
    if (!protocols_[i].packets) continue;
    fmt::format_to(it, "  {:<8} {:>12} packets {:>14} B  {} flows\n", proto_label(uint8_t(i), pl),
                   protocols_[i].packets, protocols_[i].bytes, protocols_[i].flows);
  }
  if (const std::string note = caps_note(); !note.empty()) {
    fmt::format_to(it, "\ncaps reached: {}\n", note);
  }
  fmt::format_to(it, "\nalerts: {}\n", alert_count_);
  for (const Alert& a : alerts_) {
    fmt::format_to(it, "  {} {}{}{}: {}\n", a.kind, a.src.empty() ? "" : to_string(a.src),
                   a.dst.empty() ? "" : " -> ", a.dst.empty() ? "" : to_string(a.dst), a.detail);
  }
  if (alert_count_ > alerts_.size()) {
    fmt::format_to(it, "  ... {} more (JSON or SQLite have them all)\n",
                   alert_count_ - alerts_.size());
  }
  return r;
}

}  // namespace netsift
