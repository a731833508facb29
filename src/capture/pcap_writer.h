// Writes accepted packets to a capture file (-w): classic pcap with nanosecond stamps
// when every packet has the input's one link type, or pcapng (one interface block per
// input interface, each with its own link type) when the input may mix link types
// (pcapng inputs, several inputs of different link types) or the name ends in .pcapng.
// Write errors are values: the first one is kept, the run is expected to stop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "capture/raw_packet.h"
#include "output/output_buffer.h"

namespace netsift {

enum class CaptureFormat { Pcap, Pcapng };

class PcapWriter {
 public:
  // `linktype` is the link type of every packet (pcap only). "-" = standard output.
  PcapWriter(std::string path, CaptureFormat format, uint16_t linktype);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Creates the file and writes its header; false with error() set.
  bool open();
  // `input` tells inputs apart (their interface ids overlap). False once writing
  // failed (error(), errno in error_code()) or for a packet of another link type than a
  // pcap file's (counted in skipped()).
  bool write(const RawPacket& packet, uint32_t input);
  // Pushes buffered packets out (live capture); false once writing failed.
  bool flush();
  bool close();
  const std::string& error() const { return error_; }
  int error_code() const { return error_code_; }
  uint64_t skipped() const { return skipped_; }
  CaptureFormat format() const { return format_; }

 private:
  bool check();
  uint32_t interface_for(const RawPacket& packet, uint32_t input);

  std::string path_;
  CaptureFormat format_;
  uint16_t linktype_;
  int fd_ = -1;
  std::unique_ptr<OutputBuffer> out_;
  std::string error_;
  int error_code_ = 0;
  uint64_t skipped_ = 0;
  // pcapng: (input, interface id) -> interface block number in the output
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> interfaces_;
};

// "a.pcapng" (any case) asks for pcapng.
bool wants_pcapng(const std::string& path);

}  // namespace netsift
