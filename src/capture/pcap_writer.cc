#include "capture/pcap_writer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace netsift {

PcapWriter::~PcapWriter() {
  close();
}

bool PcapWriter::write(const RawPacket& packet) {
  if (!file_) {
    file_ = path_ == "-" ? stdout : std::fopen(path_.c_str(), "wb");
    if (!file_) {
      error_ = fmt::format("{}: cannot create: {}", path_, std::strerror(errno));
      return false;
    }
    static constexpr size_t kBuf = 1 << 20;
    std::setvbuf(file_, nullptr, _IOFBF, kBuf);
    linktype_ = packet.linktype;
    uint32_t header[6] = {0xa1b23c4d, 2u | (4u << 16), 0, 0, 262144, linktype_};
    std::fwrite(header, sizeof header, 1, file_);
  }
  if (packet.linktype != linktype_) {
    ++skipped_;
    return true;
  }
  uint32_t rec[4] = {uint32_t(seconds_part(packet.ts)), uint32_t(nanos_part(packet.ts)),
                     packet.caplen, packet.wirelen};
  std::fwrite(rec, sizeof rec, 1, file_);
  std::fwrite(packet.data.data(), 1, packet.caplen, file_);
  return true;
}

bool PcapWriter::close() {
  if (!file_) return true;
  bool ok = std::fflush(file_) == 0 && !std::ferror(file_);
  if (file_ != stdout) ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok) error_ = fmt::format("{}: write failed: {}", path_, std::strerror(errno));
  return ok;
}

}  // namespace netsift
