#include "capture/live_source.h"

#include <fmt/format.h>
#include <pcap/pcap.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#ifdef __linux__
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

namespace netsift {

LiveSource::LiveSource(LiveOptions options, const std::atomic<bool>& stop)
    : options_(std::move(options)), stop_(stop) {}

LiveSource::~LiveSource() {
  if (handle_) pcap_close(handle_);
}

bool LiveSource::open() {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  handle_ = pcap_create(options_.interface.c_str(), errbuf);
  if (!handle_) {
    error_ = fmt::format("{}: cannot open interface: {}", options_.interface, errbuf);
    return false;
  }
  pcap_set_snaplen(handle_, options_.snaplen);
  pcap_set_promisc(handle_, options_.promiscuous ? 1 : 0);
  pcap_set_buffer_size(handle_, options_.buffer_size_mb << 20);
  pcap_set_timeout(handle_, options_.timeout_ms);
  if (options_.immediate) pcap_set_immediate_mode(handle_, 1);
  pcap_set_tstamp_precision(handle_, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(handle_);
  if (rc < 0) {
    // libpcap's text alone ("socket: Operation not permitted") does not say what to do.
    const char* what = rc == PCAP_ERROR_PERM_DENIED
                           ? " (needs root, or CAP_NET_RAW and CAP_NET_ADMIN: "
                             "setcap cap_net_raw,cap_net_admin=eip netsift)"
                       : rc == PCAP_ERROR_NO_SUCH_DEVICE ? " (list interfaces with 'ip link')"
                                                         : "";
    error_ = fmt::format("{}: cannot start capture: {}{}", options_.interface, pcap_geterr(handle_),
                         what);
    return false;
  }
  linktype_ = uint16_t(pcap_datalink(handle_));
  if (!options_.bpf.empty()) {
    bpf_program prog{};
    if (pcap_compile(handle_, &prog, options_.bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      error_ = fmt::format("bad filter expression '{}': {}", options_.bpf, pcap_geterr(handle_));
      return false;
    }
    int set = pcap_setfilter(handle_, &prog);
    pcap_freecode(&prog);
    if (set != 0) {
      error_ = fmt::format("cannot set filter: {}", pcap_geterr(handle_));
      return false;
    }
  }
  // Non-blocking reads plus our own poll() with a timeout: a stop request (a signal
  // interrupts poll) or the end of a quiet spell is seen within timeout_ms even when no
  // packet ever arrives (libpcap's own timeout does not fire on an idle TPACKET_V3 ring).
  if (pcap_setnonblock(handle_, 1, errbuf) != 0 || pcap_get_selectable_fd(handle_) < 0) {
    error_ = fmt::format("{}: cannot poll the capture: {}", options_.interface, errbuf);
    return false;
  }
  return true;
}

PacketSource::Status LiveSource::next(RawPacket& out) {
  bool nano = pcap_get_tstamp_precision(handle_) == PCAP_TSTAMP_PRECISION_NANO;
  while (!stop_.load(std::memory_order_relaxed)) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(handle_, &hdr, &data);
    if (rc == 1) {
      out.ts = int64_t(hdr->ts.tv_sec) * kNsPerSec + int64_t(hdr->ts.tv_usec) * (nano ? 1 : 1000);
      out.caplen = hdr->caplen;
      out.wirelen = hdr->len;
      out.linktype = linktype_;
      out.interface_id = 0;
      out.data = ByteView(data, hdr->caplen);
      out.block = nullptr;  // libpcap reuses its ring: nothing to lend
      if (start_ != 0) {
        if (out.ts < start_) continue;
        start_ = 0;  // in time: a later step back of the clock drops nothing
      }
      return Status::Packet;
    }
    if (rc == 0) {
      pollfd pfd{pcap_get_selectable_fd(handle_), POLLIN, 0};
      int ready = poll(&pfd, 1, options_.timeout_ms);
      if (ready == 0) return Status::Idle;  // quiet: lets the caller flush and expire flows
      if (ready < 0 && errno != EINTR) {
        error_ = fmt::format("{}: capture failed: {}", options_.interface, std::strerror(errno));
        return Status::Error;
      }
      continue;
    }
    if (rc == PCAP_ERROR_BREAK) return Status::End;
    error_ = fmt::format("{}: capture failed: {}", options_.interface, pcap_geterr(handle_));
    return Status::Error;
  }
  return Status::End;
}

uint64_t LiveSource::dropped() const {
  pcap_stat st{};
  if (handle_ && pcap_stats(handle_, &st) == 0) {
    return uint64_t(st.ps_drop) + (options_.interface_drops ? st.ps_ifdrop : 0);
  }
  return 0;
}

bool LiveSource::join_fanout(int& group) {
#ifdef __linux__
  // The kernel hashes with __skb_get_hash_symmetric (the flow dissector's addresses and
  // ports in a fixed order): both directions of a connection meet in one socket.
  uint32_t type = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
  if (group < 0) type |= PACKET_FANOUT_FLAG_UNIQUEID;  // only for the group's first socket
  uint32_t arg = uint32_t(group < 0 ? 0 : group) | type << 16;
  int fd = pcap_fileno(handle_);
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
    error_ = fmt::format("{}: --fanout: cannot join a PACKET_FANOUT group: {}", options_.interface,
                         std::strerror(errno));
    return false;
  }
  if (group < 0) {
    uint32_t got = 0;
    socklen_t len = sizeof got;
    if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &got, &len) != 0) {
      error_ = fmt::format("{}: --fanout: cannot read the group's id: {}", options_.interface,
                           std::strerror(errno));
      return false;
    }
    group = int(got & 0xffff);
  }
  return true;
#else
  (void)group;
  error_ = fmt::format("{}: --fanout needs Linux (AF_PACKET fanout groups)", options_.interface);
  return false;
#endif
}

void LiveSource::break_loop() {
  if (handle_) pcap_breakloop(handle_);
}

}  // namespace netsift
