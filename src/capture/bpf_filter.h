// A tcpdump filter expression applied to packets read from files. Compiled once per
// link type (a pcapng file may mix several) with pcap_compile on a dead handle.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "capture/raw_packet.h"

namespace netsift {

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
  // True when the packet passes. A link type the expression cannot be compiled for
  // (e.g. "ether host" on raw IP) rejects its packets, as tcpdump would refuse them.
  bool matches(const RawPacket& packet);

 private:
  struct Program;
  Program* program_for(uint16_t linktype, std::string* error);

  std::string expression_;
  std::unordered_map<uint16_t, std::unique_ptr<Program>> programs_;
  uint16_t last_linktype_ = 0xffff;
  Program* last_program_ = nullptr;
};

}  // namespace netsift
