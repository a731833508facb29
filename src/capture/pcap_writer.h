// Writes packets to a nanosecond pcap file (-w). A file holds one link type; packets of
// another link type (from a mixed pcapng input) are counted as skipped.
#pragma once

#include <cstdio>
#include <string>

#include "capture/raw_packet.h"

namespace netsift {

class PcapWriter {
 public:
  explicit PcapWriter(std::string path) : path_(std::move(path)) {}
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Opens lazily on the first packet so the file takes that packet's link type.
  bool write(const RawPacket& packet);
  bool close();
  const std::string& error() const { return error_; }
  uint64_t skipped() const { return skipped_; }

 private:
  std::string path_;
  std::string error_;
  FILE* file_ = nullptr;
  uint16_t linktype_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace netsift
