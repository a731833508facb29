#include "flow/ip_defrag.h"

#include <cstring>

#include "flow/flow_key.h"

namespace netsift {

size_t IpDefragmenter::KeyHash::operator()(const Key& k) const {
  FlowKey f;
  f.lo_ip = k.src;
  f.hi_ip = k.dst;
  f.proto = k.proto;
  f.lo_port = uint16_t(k.id);
  f.hi_port = uint16_t(k.id >> 16);
  return FlowKeyHash{}(f);
}

void IpDefragmenter::drop(std::unordered_map<Key, Datagram, KeyHash>::iterator it) {
  bytes_held_ -= it->second.data.size();
  datagrams_.erase(it);
}

IpDefragmenter::Result IpDefragmenter::add(const PacketView& v, PacketView& out) {
  if (!v.fragment || !v.is_ip()) return Result::NotFragment;
  const bool v6 = v.l3 == L3::Ipv6;
  // An IPv6 atomic fragment (offset 0, no more fragments) is a whole datagram already.
  if (v6 && v.frag_offset == 0 && !v.more_fragments) return Result::NotFragment;
  ++stats_.fragments;
  const uint8_t* frame = v.raw->data.data();
  const uint32_t data_start = v.l4_offset;
  const uint32_t len = v.l4_len;
  const uint64_t end = uint64_t(v.frag_offset) + len;
  if (end > 65535) {
    ++stats_.too_large;
    return Result::Held;
  }
  Key key{v.src_ip, v.dst_ip, v.frag_id, v.ip_proto};
  auto it = datagrams_.find(key);
  if (it == datagrams_.end()) {
    while (datagrams_.size() >= config_.max_datagrams ||
           (bytes_held_ + end > config_.max_bytes && !order_.empty())) {
      auto [serial, old] = order_.front();
      order_.pop_front();
      auto victim = datagrams_.find(old);
      if (victim != datagrams_.end() && victim->second.serial == serial) {
        ++stats_.cap_dropped;
        drop(victim);
      }
      if (order_.empty()) break;
    }
    it = datagrams_.emplace(key, Datagram{}).first;
    it->second.first_seen = now_;
    it->second.serial = next_serial_++;
    order_.emplace_back(it->second.serial, key);
  }
  Datagram& d = it->second;
  if (d.data.size() < end) {
    bytes_held_ += end - d.data.size();
    d.data.resize(end);
    d.have.resize(end);
  }
  bool conflict = false;
  const uint8_t* src = frame + data_start;
  for (uint32_t i = 0; i < len; ++i) {
    size_t pos = v.frag_offset + i;
    if (d.have[pos]) {
      conflict |= d.data[pos] != src[i];
    } else {
      d.have[pos] = true;
      d.data[pos] = src[i];
      ++d.covered;
    }
  }
  if (conflict) ++stats_.conflicting_overlaps;
  if (v.frag_offset == 0) {
    uint32_t header_len = v6 ? 40 : data_start - v.l3_offset;
    d.header.assign(frame + v.l3_offset, frame + v.l3_offset + header_len);
  }
  if (!v.more_fragments) d.total = int64_t(end);
  if (d.total < 0 || d.header.empty() || d.covered < size_t(d.total)) return Result::Held;

  // Complete: rebuild one unfragmented packet and decode it as raw IP.
  size_t total = size_t(d.total);
  assembled_.assign(d.header.begin(), d.header.end());
  uint8_t* h = assembled_.data();
  if (v6) {
    h[4] = uint8_t(total >> 8);
    h[5] = uint8_t(total);
    h[6] = v.ip_proto;  // extension headers before the fragment header are dropped
  } else {
    size_t length = assembled_.size() + total;
    h[2] = uint8_t(length >> 8);
    h[3] = uint8_t(length);
    h[6] = h[7] = 0;
    h[10] = h[11] = 0;
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < assembled_.size(); i += 2) sum += uint32_t(h[i] << 8 | h[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    h[10] = uint8_t(~sum >> 8);
    h[11] = uint8_t(~sum);
  }
  assembled_.insert(assembled_.end(), d.data.begin(), d.data.begin() + long(total));
  drop(it);
  ++stats_.reassembled;
  assembled_raw_ = *v.raw;
  assembled_raw_.data = ByteView(assembled_.data(), assembled_.size());
  assembled_raw_.block = nullptr;  // the bytes are ours, not the source's
  assembled_raw_.caplen = assembled_raw_.wirelen = uint32_t(assembled_.size());
  assembled_raw_.linktype = v6 ? linktype::kIpv6 : linktype::kIpv4;
  decoder_.decode(assembled_raw_, out);
  // Keep the link-layer facts of the frame that completed the datagram.
  out.has_macs = v.has_macs;
  out.src_mac = v.src_mac;
  out.dst_mac = v.dst_mac;
  out.vlans = v.vlans;
  out.vlan_count = v.vlan_count;
  return Result::Complete;
}

void IpDefragmenter::expire(TimestampNs now) {
  while (!order_.empty()) {
    auto& [serial, key] = order_.front();
    auto it = datagrams_.find(key);
    if (it == datagrams_.end() || it->second.serial != serial) {
      order_.pop_front();
      continue;
    }
    if (it->second.first_seen + config_.timeout > now) break;
    ++stats_.timed_out;
    drop(it);
    order_.pop_front();
  }
}

void IpDefragmenter::finish() {
  stats_.incomplete_at_end += datagrams_.size();
  datagrams_.clear();
  order_.clear();
  bytes_held_ = 0;
}

}  // namespace netsift
