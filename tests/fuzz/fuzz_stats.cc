// libFuzzer target: a sequence of packets through the statistics engine (counters,
// defragmentation, flows, the DNS look, per-packet records, buckets, detectors).
// Input: the fuzz_pipeline record format, [1 byte flags][2 bytes length][frame], frames
// decoded as raw IP (flags bit 0: IPv6 link type); the other flag bits advance packet
// time by whole seconds so buckets close and flows expire. Small caps make the
// eviction and capped-set paths reachable.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "stats/stats_engine.h"

namespace {
struct NullSink final : netsift::EventSink {
  void emit(const netsift::Event&) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsift::StatsOptions options;
  options.max_flows = 8;
  options.max_addresses = 16;
  options.max_set_entries = 32;
  options.bucket = 10 * netsift::kNsPerSec;
  options.per_packet = true;
  options.json = (size & 1) != 0;
  // nDPI is a dependency with its own fuzzing; this target covers netsift's code.
  options.dpi = false;
  options.detectors.scan_ports = 2;
  options.detectors.scan_hosts = 2;
  options.detectors.syn_flood_rate = 0.1;
  options.detectors.conn_burst_rate = 0.1;
  options.detectors.conn_burst_ports = {22, 80, 443};
  options.detectors.nxdomain_count = 1;
  options.detectors.dns_long_name = 4;
  options.detectors.dns_tunnel_queries = 1;
  options.detectors.volume_min_bytes = 1;
  options.detectors.volume_warmup = 1;
  netsift::HomeNetworks home;
  netsift::GeoIp geoip;
  NullSink sink;
  int fd = ::open("/dev/null", O_WRONLY);
  {
    netsift::OutputBuffer lines(fd);
    netsift::StatsOutputs out;
    out.events = &sink;
    out.lines = &lines;
    netsift::StatsEngine engine(options, home, geoip, out);
    netsift::Decoder decoder;
    std::vector<uint8_t> frame;
    size_t pos = 0;
    int64_t ts = 0;
    while (pos + 3 <= size) {
      uint8_t flags = data[pos];
      size_t len = size_t(data[pos + 1]) << 8 | data[pos + 2];
      pos += 3;
      len = std::min(len, size - pos);
      frame.assign(data + pos, data + pos + len);
      pos += len;
      netsift::RawPacket raw;
      raw.data = netsift::ByteView(frame.data(), frame.size());
      raw.caplen = raw.wirelen = uint32_t(frame.size());
      raw.linktype = (flags & 1) ? netsift::linktype::kIpv6 : netsift::linktype::kRaw;
      ts += int64_t(flags >> 1) * 1'000'000'000;
      raw.ts = ts;
      netsift::PacketView view;
      decoder.decode(raw, view);
      engine.on_packet(view);
    }
    engine.finish();
  }
  ::close(fd);
  return 0;
}
