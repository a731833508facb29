#include "app/flow_placer.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

namespace netsift {
namespace {

// Work units: a packet costs about what 1 KiB of its payload costs a worker (decoding,
// the flow lookup, the analyzer call, often an event), and a new flow is charged ahead
// for the packets it has yet to bring, so flows that start together spread out.
constexpr uint64_t kPacketCost = 2;
constexpr uint64_t kBytesPerUnit = 512;
constexpr uint64_t kNewFlowCost = 64;
// Recent work: halved every so many packets (older work counts less and less).
constexpr uint64_t kDecayPackets = 1u << 16;

}  // namespace

FlowPlacer::FlowPlacer(uint32_t workers, size_t max_flows, TimestampNs keep_tcp,
                       TimestampNs keep_other)
    : max_flows_(std::max<size_t>(max_flows, 16)),
      keep_tcp_(keep_tcp),
      keep_other_(keep_other),
      share_(std::max<size_t>(1, max_flows_ / std::max<uint32_t>(workers, 1))),
      load_(std::max<uint32_t>(workers, 1), 0),
      flows_(load_.size(), 0) {}

namespace {

// Each endpoint to one word, then a sum and a product of the two (both symmetric), then
// one round of mixing (the table's Mix spreads it further).
inline uint64_t symmetric_hash(const PacketView& v, uint64_t sport, uint64_t dport,
                               uint64_t proto) {
  uint64_t s[2], d[2];
  std::memcpy(s, v.src_ip.bytes.data(), 16);
  std::memcpy(d, v.dst_ip.bytes.data(), 16);
  uint64_t a = (s[0] ^ (s[1] * 0x9e3779b97f4a7c15ull) ^ (sport << 48)) * 0xff51afd7ed558ccdull;
  uint64_t b = (d[0] ^ (d[1] * 0x9e3779b97f4a7c15ull) ^ (dport << 48)) * 0xff51afd7ed558ccdull;
  uint64_t h = (a + b) ^ ((a >> 32 | 1) * (b >> 32 | 1)) ^ proto;
  h ^= h >> 31;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 29);
}

}  // namespace

uint64_t FlowPlacer::key(const PacketView& v) {
  return v.has_ports ? symmetric_hash(v, v.src_port, v.dst_port, v.ip_proto)
                     : symmetric_hash(v, 0, 0, v.ip_proto);
}

uint64_t FlowPlacer::host_pair(const PacketView& v) {
  return symmetric_hash(v, 0, 0, 0);
}

// A client asking for a data connection (PASV, EPSV, PORT, EPRT and a space or the line's
// end) at the start of a segment: what marks a control connection on a port not
// configured for FTP. A false match only keeps two hosts' new flows on one worker.
static bool asks_for_data_connection(const PacketView& v) {
  if (v.payload_len < 5) return false;
  const uint8_t* b = v.payload().data();
  const char c0 = char(b[0] | 0x20);
  if (c0 != 'p' && c0 != 'e') return false;
  if (b[4] != ' ' && b[4] != '\r' && b[4] != '\n') return false;
  char verb[4];
  for (int i = 0; i < 4; ++i) verb[i] = char(b[i] | 0x20);
  const std::string_view w(verb, 4);
  return w == "pasv" || w == "epsv" || w == "port" || w == "eprt";
}

static bool is_control(const PacketView& v, const std::vector<uint16_t>& ports) {
  return v.has_ports && std::find_if(ports.begin(), ports.end(), [&](uint16_t p) {
                          return p == v.dst_port || p == v.src_port;
                        }) != ports.end();
}

int64_t FlowPlacer::control_worker(const PacketView& v) {
  auto it = controls_.find(host_pair(v));
  if (it == controls_.end()) return -1;
  auto place = places_.find(it->second);
  if (place == places_.end()) {
    controls_.erase(it);  // that control connection is over
    return -1;
  }
  return place->second.worker;
}

void FlowPlacer::note_control(const PacketView& v, uint64_t hash) {
  if (controls_.size() >= 2 * max_flows_) controls_.clear();  // only when hostile: a bound
  controls_[host_pair(v)] = hash;
}

