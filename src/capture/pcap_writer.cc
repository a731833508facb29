#include "capture/pcap_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "output/safe_file.h"

namespace netsift {
namespace {

void put32(OutputBuffer& out, uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), 4);
}
void put16(OutputBuffer& out, uint16_t v) {
  out.append(reinterpret_cast<const char*>(&v), 2);
}

}  // namespace

bool wants_pcapng(const std::string& path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return lower.size() > 7 && lower.compare(lower.size() - 7, 7, ".pcapng") == 0;
}

PcapWriter::PcapWriter(std::string path, CaptureFormat format, uint16_t linktype)
    : path_(std::move(path)), format_(format), linktype_(linktype) {}

PcapWriter::~PcapWriter() {
  close();
}

bool PcapWriter::open() {
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
  } else {
    // Replaced when it exists, as tcpdump does, but never through a symbolic link.
    fd_ = open_output_file(path_, IfExists::Replace, FileSecrecy::Public, error_);
    if (fd_ < 0) {
      error_code_ = errno ? errno : EPERM;
      return false;
    }
  }
  out_ = std::make_unique<OutputBuffer>(fd_);
  if (format_ == CaptureFormat::Pcap) {
    // Nanosecond magic, version 2.4, snaplen 262144.
    uint32_t header[6] = {0xa1b23c4d, 2u | (4u << 16), 0, 0, 262144, linktype_};
    out_->append(reinterpret_cast<const char*>(header), sizeof header);
  } else {
    // Section header block, no options, section length unknown (-1).
    put32(*out_, 0x0A0D0D0A);
    put32(*out_, 28);
    put32(*out_, 0x1A2B3C4D);
    put16(*out_, 1);
    put16(*out_, 0);
    put32(*out_, 0xffffffff);
    put32(*out_, 0xffffffff);
    put32(*out_, 28);
  }
  return true;
}

bool PcapWriter::check() {
  if (out_->failed() && error_.empty()) {
    error_code_ = out_->error();
    error_ = fmt::format("{}: write failed: {}", path_ == "-" ? "standard output" : path_,
                         std::strerror(error_code_));
  }
  return error_.empty();
}

uint32_t PcapWriter::interface_for(const RawPacket& p, uint32_t input) {
  auto key = std::make_pair(input, p.interface_id);
  auto it = interfaces_.find(key);
  if (it != interfaces_.end()) return it->second;
  // Interface description block: link type, snaplen 0 (no limit), if_tsresol = 9
  // (nanoseconds), end of options.
  put32(*out_, 1);
  put32(*out_, 32);
  put16(*out_, p.linktype);
  put16(*out_, 0);
  put32(*out_, 0);
  put16(*out_, 9);  // if_tsresol
  put16(*out_, 1);
  out_->append("\x09\0\0\0", 4);
  put32(*out_, 0);  // opt_endofopt
  put32(*out_, 32);
  uint32_t id = uint32_t(interfaces_.size());
  interfaces_.emplace(key, id);
  return id;
}

bool PcapWriter::write(const RawPacket& p, uint32_t input) {
  if (!out_ || !error_.empty()) return false;
  if (format_ == CaptureFormat::Pcap) {
    if (p.linktype != linktype_) {
      ++skipped_;
      return false;
    }
    uint32_t rec[4] = {uint32_t(seconds_part(p.ts)), uint32_t(nanos_part(p.ts)), p.caplen,
                       p.wirelen};
    out_->append(reinterpret_cast<const char*>(rec), sizeof rec);
    out_->append(reinterpret_cast<const char*>(p.data.data()), p.caplen);
  } else {
    uint32_t ifc = interface_for(p, input);
    uint32_t padded = (p.caplen + 3u) & ~3u;
    uint32_t total = 32 + padded;
    uint64_t ns = uint64_t(p.ts);
    uint32_t block[7] = {6, total, ifc, uint32_t(ns >> 32), uint32_t(ns), p.caplen, p.wirelen};
    out_->append(reinterpret_cast<const char*>(block), sizeof block);
    out_->append(reinterpret_cast<const char*>(p.data.data()), p.caplen);
    out_->append("\0\0\0", padded - p.caplen);
    put32(*out_, total);
  }
  out_->end_record();
  return check();
}

bool PcapWriter::flush() {
  if (!out_) return error_.empty();
  out_->flush();
  return check();
}

bool PcapWriter::close() {
  if (!out_) return error_.empty();
  out_->flush();
  check();
  out_.reset();
  if (fd_ >= 0 && fd_ != STDOUT_FILENO && ::close(fd_) != 0 && error_.empty()) {
    error_code_ = errno;
    error_ = fmt::format("{}: write failed: {}", path_, std::strerror(errno));
  }
  fd_ = -1;
  return error_.empty();
}

}  // namespace netsift
