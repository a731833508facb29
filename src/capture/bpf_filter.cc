#include "capture/bpf_filter.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <utility>

namespace netsift {

int dlt_of_linktype(uint16_t linktype) {
  // LINKTYPE_ numbers that differ from the DLT_ numbers (tcpdump.org link-layer header
  // types registry); all others are the same number.
  switch (linktype) {
    case 100:
      return DLT_ATM_RFC1483;
    case 101:
      return DLT_RAW;
    case 102:
      return DLT_SLIP_BSDOS;
    case 103:
      return DLT_PPP_BSDOS;
    case 50:
      return DLT_PPP_SERIAL;
    case 51:
      return DLT_PPP_ETHER;
    case 104:
      return DLT_C_HDLC;
    case 106:
      return DLT_ATM_CLIP;
    case 108:
      return DLT_LOOP;
    default:
      return linktype;
  }
}

struct BpfFilter::Program {
  bpf_program prog{};
  bool valid = false;
  std::string error;
  ~Program() {
    if (valid) pcap_freecode(&prog);
  }
};

BpfFilter::BpfFilter(std::string expression) : expression_(std::move(expression)) {}
BpfFilter::~BpfFilter() = default;

namespace {

// A handle that looks like a capture file of this link type (a pcap header in memory):
// libpcap then compiles as it does for tcpdump -r. A dead handle stands for live capture
// on this host, which for DLT_NULL matches only this host's AF_INET6 value, not the BSD
// ones files carry. `swapped`: the file (and its DLT_NULL header) has the other byte order.
pcap_t* open_as_file(int dlt, bool swapped) {
  uint32_t header[6] = {0xa1b2c3d4, 2u | (4u << 16), 0, 0, 262144, uint32_t(dlt)};
  if (swapped) {
    for (int i : {0, 2, 3, 4, 5}) header[i] = __builtin_bswap32(header[i]);
    uint16_t* v = reinterpret_cast<uint16_t*>(&header[1]);
    v[0] = __builtin_bswap16(2);
    v[1] = __builtin_bswap16(4);
  }
  FILE* f = fmemopen(header, sizeof header, "rb");
  if (!f) return nullptr;
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_fopen_offline(f, errbuf);  // owns f from here
  if (!p) std::fclose(f);
  return p;
}

// DLT_NULL's 4-byte address family is in the capturing host's byte order: a value whose
// first byte is zero and last is not was written big-endian.
bool null_header_swapped(const RawPacket& p) {
  if (p.caplen < 4) return false;
  const uint8_t* d = p.data.data();
  bool big_endian = d[0] == 0 && d[1] == 0 && d[3] != 0;
  return big_endian == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
}

}  // namespace

BpfFilter::Program* BpfFilter::program_for(int dlt, bool swapped) {
  int key = swapped ? -1 - dlt : dlt;
  auto it = programs_.find(key);
  if (it != programs_.end()) return it->second.get();
  auto program = std::make_unique<Program>();
  pcap_t* dead = open_as_file(dlt, swapped);
  if (!dead) dead = pcap_open_dead(dlt, 262144);
  if (!dead) {
    program->error = "libpcap cannot open a handle for it";
  } else {
    if (pcap_compile(dead, &program->prog, expression_.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0) {
      program->valid = true;
    } else {
      program->error = pcap_geterr(dead);
    }
    pcap_close(dead);
  }
  Program* raw = program.get();
  programs_.emplace(key, std::move(program));
  return raw;
}

bool BpfFilter::validate(std::string& error) {
  if (empty()) return true;
  Program* p = program_for(DLT_EN10MB, false);
  if (!p->valid) error = p->error;
  return p->valid;
}

bool BpfFilter::validate_for(uint16_t linktype, std::string& error) {
  if (empty()) return true;
  Program* p = program_for(dlt_of_linktype(linktype), false);
  if (!p->valid) error = p->error;
  return p->valid;
}

bool BpfFilter::matches(const RawPacket& packet) {
  if (empty()) return true;
  if (packet.linktype == linktype::kNull) {
    // Per packet: the byte order of its header decides the program.
    bool swapped = null_header_swapped(packet);
    if (swapped != last_swapped_) last_linktype_ = 0xffff;
    last_swapped_ = swapped;
  }
  if (packet.linktype != last_linktype_) {
    int dlt = dlt_of_linktype(packet.linktype);
    bool swapped = packet.linktype == linktype::kNull && last_swapped_;
    bool known = programs_.count(swapped ? -1 - dlt : dlt) != 0;
    last_program_ = program_for(dlt, swapped);
    last_linktype_ = packet.linktype;
    if (!known && !last_program_->valid) {
      const char* name = pcap_datalink_val_to_name(dlt_of_linktype(packet.linktype));
      new_errors_.push_back(
          fmt::format("filter '{}' cannot be applied to {} packets (link type {}): "
                      "{}",
                      expression_, name ? name : "these", packet.linktype, last_program_->error));
    }
  }
  if (!last_program_->valid) return false;
  pcap_pkthdr hdr{};
  hdr.caplen = packet.caplen;
  hdr.len = packet.wirelen;
  return pcap_offline_filter(&last_program_->prog, &hdr, packet.data.data()) != 0;
}

std::vector<std::string> BpfFilter::take_new_errors() {
  return std::exchange(new_errors_, {});
}

}  // namespace netsift