uint32_t FlowPlacer::place(uint64_t hash, uint32_t bytes, bool tcp, TimestampNs stamp,
                           TimestampNs now, const PacketView* v) {
  if (++packets_ % kDecayPackets == 0) {
    for (uint64_t& l : load_) l /= 2;
    if (now - swept_ > std::min(keep_tcp_, keep_other_) / 4) forget_idle(now);
  }
  Place* p = last_ && hash == last_hash_ ? last_ : nullptr;
  if (p == nullptr) {
    auto it = places_.find(hash);
    if (it != places_.end()) p = &it.value();
  }
  uint32_t worker;
  if (p) {
    p->last = std::max(p->last, stamp);
    p->tcp = p->tcp || tcp;
    worker = p->worker;
  } else {
    if (places_.size() >= 2 * max_flows_) forget_oldest();
    // FTP: every TCP flow between two hosts with a control connection open goes to its
    // worker (a second control connection too; the newest is remembered).
    const bool ftp = tcp && v && !control_ports_.empty();
    const int64_t with_control = ftp ? control_worker(*v) : -1;
    worker = with_control >= 0 ? uint32_t(with_control) : least_loaded();
    p = &places_.emplace(hash, Place{worker, tcp, stamp}).first.value();
    if (ftp && is_control(*v, control_ports_)) note_control(*v, hash);
    ++flows_[worker];
    load_[worker] += kNewFlowCost;
  }
  // A control connection found by content: its request for a data connection comes
  // before the data connection's SYN, so that SYN follows it.
  if (tcp && v && watch_commands_ && asks_for_data_connection(*v)) note_control(*v, hash);
  last_hash_ = hash;
  last_ = p;
  load_[worker] += kPacketCost + bytes / kBytesPerUnit;
  return worker;
}

uint32_t FlowPlacer::least_loaded() {
  const uint32_t n = uint32_t(load_.size());
  // Workers below their share of flows first; among them the least recent work (ties
  // rotate). When every worker holds its share, the one with the fewest flows.
  auto better = [&](uint32_t a, uint32_t b) {
    const bool a_room = flows_[a] < share_, b_room = flows_[b] < share_;
    if (a_room != b_room) return a_room;
    return a_room ? load_[a] < load_[b] : flows_[a] < flows_[b];
  };
  uint32_t best = next_;
  for (uint32_t i = 1; i < n; ++i) {
    uint32_t w = (next_ + i) % n;
    if (better(w, best)) best = w;
  }
  next_ = (best + 1) % n;
  return best;
}

void FlowPlacer::forget_idle(TimestampNs now) {
  swept_ = now;
  last_ = nullptr;
  for (auto it = controls_.begin(); it != controls_.end();) {
    auto place = places_.find(it->second);
    bool idle = place == places_.end() || now - place->second.last > keep_tcp_;
    it = idle ? controls_.erase(it) : std::next(it);
  }
  for (auto it = places_.begin(); it != places_.end();) {
    // A stamp ahead of `now` (an unconfirmed jump) is not idle at all.
    if (now - it->second.last > (it->second.tcp ? keep_tcp_ : keep_other_)) {
      --flows_[it->second.worker];
      it = places_.erase(it);
    } else {
      ++it;
    }
  }
}

void FlowPlacer::forget_oldest() {
  last_ = nullptr;
  std::vector<std::pair<TimestampNs, uint64_t>> by_age;
  by_age.reserve(places_.size());
  for (const auto& [hash, p] : places_) by_age.emplace_back(p.last, hash);
  const size_t n = std::max<size_t>(by_age.size() / 16, 1);
  std::nth_element(by_age.begin(), by_age.begin() + std::ptrdiff_t(n), by_age.end());
  for (size_t i = 0; i < n; ++i) {
    auto it = places_.find(by_age[i].second);
    --flows_[it->second.worker];
    places_.erase(it);
  }
}

void FlowPlacer::clear() {
  places_.clear();
  controls_.clear();
  last_ = nullptr;
  std::fill(load_.begin(), load_.end(), 0);
  std::fill(flows_.begin(), flows_.end(), 0);
  next_ = 0;
}

}  // namespace netsift
