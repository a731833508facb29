// One captured frame as a source hands it out. `data` is owned by the source and valid
// only until the source's next() is called again; keep a copy if you need it longer.
#pragma once

#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/timestamp.h"

namespace netsift {

// Link-layer header types (LINKTYPE_* from the tcpdump.org registry) that we decode.
namespace linktype {
constexpr uint16_t kNull = 0;
constexpr uint16_t kPpp = 9;
constexpr uint16_t kPppHdlc = 50;
constexpr uint16_t kCiscoHdlc = 104;
constexpr uint16_t kIeee80211 = 105;
constexpr uint16_t kRadiotap = 127;
constexpr uint16_t kEthernet = 1;
constexpr uint16_t kRawOpenBsd = 12;  // DLT_RAW on most BSDs
constexpr uint16_t kRawBsdOs = 14;    // DLT_RAW on BSD/OS
constexpr uint16_t kRaw = 101;
constexpr uint16_t kLoop = 108;
constexpr uint16_t kLinuxSll = 113;
constexpr uint16_t kIpv4 = 228;
constexpr uint16_t kIpv6 = 229;
constexpr uint16_t kNflog = 239;
constexpr uint16_t kLinuxSll2 = 276;
}  // namespace linktype

// A buffer of a source's that holds packets' bytes, lent to consumers that must keep a
// packet past the source's next next() (the sharded session engine's workers) instead
// of copying it: such a consumer does ++holds, and --holds once done, both on the
// source's thread (other threads may read the bytes in between, given a happens-before
// edge each way, e.g. a ring). The source never overwrites nor frees a held block while
// it lives: it reads on into another one. The consumer bounds how many blocks it holds
// (each is 512 KiB, or the largest record when bigger).
struct PacketBlock {
  uint32_t holds = 0;
};

struct RawPacket {
  TimestampNs ts = 0;
  uint32_t caplen = 0;   // bytes present in data
  uint32_t wirelen = 0;  // bytes on the wire (>= caplen when snaplen cut it)
  uint16_t linktype = 0;
  uint32_t interface_id = 0;
  ByteView data;
  // The block holding `data` when the source lends its buffers (FileReader's read()
  // blocks); null when it does not (live capture, NetMon maps, rebuilt datagrams): copy.
  PacketBlock* block = nullptr;
};

// A stream of packets: a file, stdin, a live interface, or several of them in turn.
class PacketSource {
 public:
  enum class Status { Packet, End, Error, Idle };  // Idle: live read timeout, no packet
  virtual ~PacketSource() = default;
  // Fills `out` with the next packet. Error leaves a message in error(); packets
  // already returned stay valid results.
  virtual Status next(RawPacket& out) = 0;
  virtual const std::string& error() const = 0;
  virtual std::string name() const = 0;
  // Kernel drops for live sources; 0 for files.
  virtual uint64_t dropped() const { return 0; }
  // Bytes consumed so far and total size when known (0 = unknown): for progress.
  virtual uint64_t position() const { return 0; }
  virtual uint64_t size() const { return 0; }
  // The link type of every packet when the source has only one (pcap file, interface);
  // -1 when it may mix several (pcapng).
  virtual int fixed_linktype() const { return -1; }
  // The source has ended: frees the memory of lent blocks no consumer holds any more
  // (called again later, as consumers let go).
  virtual void trim() {}
};

}  // namespace netsift
