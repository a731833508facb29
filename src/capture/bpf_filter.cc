#include "capture/bpf_filter.h"

#include <pcap/pcap.h>

namespace netsift {

struct BpfFilter::Program {
  bpf_program prog{};
  bool valid = false;
  ~Program() {
    if (valid) pcap_freecode(&prog);
  }
};

BpfFilter::BpfFilter(std::string expression) : expression_(std::move(expression)) {}
BpfFilter::~BpfFilter() = default;

BpfFilter::Program* BpfFilter::program_for(uint16_t linktype, std::string* error) {
  auto it = programs_.find(linktype);
  if (it != programs_.end()) return it->second.get();
  auto program = std::make_unique<Program>();
  pcap_t* dead = pcap_open_dead(linktype, 262144);
  if (dead) {
    if (pcap_compile(dead, &program->prog, expression_.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0) {
      program->valid = true;
    } else if (error) {
      *error = pcap_geterr(dead);
    }
    pcap_close(dead);
  }
  Program* raw = program.get();
  programs_.emplace(linktype, std::move(program));
  return raw;
}

bool BpfFilter::validate(std::string& error) {
  if (empty()) return true;
  return program_for(linktype::kEthernet, &error)->valid;
}

bool BpfFilter::matches(const RawPacket& packet) {
  if (empty()) return true;
  if (packet.linktype != last_linktype_) {
    last_program_ = program_for(packet.linktype, nullptr);
    last_linktype_ = packet.linktype;
  }
  if (!last_program_->valid) return false;
  pcap_pkthdr hdr{};
  hdr.caplen = packet.caplen;
  hdr.len = packet.wirelen;
  return pcap_offline_filter(&last_program_->prog, &hdr, packet.data.data()) != 0;
}

}  // namespace netsift
