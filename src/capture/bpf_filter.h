// A tcpdump filter expression applied to packets read from files. Compiled once per
// link type (a pcapng file may mix several) with pcap_compile on a dead handle, after
// mapping the file's LINKTYPE_ number to the DLT_ number libpcap expects.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture/raw_packet.h"

namespace netsift {

// libpcap's DLT_ value for a LINKTYPE_ value of a capture file (they differ for raw IP,
// BSD/OS SLIP and PPP, ATM and a few others).
int dlt_of_linktype(uint16_t linktype);

class BpfFilter {
 public:
  explicit BpfFilter(std::string expression);
  ~BpfFilter();
  BpfFilter(const BpfFilter&) = delete;
  BpfFilter& operator=(const BpfFilter&) = delete;

  bool empty() const { return expression_.empty(); }
  const std::string& expression() const { return expression_; }
  // Compiles for Ethernet to report syntax errors before any packet is read.
  bool validate(std::string& error);
  // Compiles for one link type; false with `error` set when libpcap cannot (e.g. "ether
  // host" on raw IP, or any filter on NFLOG).
  bool validate_for(uint16_t linktype, std::string& error);
  // True when the packet passes. A link type the expression cannot be compiled for
  // rejects its packets; the reason is kept for take_new_errors().
  bool matches(const RawPacket& packet);
  // Reasons met since the last call, one per link type ("cannot filter LINKTYPE 239: ...").
  std::vector<std::string> take_new_errors();

 private:
  struct Program;
  Program* program_for(int dlt, bool swapped);

  std::string expression_;
  std::unordered_map<int, std::unique_ptr<Program>> programs_;
  uint16_t last_linktype_ = 0xffff;
  Program* last_program_ = nullptr;
  bool last_swapped_ = false;
  std::vector<std::string> new_errors_;
};

}  // namespace netsift
